"""Run approved steps in parallel, each exactly once, and post each result."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.containment import progress
from bot.containment.steps import StepOutcome, StepSpec
from bot.context import Context
from bot.incident_room import refresh_summary
from bot.slack import messages
from bot.slack.escape import mrkdwn
from bot.slack.timefmt import duration
from storage import decisions, incidents, steps
from storage.tables import ContainmentStep

logger = logging.getLogger(__name__)

# A step still "running" this long after it started belongs to a process that
# died: connector calls time out well within it.
STALE_AFTER = timedelta(minutes=10)

# Steps in one plan touch different targets, so they run side by side; the cap
# keeps one huge plan from exhausting connections to one provider.
_PARALLEL_STEPS = 8


def run_pending(ctx: Context, incident_id: int) -> None:
    """Claim and run every pending step of the incident, then report the outcome."""
    pending = [
        s for s in steps.steps_of(ctx.engine, incident_id) if s.status == "pending"
    ]
    if pending:
        with ThreadPoolExecutor(
            max_workers=min(_PARALLEL_STEPS, len(pending)), thread_name_prefix="step"
        ) as pool:
            list(pool.map(lambda step: _run_one(ctx, step), pending))
    _conclude(ctx, incident_id)


def _run_one(ctx: Context, step: ContainmentStep) -> None:
    assert step.id is not None
    # The conditional update is the exactly-once guarantee: a double click, a
    # Slack retry or another replica finds the step no longer pending.
    if not steps.claim_step(ctx.engine, step.id, now=ctx.clock()):
        return
    progress.request(ctx, step.incident_id)
    spec = StepSpec.from_json(step.spec)
    logger.info("step running incident=%s step=%s", step.incident_id, step.key)
    try:
        outcome = ctx.connectors.run(
            spec, now=ctx.clock(), dry_run=ctx.settings.dry_run
        )
    except Exception:
        # A claimed step must always finish, or it would look running forever.
        logger.exception(
            "connector raised incident=%s step=%s", step.incident_id, step.key
        )
        outcome = StepOutcome(False, messages.STEP_CRASHED)
    steps.finish_step(
        ctx.engine,
        step,
        ok=outcome.ok,
        detail=outcome.detail,
        evidence=outcome.evidence,
        actor=f"connector:{spec.connector}",
        now=ctx.clock(),
    )
    logger.info(
        "step %s incident=%s step=%s",
        "succeeded" if outcome.ok else "failed",
        step.incident_id,
        step.key,
    )
    progress.request(ctx, step.incident_id)


def _conclude(ctx: Context, incident_id: int) -> None:
    rows = steps.steps_of(ctx.engine, incident_id)
    ran = [s for s in rows if s.status != "skipped"]
    if not ran or any(s.status in ("pending", "running") for s in ran):
        return
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return
    failed = [s for s in ran if s.status == "failed"]
    name = mrkdwn(incident.workload or "the workload")
    if failed:
        text = messages.PARTLY_CONTAINED.format(
            failed=len(failed), count=len(ran), workload=name
        )
    else:
        now = ctx.clock()
        # Only an open incident becomes contained: one resolved meanwhile stays so.
        if not incidents.mark_contained(ctx.engine, incident_id, now=now):
            return
        text = messages.CONTAINED.format(
            workload=name, elapsed=duration(now - incident.opened_at)
        )
        logger.info("contained incident=%s workload=%s", incident_id, incident.workload)
    progress.request(ctx, incident_id)
    if not incident.channel_id:
        return
    try:
        refresh_summary(ctx, incident_id)
        ctx.slack.chat_postMessage(channel=incident.channel_id, text=text)
    except SlackApiError as exc:
        # The database already says contained; the summary shows it next time.
        logger.warning(
            "outcome not posted incident=%s error=%s",
            incident_id,
            exc.response.get("error"),
        )


def reconcile(ctx: Context) -> None:
    """Finish what an earlier process left: approved steps waiting or stranded."""
    requeued = steps.requeue_stale(ctx.engine, started_before=ctx.clock() - STALE_AFTER)
    waiting = steps.incidents_with_pending_steps(ctx.engine)
    for incident_id in sorted(set(requeued) | set(waiting)):
        logger.warning("resuming approved steps incident=%s", incident_id)
        run_pending(ctx, incident_id)


def retry(ctx: Context, step_id: int, user_id: str) -> str | None:
    """Put a failed step back to pending and run it; return a refusal or None."""
    step = steps.get_step(ctx.engine, step_id)
    incident = incidents.get_incident(ctx.engine, step.incident_id) if step else None
    workload = ctx.workload(incident.workload if incident else None)
    approver = ctx.directory.resolve(workload.approver) if workload else None
    if step is None:
        return messages.STEP_RETRY_REFUSED
    if approver is None or user_id != approver:
        decisions.record_refusal(
            ctx.engine,
            incident_id=step.incident_id,
            user_id=user_id,
            action="retry",
            reason="not the approver",
            now=ctx.clock(),
        )
        return messages.STEP_RETRY_REFUSED
    if steps.reopen_failed_step(ctx.engine, step_id, user_id=user_id, now=ctx.clock()):
        ctx.background.run("retry-step", run_pending, ctx, step.incident_id)
    return None
