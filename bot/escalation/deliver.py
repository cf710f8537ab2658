"""Send a claimed page and record how it went; Slack failures are kept, not lost."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import Context
from bot.slack import blocks
from storage import decisions, incidents

logger = logging.getLogger(__name__)

ROLE_NAMES = {
    "owner": "owner",
    "fallback_owner": "fallback owner",
    "approver": "incident commander",
    "fallback_approver": "fallback incident commander",
    "security_oncall": "security on-call",
}


def page_dm(
    ctx: Context, page_id: int, incident_id: int, *, role: str, user_id: str
) -> bool:
    """DM the page with its Acknowledge button; True if Slack took it."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    assert incident is not None
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
    return send(ctx, page_id, incident_id, user_id, text, page_blocks, kind=role)


def send(
    ctx: Context,
    page_id: int,
    incident_id: int,
    user_id: str,
    text: str,
    message_blocks: list[blocks.Block] | None = None,
    *,
    kind: str,
) -> bool:
    """Post one claimed DM; a failure is stored on the page for the next tick."""
    channel_id = message_ts = error = None
    try:
        # Posting to a member id delivers a DM from the app, as Slack documents.
        response = ctx.slack.chat_postMessage(
            channel=user_id, text=text, blocks=message_blocks
        )
        channel_id, message_ts = response["channel"], response["ts"]
        logger.info(
            "paged incident=%s user=%s kind=%s page=%s",
            incident_id,
            user_id,
            kind,
            page_id,
        )
    except SlackApiError as exc:
        # The client already waited out 429s and retried 5xx; what is left is
        # stored, and the ladder's next tick sends it again.
        error = str(exc.response.get("error") or exc.response.status_code)
    except (SlackClientError, OSError) as exc:
        error = type(exc).__name__
    if error is not None:
        logger.warning(
            "page failed incident=%s user=%s page=%s error=%s",
            incident_id,
            user_id,
            page_id,
            error,
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


def post_notice(ctx: Context, incident_id: int, text: str) -> None:
    """Say something in the incident channel; a failure is logged, never raised."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or not incident.channel_id:
        return
    try:
        ctx.slack.chat_postMessage(channel=incident.channel_id, text=text)
    except (SlackApiError, SlackClientError, OSError) as exc:
        # The page itself is what must not be lost; the notice is its echo.
        logger.warning(
            "channel notice failed incident=%s error=%s",
            incident_id,
            type(exc).__name__,
        )
