"""Play an incident as people do: alert in, owner acknowledges, approver approves."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bot.demo.stack import Stack
from bot.demo.workspace import ANALYST
from bot.devtools.aws_seed import aws_state
from bot.errors import ContainbotError
from bot.slack import blocks
from storage import decisions, incidents
from storage.tables import Incident


@dataclass
class Play:
    """What happened, gathered for the transcript and the JSON report."""

    incident_id: int | None = None
    aws_before: dict[str, Any] = field(default_factory=dict)
    aws_after: dict[str, Any] = field(default_factory=dict)
    kubernetes_before: dict[str, Any] = field(default_factory=dict)
    kubernetes_after: dict[str, Any] = field(default_factory=dict)
    # (wall-clock time, who, what they did) for the people the demo acts as.
    actions: list[tuple[float, str, str]] = field(default_factory=list)
    intake_answer: dict[str, Any] = field(default_factory=dict)

    def did(self, who: str, what: str) -> None:
        self.actions.append((time.time(), who, what))


def play_incident(stack: Stack, source: str, body: bytes) -> Play:
    """Run the whole incident and return what happened."""
    play = Play()
    play.aws_before = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    play.kubernetes_before = stack.kubernetes_state()

    play.did("detector", f"posts the alert to /alerts/{source}")
    answer = stack.post_alert(source, body)
    if answer.status_code != 202:
        raise ContainbotError(
            f"the bot refused the alert ({answer.status_code}): "
            f"{answer.json().get('error', answer.text)}"
        )
    play.intake_answer = answer.json()
    stack.settle()
    play.incident_id = play.intake_answer["alerts"][0]["incident_id"]
    incident = _incident(stack, play.incident_id)

    roles = stack.app.ctx.directory.roles(stack.app.ctx.workload(incident.workload))
    owner, approver = roles["owner"], roles["approver"]
    page = next(iter(decisions.pages_of(stack.app.ctx.engine, play.incident_id)), None)
    if page is not None and page.channel_id and page.message_ts:
        play.did(page.target, "(paged as owner) clicks Acknowledge on the page")
        _click(stack, page.target, page.channel_id, page.message_ts, blocks.ACK_ACTION)

    if not (incident.channel_id and incident.plan_ts):
        _read_after(stack, play)
        return play
    bystander = ANALYST.id if ANALYST.id not in (owner, approver) else owner
    play.did(bystander, "(security analyst) clicks Approve, though not the commander")
    _click(
        stack, bystander, incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
    )
    if approver:
        play.did(
            approver,
            "(incident commander) double-clicks Approve and confirms "
            "(two identical requests)",
        )
        payload = stack.driver.click_payload(
            approver, incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(stack.driver.send_payload, [payload, payload]))
        if any(answer.status_code != 200 for answer in answers):
            raise ContainbotError("the bot did not answer 200 to the approval")
        stack.settle()

    _read_after(stack, play)
    return play


def _read_after(stack: Stack, play: Play) -> None:
    play.aws_after = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    play.kubernetes_after = stack.kubernetes_state()


def _incident(stack: Stack, incident_id: int) -> Incident:
    incident = incidents.get_incident(stack.app.ctx.engine, incident_id)
    assert incident is not None
    return incident


def _click(stack: Stack, user: str, channel: str, ts: str, action_id: str) -> None:
    response = stack.driver.click(user, channel, ts, action_id)
    if response.status_code != 200:
        raise ContainbotError(f"the bot answered {response.status_code} to a click")
    stack.settle()
