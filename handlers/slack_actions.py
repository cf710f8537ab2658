"""Buttons: acknowledge a page, approve or reject a plan, retry a step."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import paging
from bot.containment import approval, resolution, runner
from bot.context import Context
from bot.slack import blocks, evidence_blocks, plan_blocks
from storage import evidence, steps

logger = logging.getLogger(__name__)


def _value(body: dict[str, Any]) -> int:
    return int(body["actions"][0]["value"])


def register(app: App, ctx: Context) -> None:
    @app.action(blocks.ACK_ACTION)
    def acknowledge(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        result = paging.acknowledge(ctx, _value(body), body["user"]["id"])
        if not result.accepted:
            respond(
                text=result.reply, response_type="ephemeral", replace_original=False
            )

    @app.action(blocks.APPROVE_ACTION)
    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _decide(ctx, body, respond, "approved")

    @app.action(re.compile(rf"^{re.escape(blocks.SELECT_ACTION)}\.\d+$"))
    def select(ack: Ack) -> None:
        # Ticking a box changes nothing yet: Slack sends the ticks with Approve.
        ack()

    @app.action(blocks.REJECT_ACTION)
    def reject(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _decide(ctx, body, respond, "rejected")

    @app.action(evidence_blocks.SHOW_ALL_ACTION)
    def show_all_services(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        loaded = evidence.latest(ctx.engine, _value(body))
        if loaded is not None:
            # A trigger_id lasts 3 seconds: open the modal before anything slow.
            client.views_open(
                trigger_id=body["trigger_id"],
                view=evidence_blocks.touched_modal(loaded.summary),
            )

    @app.action(blocks.RESOLVE_UNDO_ACTION)
    def resolve_and_undo(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _resolve(ctx, body, respond, undo=True)

    @app.action(blocks.RESOLVE_KEEP_ACTION)
    def resolve_and_keep(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        _resolve(ctx, body, respond, undo=False)

    @app.action(blocks.RETRY_ACTION)
    def retry(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        refusal = runner.retry(ctx, _value(body), body["user"]["id"])
        if refusal:
            respond(text=refusal, response_type="ephemeral", replace_original=False)


def _resolve(
    ctx: Context, body: dict[str, Any], respond: Respond, *, undo: bool
) -> None:
    refusal = resolution.resolve(ctx, _value(body), body["user"]["id"], undo=undo)
    if refusal:
        respond(text=refusal, response_type="ephemeral", replace_original=False)


def _decide(
    ctx: Context, body: dict[str, Any], respond: Respond, decision: str
) -> None:
    incident_id = _value(body)
    count = len(steps.steps_of(ctx.engine, incident_id))
    selected = plan_blocks.selected_positions(body.get("state"), count)
    result = approval.decide(
        ctx, incident_id, body["user"]["id"], decision, selected=selected
    )
    if result.reply:
        # Private to the person who clicked: a refusal is not announced to the room.
        respond(text=result.reply, response_type="ephemeral", replace_original=False)
