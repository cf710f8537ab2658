"""Page the people named for a workload, and take their acknowledgement."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.context import Context
from bot.slack import blocks, messages
from bot.slack.timefmt import duration
from storage import decisions, incidents

logger = logging.getLogger(__name__)

ROLE_NAMES = {
    "owner": "owner",
    "fallback_owner": "fallback owner",
    "approver": "incident commander",
    "security_oncall": "security on-call",
}


def page_person(
    ctx: Context, incident_id: int, *, rung: int, role: str, user_id: str
) -> bool:
    """Send one DM page with an Acknowledge button; False if that rung was paged."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    assert incident is not None
    page_id = decisions.claim_page(
        ctx.engine, incident_id=incident_id, rung=rung, target=user_id
    )
    if page_id is None:
        return False

    workload = ctx.workload(incident.workload)
    text, page_blocks = blocks.page(
        incident_id=incident_id,
        workload=incident.workload or "unowned workload",
        role=ROLE_NAMES.get(role, role),
        title=incident.title,
        channel_id=incident.channel_id or "",
        identities=workload.identities if workload else (),
        now=ctx.clock(),
    )
    channel_id = message_ts = error = None
    try:
        # Posting to a member id delivers a DM from the app, as Slack documents.
        response = ctx.slack.chat_postMessage(
            channel=user_id, text=text, blocks=page_blocks
        )
        channel_id, message_ts = response["channel"], response["ts"]
        logger.info(
            "paged incident=%s user=%s rung=%s role=%s",
            incident_id,
            user_id,
            rung,
            role,
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error"))
        logger.warning(
            "page failed incident=%s user=%s error=%s", incident_id, user_id, error
        )
    decisions.finish_page(
        ctx.engine,
        page_id,
        channel_id=channel_id,
        message_ts=message_ts,
        error=error,
        now=ctx.clock(),
    )
    return error is None


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
    elapsed = duration(now - incident.opened_at)
    if incident.channel_id:
        ctx.slack.chat_postMessage(
            channel=incident.channel_id,
            text=messages.ACK_POSTED.format(user=user_id, elapsed=elapsed),
        )
    for page in decisions.pages_of(ctx.engine, incident_id):
        if page.channel_id and page.message_ts:
            ctx.slack.chat_update(
                channel=page.channel_id,
                ts=page.message_ts,
                text=messages.PAGE_ACKNOWLEDGED.format(user=user_id),
                blocks=blocks.page_acknowledged(user_id),
            )
    return AckResult(True, messages.PAGE_ACKNOWLEDGED.format(user=user_id))
