"""Page the people named for a workload, and take their acknowledgement."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.context import Context
from bot.escalation import deliver, hooks, ladder
from bot.slack import blocks, messages
from bot.slack.timefmt import duration
from storage import decisions, incidents
from storage import escalation as escalation_store

logger = logging.getLogger(__name__)

ROLE_NAMES = deliver.ROLE_NAMES


def page_person(
    ctx: Context, incident_id: int, *, rung: int, role: str, user_id: str
) -> bool:
    """Send one DM page with an Acknowledge button; False if that rung was paged.

    The claim checks the acknowledgement under the incident's lock, so a page
    racing an ack is not sent; escalation.climb pages the later rungs this way.
    """
    claim = escalation_store.claim_page(
        ctx.engine, incident_id=incident_id, rung=rung, target=user_id
    )
    if claim.page_id is None:
        return False
    return deliver.page_dm(ctx, claim.page_id, incident_id, role=role, user_id=user_id)


@dataclass(frozen=True)
class AckResult:
    accepted: bool
    reply: str


def acknowledge(ctx: Context, incident_id: int, user_id: str) -> AckResult:
    """Record the first acknowledgement by someone named for the workload."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return AckResult(False, "That incident no longer exists.")
    workload = ctx.workload(incident.workload)
    named = {p for p in ctx.directory.roles(workload).values() if p}
    paged = {page.target for page in decisions.pages_of(ctx.engine, incident_id)}
    if user_id not in named | paged:
        name = incident.workload or "this incident"
        return AckResult(False, messages.ACK_NOT_PAGED.format(workload=name))

    now = ctx.clock()
    ack = decisions.record_acknowledgement(
        ctx.engine, incident_id=incident_id, user_id=user_id, now=now
    )
    if ack is None:
        first = decisions.acknowledgement_of(ctx.engine, incident_id)
        return AckResult(
            False, messages.ACK_ALREADY.format(user=first.user_id if first else "?")
        )

    logger.info("acknowledged incident=%s user=%s", incident_id, user_id)
    hooks.acknowledged(ctx, incident_id, user_id)
    elapsed = duration(now - incident.opened_at)
    if incident.channel_id:
        ctx.slack.chat_postMessage(
            channel=incident.channel_id,
            text=messages.ACK_POSTED.format(user=user_id, elapsed=elapsed),
        )
    for page in decisions.pages_of(ctx.engine, incident_id):
        # Handoff reminders (approval, stalled steps) are not pages to close.
        if page.channel_id and page.message_ts and page.rung < ladder.LADDER_RUNGS:
            ctx.slack.chat_update(
                channel=page.channel_id,
                ts=page.message_ts,
                text=messages.PAGE_ACKNOWLEDGED.format(user=user_id),
                blocks=blocks.page_acknowledged(user_id),
            )
    return AckResult(True, messages.PAGE_ACKNOWLEDGED.format(user=user_id))
