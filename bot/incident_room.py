"""Open and keep current the Slack channel where an incident is worked."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import paging, touched
from bot.containment import proposal
from bot.context import Context
from bot.escalation import hooks as escalation
from bot.slack import blocks, messages
from bot.slack.channels import channel_name
from bot.slack.escape import mrkdwn, plain
from storage import audit, decisions, incidents
from storage.db import session_scope
from storage.tables import Incident

logger = logging.getLogger(__name__)

# Enough to get past a few leftover channels of the same name, never a loop.
_NAME_ATTEMPTS = 5
_TOPIC_LIMIT = 250
_NO_ANGLES = str.maketrans({"<": "‹", ">": "›"})


def open_room(ctx: Context, incident_id: int) -> None:
    """Create the channel, invite people, pin the summary, page, post the plan."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or incident.channel_id:
        return
    workload = ctx.workload(incident.workload)
    people = ctx.directory.roles(workload)

    channel_id, name = _create_channel(ctx, incident)
    incidents.update_incident(
        ctx.engine, incident_id, channel_id=channel_id, channel_name=name
    )
    _audit(ctx, incident_id, "channel.created", channel=channel_id, name=name)
    logger.info(
        "channel created incident=%s workload=%s channel=%s",
        incident_id,
        incident.workload,
        channel_id,
    )

    _invite(ctx, incident_id, channel_id, _invitees(ctx, people, workload))
    _set_topic(ctx, incident, channel_id)
    _post_summary(ctx, incident_id, channel_id)

    if workload is None:
        ctx.slack.chat_postMessage(channel=channel_id, text=messages.UNOWNED_NOTICE)
        _page_security_oncall(ctx, incident_id)
        return
    # Pages the owner now (or the next rung at once if the owner is unknown to
    # Slack), tells PagerDuty, and sets the durable timers for the later rungs.
    escalation.incident_opened(ctx, incident_id)
    text, scope_blocks = blocks.scope(workload, ctx.clock())
    ctx.slack.chat_postMessage(channel=channel_id, text=text, blocks=scope_blocks)
    if ctx.settings.evidence_paths:
        # Before the plan, so that secrets the identity read become rotation steps.
        _attach_evidence(ctx, incident_id, channel_id)
    proposal.post_plan(ctx, incident_id)


def _attach_evidence(ctx: Context, incident_id: int, channel_id: str) -> None:
    try:
        touched.attach(
            ctx, incident_id, list(ctx.settings.evidence_paths), origin="settings"
        )
    except Exception as exc:
        # Missing logs must not hold up containment: say so and carry on.
        logger.warning("evidence not loaded incident=%s: %s", incident_id, exc)
        ctx.slack.chat_postMessage(
            channel=channel_id,
            text=messages.EVIDENCE_FAILED.format(reason=mrkdwn(str(exc), limit=500)),
        )


def _create_channel(ctx: Context, incident: Incident) -> tuple[str, str]:
    assert incident.id is not None
    for attempt in range(_NAME_ATTEMPTS):
        name = channel_name(incident.id, incident.workload, attempt=attempt)
        try:
            response = ctx.slack.conversations_create(name=name, is_private=False)
            return response["channel"]["id"], name
        except SlackApiError as exc:
            # A channel of that name survives from an earlier incident or was
            # made by hand: take the next suffix rather than reuse someone's room.
            if exc.response.get("error") != "name_taken":
                raise
    raise RuntimeError(f"no free channel name for incident {incident.id}")


def _invitees(
    ctx: Context, people: dict[str, str | None], workload: object
) -> list[str]:
    invitees = [p for p in people.values() if p]
    teams = getattr(workload, "teams", None)
    groups = (
        [g for g in (teams.security, teams.platform, teams.identity) if g]
        if teams
        else []
    )
    if ctx.settings.security_oncall:
        groups.append(ctx.settings.security_oncall)
    for group in groups:
        invitees.extend(_members(ctx, group))
    return list(dict.fromkeys(invitees))


def _members(ctx: Context, team: str) -> list[str]:
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


def _invite(ctx: Context, incident_id: int, channel_id: str, users: list[str]) -> None:
    if not users:
        return
    try:
        ctx.slack.conversations_invite(channel=channel_id, users=",".join(users))
        _audit(ctx, incident_id, "channel.invited", users=users)
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
            _audit(ctx, incident_id, "channel.invited", users=[user])
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error != "already_in_channel":
                _audit(
                    ctx, incident_id, "channel.invite_failed", user=user, error=error
                )


def _set_topic(ctx: Context, incident: Incident, channel_id: str) -> None:
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


def _post_summary(ctx: Context, incident_id: int, channel_id: str) -> None:
    text, summary_blocks = summary_message(ctx, incident_id)
    response = ctx.slack.chat_postMessage(
        channel=channel_id, text=text, blocks=summary_blocks
    )
    ts = response["ts"]
    ctx.slack.pins_add(channel=channel_id, timestamp=ts)
    incidents.update_incident(ctx.engine, incident_id, summary_ts=ts)


def summary_message(ctx: Context, incident_id: int) -> tuple[str, list[blocks.Block]]:
    incident = incidents.get_incident(ctx.engine, incident_id)
    assert incident is not None and incident.id is not None
    workload = ctx.workload(incident.workload)
    latest = incidents.latest_alert(ctx.engine, incident_id)
    ack = decisions.acknowledgement_of(ctx.engine, incident_id)
    return blocks.summary(
        incident_id=incident.id,
        workload=incident.workload,
        status=incident.status,
        severity=incident.severity,
        title=incident.title,
        alert_count=incident.alert_count,
        latest_alert=latest.title if latest else None,
        people=ctx.directory.roles(workload),
        opened_at=incident.opened_at,
        acknowledged_by=ack.user_id if ack else None,
    )


def refresh_summary(ctx: Context, incident_id: int) -> None:
    """Re-render the pinned summary so it stays current."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or not (incident.channel_id and incident.summary_ts):
        return
    text, summary_blocks = summary_message(ctx, incident_id)
    ctx.slack.chat_update(
        channel=incident.channel_id,
        ts=incident.summary_ts,
        text=text,
        blocks=summary_blocks,
    )


def _page_security_oncall(ctx: Context, incident_id: int) -> None:
    group = ctx.settings.security_oncall
    if not group:
        logger.warning(
            "unowned incident=%s and CONTAINBOT_SECURITY_ONCALL is not set", incident_id
        )
        return
    for rung, user in enumerate(_members(ctx, group)):
        paging.page_person(
            ctx, incident_id, rung=rung, role="security_oncall", user_id=user
        )


def _audit(ctx: Context, incident_id: int, action: str, **detail: object) -> None:
    with session_scope(ctx.engine) as session:
        audit.record(
            session,
            at=ctx.clock(),
            actor="containbot",
            action=action,
            incident_id=incident_id,
            **detail,
        )
