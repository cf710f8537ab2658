"""What `/contain` does with its text, free of Slack request handling."""

from __future__ import annotations

import logging

from bot.containment import resolution
from bot.containment.proposal import dry_run_lines
from bot.context import Context
from bot.incident_room import open_room
from bot.paging import acknowledge
from bot.slack import messages
from bot.slack.escape import code, mrkdwn
from storage import incidents

logger = logging.getLogger(__name__)

_MAX_LISTED = 20


def dispatch(ctx: Context, *, text: str, user_id: str, channel_id: str) -> str:
    """Run one `/contain` command and return the private reply."""
    words = text.strip().split(maxsplit=1)
    verb = words[0].lower() if words else ""
    if verb in ("", "help"):
        return messages.HELP if verb else messages.USAGE
    if verb == "status":
        return _status(ctx, channel_id)
    if verb == "plan":
        return _plan(ctx, channel_id)
    if verb == "ack":
        return _ack(ctx, channel_id, user_id)
    if verb == "resolve":
        return _resolve(ctx, channel_id, user_id)
    return _open(ctx, words[0], words[1] if len(words) > 1 else "", user_id)


def _open(ctx: Context, name: str, reason: str, user_id: str) -> str:
    workload = ctx.catalog.get(name.lower())
    if workload is None:
        known = ", ".join(code(w.name) for w in ctx.catalog.workloads[:_MAX_LISTED])
        return messages.UNKNOWN_WORKLOAD.format(name=code(name, limit=80), known=known)
    incident, opened = incidents.open_manual(
        ctx.engine,
        workload=workload.name,
        user_id=user_id,
        reason=reason,
        now=ctx.clock(),
    )
    assert incident.id is not None
    if not opened:
        if incident.channel_id:
            return messages.ALREADY_OPEN.format(
                workload=code(workload.name), channel=incident.channel_id
            )
        return messages.ALREADY_OPEN_NO_CHANNEL.format(
            workload=code(workload.name), id=incident.id
        )
    logger.info(
        "incident opened by hand incident=%s workload=%s user=%s",
        incident.id,
        workload.name,
        user_id,
    )
    ctx.background.run("open-room", open_room, ctx, incident.id)
    if workload.owner is None:
        return messages.OPENING_NO_OWNER.format(workload=code(workload.name))
    return messages.OPENING.format(workload=code(workload.name))


def _ack(ctx: Context, channel_id: str, user_id: str) -> str:
    incident = incidents.incident_for_channel(ctx.engine, channel_id)
    if incident is None or incident.id is None:
        return messages.NOT_AN_INCIDENT_CHANNEL
    # The same rules as the page's button: someone named or paged, first one wins.
    result = acknowledge(ctx, incident.id, user_id)
    return messages.ACK_BY_COMMAND if result.accepted else result.reply


def _resolve(ctx: Context, channel_id: str, user_id: str) -> str:
    incident = incidents.incident_for_channel(ctx.engine, channel_id)
    if incident is None or incident.id is None:
        return messages.NOT_AN_INCIDENT_CHANNEL
    refusal = resolution.offer(ctx, incident.id, user_id)
    return refusal or messages.RESOLVE_OFFERED


def _status(ctx: Context, channel_id: str) -> str:
    incident = incidents.incident_for_channel(ctx.engine, channel_id)
    if incident is None:
        return messages.NOT_AN_INCIDENT_CHANNEL
    return (
        f"Incident {incident.id} for {code(incident.workload or 'unowned')}: "
        f"{incident.status}, {incident.alert_count} alert(s), "
        f"latest: {mrkdwn(incident.title, limit=300)}"
    )


def _plan(ctx: Context, channel_id: str) -> str:
    incident = incidents.incident_for_channel(ctx.engine, channel_id)
    if incident is None or incident.id is None:
        return messages.NOT_AN_INCIDENT_CHANNEL
    lines = dry_run_lines(ctx, incident.id)
    if not lines:
        return "This incident has no containment plan."
    # Inside a code block Slack shows the text as is; escape only its markup.
    return (
        "*Dry run: the API calls each step would make*\n```"
        + mrkdwn("\n".join(lines), limit=2800)
        + "```"
    )
