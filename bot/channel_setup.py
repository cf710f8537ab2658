"""Channel mechanics for an incident: create, invite, topic, team members."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.catalog.model import Workload
from bot.context import Context
from bot.slack import messages
from bot.slack.channels import channel_name
from bot.slack.escape import plain
from storage import audit
from storage.db import session_scope
from storage.tables import Incident

logger = logging.getLogger(__name__)

# Enough to get past a few leftover channels of the same name, never a loop.
_NAME_ATTEMPTS = 5
_TOPIC_LIMIT = 250
_NO_ANGLES = str.maketrans({"<": "‹", ">": "›"})


def create_channel(ctx: Context, incident: Incident) -> tuple[str, str]:
    """Create the incident's channel under the first free predictable name."""
    assert incident.id is not None
    for attempt in range(_NAME_ATTEMPTS):
        name = channel_name(incident.id, incident.workload, attempt=attempt)
        try:
            response = ctx.slack.conversations_create(
                name=name, is_private=ctx.settings.private_channels
            )
            return response["channel"]["id"], name
        except SlackApiError as exc:
            # A channel of that name survives from an earlier incident or was
            # made by hand: take the next suffix rather than reuse someone's room.
            if exc.response.get("error") != "name_taken":
                raise
    raise RuntimeError(f"no free channel name for incident {incident.id}")


def invitees(
    ctx: Context, people: dict[str, str | None], workload: Workload | None
) -> list[str]:
    """The named people, the workload's teams and security on-call, once each."""
    found = [p for p in people.values() if p]
    groups: list[str] = []
    if workload is not None:
        teams = workload.teams
        groups = [g for g in (teams.security, teams.platform, teams.identity) if g]
    if ctx.settings.security_oncall:
        groups.append(ctx.settings.security_oncall)
    for group in dict.fromkeys(groups):
        found.extend(members(ctx, group))
    return list(dict.fromkeys(found))


def members(ctx: Context, team: str) -> list[str]:
    """Members of a user group (S…), or the one person a team entry names."""
    if not team.startswith("S"):
        resolved = ctx.directory.resolve(team)
        return [resolved] if resolved else []
    try:
        return list(ctx.slack.usergroups_users_list(usergroup=team)["users"])
    except SlackApiError as exc:
        logger.warning(
            "user group %s not expanded: %s", team, exc.response.get("error")
        )
        return []


def invite(ctx: Context, incident_id: int, channel_id: str, users: list[str]) -> None:
    """Invite everyone at once, falling back to one by one when one id is bad."""
    if not users:
        return
    try:
        ctx.slack.conversations_invite(channel=channel_id, users=",".join(users))
        record(ctx, incident_id, "channel.invited", users=users)
        return
    except SlackApiError as exc:
        logger.warning(
            "batch invite failed incident=%s error=%s; inviting one by one",
            incident_id,
            exc.response.get("error"),
        )
    # One bad id fails the whole batch, so retry each person alone and keep going.
    for user in users:
        try:
            ctx.slack.conversations_invite(channel=channel_id, users=user)
            record(ctx, incident_id, "channel.invited", users=[user])
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error != "already_in_channel":
                record(
                    ctx, incident_id, "channel.invite_failed", user=user, error=error
                )


def set_topic(ctx: Context, incident: Incident, channel_id: str) -> None:
    """Set a plain-text topic: severity, workload, incident, alert title."""
    # Topics take no formatting, so mentions would show as raw ids; the pinned
    # summary names the people. Angle brackets from the alert are swapped for
    # look-alikes so the topic can never carry a mention or a link.
    topic = messages.TOPIC.format(
        severity=incident.severity.upper(),
        workload=incident.workload or "unowned",
        title=incident.title.translate(_NO_ANGLES),
        id=incident.id,
    )
    ctx.slack.conversations_setTopic(
        channel=channel_id, topic=plain(topic, limit=_TOPIC_LIMIT)
    )


def record(ctx: Context, incident_id: int, action: str, **detail: object) -> None:
    """Append an audit event by containbot itself."""
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.clock(),
            actor="containbot",
            action=action,
            incident_id=incident_id,
            **detail,
        )
