"""What the rest of containbot tells escalation: opened, acknowledged."""

from __future__ import annotations

import logging

from bot.context import Context
from bot.escalation import pagerduty, scheduler
from storage import escalation as store
from storage import incidents

logger = logging.getLogger(__name__)


def incident_opened(ctx: Context, incident_id: int) -> None:
    """Tell PagerDuty, page the first rung now and set the ladder's timers."""
    # PagerDuty is queued and sent on its own thread before any Slack page.
    pagerduty.notify(ctx, incident_id, "trigger")
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return
    scheduler.climb_and_schedule(ctx, incident_id)
    scheduler.schedule_approval(ctx, incident_id, incident.opened_at)


def acknowledged(ctx: Context, incident_id: int, user_id: str) -> None:
    """Stop the ladder, record time to acknowledge and tell PagerDuty."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or incident.acknowledged_at is None:
        return
    seconds = (incident.acknowledged_at - incident.opened_at).total_seconds()
    store.record(
        ctx.engine,
        incident_id,
        "escalation.stopped",
        now=ctx.clock(),
        by=user_id,
        seconds_to_acknowledge=round(seconds, 3),
    )
    logger.info(
        "escalation stopped incident=%s user=%s seconds_to_ack=%.0f",
        incident_id,
        user_id,
        seconds,
    )
    runtime = scheduler.runtime_for(ctx)
    if runtime is not None:
        # The timers would find the ack and do nothing; removing them keeps
        # the job store small.
        runtime.cancel(incident_id)
    pagerduty.notify(ctx, incident_id, "acknowledge")


def incident_resolved(ctx: Context, incident_id: int) -> None:
    """Tell PagerDuty; the sweep does the same for incidents resolved elsewhere."""
    pagerduty.notify(ctx, incident_id, "resolve")
