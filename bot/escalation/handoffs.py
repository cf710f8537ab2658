"""Escalate stalled handoffs: an undecided plan, a failed step nobody retried."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.containment.steps import StepSpec
from bot.context import Context
from bot.escalation import deliver, ladder
from bot.slack import messages
from bot.slack.escape import mrkdwn
from bot.slack.timefmt import duration
from storage import decisions, incidents, steps
from storage import escalation as store
from storage.tables import ContainmentStep, Incident

logger = logging.getLogger(__name__)


def may_stand_in(ctx: Context, incident_id: int, user_id: str) -> bool:
    """True if `user_id` is the fallback approver and was paged to decide."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    workload = ctx.workload(incident.workload if incident else None)
    if workload is None or not workload.fallback_approver:
        return False
    if ctx.directory.resolve(workload.fallback_approver) != user_id:
        return False
    return any(
        page.rung == ladder.FALLBACK_APPROVER_RUNG and page.target == user_id
        for page in decisions.pages_of(ctx.engine, incident_id)
    )


def check_approval(ctx: Context, incident_id: int) -> datetime | None:
    """Remind the approver, then page the fallback approver; return the next check."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or incident.status != "open" or not incident.plan_ts:
        return None
    if decisions.decision_of(ctx.engine, incident_id) is not None:
        return None
    workload = ctx.workload(incident.workload)
    if workload is None:
        return None
    timeout = timedelta(minutes=ctx.settings.approval_timeout_minutes)
    approver = ctx.directory.resolve(workload.approver)
    # The plan is posted as the room opens, so its clock starts with the incident.
    remind_at = incident.opened_at + timeout
    # Nobody to remind: hand over at once rather than wait a second timeout.
    fallback_at = remind_at + timeout if approver else remind_at
    now = ctx.clock()

    if approver and now >= remind_at:
        _remind_approver(ctx, incident, approver)
    if now >= fallback_at:
        _page_fallback(ctx, incident)
        return None
    return remind_at if now < remind_at else fallback_at


def _remind_approver(ctx: Context, incident: Incident, approver: str) -> None:
    assert incident.id is not None
    page_id = _claim(ctx, incident.id, ladder.APPROVAL_REMINDER_RUNG, approver)
    if page_id is None:
        return
    elapsed = duration(ctx.clock() - incident.opened_at)
    _hand_over(
        ctx,
        page_id,
        incident.id,
        approver,
        event="handoff.approval_reminded",
        now=ctx.clock(),
        notice=messages.APPROVAL_REMINDER_NOTICE.format(elapsed=elapsed, user=approver),
        text=_approval_text(ctx, incident),
        kind="approval_reminder",
    )


def _page_fallback(ctx: Context, incident: Incident) -> None:
    assert incident.id is not None
    workload = ctx.workload(incident.workload)
    assert workload is not None
    elapsed = duration(ctx.clock() - incident.opened_at)
    fallback = ctx.directory.resolve(workload.fallback_approver)
    if fallback is None:
        if store.note_once(
            ctx.engine, incident.id, "handoff.no_fallback_approver", now=ctx.clock()
        ):
            deliver.post_notice(
                ctx,
                incident.id,
                messages.NO_FALLBACK_APPROVER.format(
                    elapsed=elapsed, workload=mrkdwn(workload.name)
                ),
            )
        return
    page_id = _claim(ctx, incident.id, ladder.FALLBACK_APPROVER_RUNG, fallback)
    if page_id is None:
        return
    _hand_over(
        ctx,
        page_id,
        incident.id,
        fallback,
        event="handoff.fallback_approver_paged",
        now=ctx.clock(),
        notice=messages.FALLBACK_APPROVER_NOTICE.format(elapsed=elapsed, user=fallback),
        text=_fallback_text(ctx, incident),
        kind="fallback_approver",
    )


def _claim(ctx: Context, incident_id: int, rung: int, target: str) -> int | None:
    """Claim the page of `rung` to `target`; None if it was claimed before."""
    claim = store.claim_page(
        ctx.engine, incident_id=incident_id, rung=rung, target=target, stop_on_ack=False
    )
    return claim.page_id


def _hand_over(
    ctx: Context,
    page_id: int,
    incident_id: int,
    target: str,
    *,
    event: str,
    now: datetime,
    notice: str,
    text: str,
    kind: str,
    **facts: object,
) -> None:
    """Record a claimed page, say in the room who was paged, then send the page."""
    store.record(ctx.engine, incident_id, event, now=now, user=target, **facts)
    deliver.post_notice(ctx, incident_id, notice)
    deliver.send(ctx, page_id, incident_id, target, text, kind=kind)


def check_stalled_steps(ctx: Context) -> None:
    """Remind the approver once per failure of a step nobody retried in time."""
    now = ctx.clock()
    cutoff = now - timedelta(minutes=ctx.settings.stalled_step_minutes)
    for step in store.stalled_steps(ctx.engine, failed_before=cutoff):
        assert step.id is not None
        incident = incidents.get_incident(ctx.engine, step.incident_id)
        workload = ctx.workload(incident.workload if incident else None)
        approver = ctx.directory.resolve(workload.approver) if workload else None
        if incident is None or approver is None:
            continue
        rung = ladder.stalled_step_rung(step.id, step.attempts)
        page_id = _claim(ctx, step.incident_id, rung, approver)
        if page_id is None:
            continue
        elapsed = duration(now - step.finished_at) if step.finished_at else "a while"
        notice = messages.STALLED_STEP_NOTICE.format(
            position=step.position + 1, elapsed=elapsed, user=approver
        )
        _hand_over(
            ctx,
            page_id,
            step.incident_id,
            approver,
            event="handoff.stalled_step_reminded",
            now=now,
            notice=notice,
            text=_stalled_text(ctx, incident, step),
            kind="stalled_step",
            step=step.key,
            attempts=step.attempts,
        )


def retry_failed(ctx: Context, incident_id: int) -> None:
    """Send again the handoff reminders whose send failed."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return
    for page in store.failed_pages(ctx.engine, incident_id):
        if page.rung < ladder.LADDER_RUNGS or page.id is None:
            continue
        text = _text_for(ctx, incident, page.rung)
        if text is None:
            continue
        claim = store.reclaim_failed_page(ctx.engine, page.id, stop_on_ack=False)
        if claim.page_id is not None:
            deliver.send(ctx, page.id, incident_id, page.target, text, kind="retry")


def _text_for(ctx: Context, incident: Incident, rung: int) -> str | None:
    if rung == ladder.APPROVAL_REMINDER_RUNG:
        return _approval_text(ctx, incident)
    if rung == ladder.FALLBACK_APPROVER_RUNG:
        return _fallback_text(ctx, incident)
    step_id = (rung - ladder.STALLED_STEP_RUNGS) // 100
    step = steps.get_step(ctx.engine, step_id)
    return _stalled_text(ctx, incident, step) if step else None


def _approval_text(ctx: Context, incident: Incident) -> str:
    return messages.APPROVAL_REMINDER.format(
        workload=mrkdwn(incident.workload or "the workload"),
        elapsed=duration(ctx.clock() - incident.opened_at),
        channel=incident.channel_id,
    )


def _fallback_text(ctx: Context, incident: Incident) -> str:
    return messages.FALLBACK_APPROVER_PAGE.format(
        workload=mrkdwn(incident.workload or "the workload"),
        elapsed=duration(ctx.clock() - incident.opened_at),
        channel=incident.channel_id,
    )


def _stalled_text(ctx: Context, incident: Incident, step: ContainmentStep) -> str:
    elapsed = duration(ctx.clock() - (step.finished_at or ctx.clock()))
    return messages.STALLED_STEP.format(
        position=step.position + 1,
        title=_title(StepSpec.from_json(step.spec)),
        workload=mrkdwn(incident.workload or "the workload"),
        elapsed=elapsed,
        channel=incident.channel_id,
    )


def _title(spec: StepSpec) -> str:
    return mrkdwn(f"{spec.action.replace('_', ' ')} on {spec.target}", limit=200)
