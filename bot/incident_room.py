"""Open and keep current the Slack channel where an incident is worked."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from bot import channel_setup, paging, touched
from bot.containment import proposal
from bot.context import Context
from bot.escalation import hooks as escalation
from bot.slack import blocks, messages
from bot.slack.escape import mrkdwn
from storage import decisions, evidence, incidents
from storage.tables import Incident

logger = logging.getLogger(__name__)

# Setup can be resumed from several threads (a new alert, the leader's sweep);
# one lock per incident keeps two of them from posting the same stage twice.
_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
# Longer than a whole setup takes, so a replica that dies mid-way is not waited
# on for long; Slack's rate limits can stretch a setup to a minute.
_SETUP_HOLD = timedelta(minutes=2)


def open_room(ctx: Context, incident_id: int) -> None:
    """Create the channel and invite people, then set up the rest of the room."""
    _set_up(ctx, incident_id)


def finish_room(ctx: Context, incident_id: int) -> None:
    """Do whichever setup stages an earlier attempt did not get through."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or incident.status == "resolved":
        return
    _set_up(ctx, incident_id)


def _set_up(ctx: Context, incident_id: int) -> None:
    # The thread lock orders this process's callers; the claim in the database
    # keeps another replica's sweep from posting the same stage meanwhile.
    with _locks[incident_id]:
        if not incidents.claim_setup(
            ctx.engine, incident_id, now=ctx.clock(), hold=_SETUP_HOLD
        ):
            return
        try:
            _open(ctx, incident_id)
        finally:
            incidents.release_setup(ctx.engine, incident_id)


def _open(ctx: Context, incident_id: int) -> None:
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return
    if not incident.channel_id:
        try:
            _new_channel(ctx, incident)
        except Exception as exc:
            # No room yet (Slack refused or failed); the owner is paged anyway,
            # and the next alert or the leader's sweep tries the channel again.
            logger.warning(
                "channel not created incident=%s: %s", incident_id, exc, exc_info=True
            )
            channel_setup.record(
                ctx, incident_id, "channel.create_failed", error=type(exc).__name__
            )
            if incident.workload is not None and not decisions.pages_of(
                ctx.engine, incident_id
            ):
                _stage(
                    ctx,
                    incident_id,
                    "page",
                    partial(escalation.incident_opened, ctx, incident_id),
                )
            return
    _finish(ctx, incident_id)


def room_unfinished(incident: Incident, owned: bool) -> bool:
    """Tell whether a stage of the room's setup is still missing."""
    if not incident.channel_id or not incident.summary_ts:
        return True
    return owned and not (incident.scope_ts and incident.plan_ts)


def _new_channel(ctx: Context, incident: Incident) -> None:
    assert incident.id is not None
    workload = ctx.workload(incident.workload)
    channel_id, name = channel_setup.create_channel(ctx, incident)
    incidents.update_incident(
        ctx.engine, incident.id, channel_id=channel_id, channel_name=name
    )
    channel_setup.record(
        ctx, incident.id, "channel.created", channel=channel_id, name=name
    )
    logger.info(
        "channel created incident=%s workload=%s channel=%s",
        incident.id,
        incident.workload,
        channel_id,
    )
    # Each stage below is attempted once; a failure leaves the rest to go on.
    people = ctx.directory.roles(workload)
    invitees = channel_setup.invitees(ctx, people, workload)
    invite = partial(channel_setup.invite, ctx, incident.id, channel_id, invitees)
    _stage(ctx, incident.id, "invite", invite)
    _stage(
        ctx,
        incident.id,
        "topic",
        partial(channel_setup.set_topic, ctx, incident, channel_id),
    )


def _finish(ctx: Context, incident_id: int) -> None:
    incident = incidents.get_incident(ctx.engine, incident_id)
    assert incident is not None and incident.channel_id
    channel_id = incident.channel_id
    workload = ctx.workload(incident.workload)
    if not incident.summary_ts:
        _stage(
            ctx,
            incident_id,
            "summary",
            partial(_post_summary, ctx, incident_id, channel_id),
        )
    if workload is None:
        if not decisions.pages_of(ctx.engine, incident_id):
            _stage(
                ctx,
                incident_id,
                "unowned",
                partial(_unowned, ctx, incident_id, channel_id),
            )
        return
    # Pages the owner now (or the next rung at once if the owner is unknown to
    # Slack), tells PagerDuty, and sets the durable timers for the later rungs;
    # each rung is claimed once, so a second call pages nobody twice.
    if not decisions.pages_of(ctx.engine, incident_id):
        _stage(
            ctx,
            incident_id,
            "page",
            partial(escalation.incident_opened, ctx, incident_id),
        )
    if not incident.scope_ts:
        _stage(
            ctx,
            incident_id,
            "scope",
            partial(_post_scope, ctx, incident_id, channel_id),
        )
    if incident.plan_ts:
        return
    if ctx.settings.evidence_paths and evidence.latest(ctx.engine, incident_id) is None:
        # Before the plan, so that secrets the identity read become rotation
        # steps; tried once, as the plan must not wait on logs that fail.
        _attach_evidence(ctx, incident_id, channel_id)
    _stage(ctx, incident_id, "plan", partial(proposal.post_plan, ctx, incident_id))


def _stage(
    ctx: Context, incident_id: int, name: str, run: Callable[[], object]
) -> None:
    """Run one setup stage; log and audit a failure instead of stopping the rest."""
    try:
        run()
    except Exception as exc:
        logger.warning(
            "room stage %s failed incident=%s: %s",
            name,
            incident_id,
            exc,
            exc_info=True,
        )
        channel_setup.record(
            ctx, incident_id, "room.stage_failed", stage=name, error=type(exc).__name__
        )


def _post_scope(ctx: Context, incident_id: int, channel_id: str) -> None:
    incident = incidents.get_incident(ctx.engine, incident_id)
    workload = ctx.workload(incident.workload if incident else None)
    assert workload is not None
    text, scope_blocks = blocks.scope(workload, ctx.clock())
    response = ctx.slack.chat_postMessage(
        channel=channel_id, text=text, blocks=scope_blocks
    )
    incidents.update_incident(ctx.engine, incident_id, scope_ts=response["ts"])


def _unowned(ctx: Context, incident_id: int, channel_id: str) -> None:
    ctx.slack.chat_postMessage(channel=channel_id, text=messages.UNOWNED_NOTICE)
    _page_security_oncall(ctx, incident_id)


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


def _post_summary(ctx: Context, incident_id: int, channel_id: str) -> None:
    text, summary_blocks = summary_message(ctx, incident_id)
    response = ctx.slack.chat_postMessage(
        channel=channel_id, text=text, blocks=summary_blocks
    )
    ts = response["ts"]
    # Kept before pinning: a failed pin must not make a second summary later.
    incidents.update_incident(ctx.engine, incident_id, summary_ts=ts)
    ctx.slack.pins_add(channel=channel_id, timestamp=ts)


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
        identity_keys=[f"{kind}={value}" for kind, value in latest.keys.get("keys", [])]
        if latest
        else None,
    )


def refresh_summary(ctx: Context, incident_id: int) -> None:
    """Re-render the pinned summary, finishing the room first if setup stalled."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or not incident.channel_id:
        return
    if room_unfinished(incident, owned=incident.workload is not None):
        finish_room(ctx, incident_id)
        incident = incidents.get_incident(ctx.engine, incident_id)
        assert incident is not None
    if not incident.summary_ts:
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
    for rung, user in enumerate(channel_setup.members(ctx, group)):
        paging.page_person(
            ctx, incident_id, rung=rung, role="security_oncall", user_id=user
        )
