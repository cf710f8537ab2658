"""Resolve an incident, undoing the reversible steps when the approver says so."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import channel_setup
from bot.containment import progress
from bot.containment.steps import StepSpec
from bot.context import Context
from bot.escalation import hooks as escalation
from bot.slack import messages, plan_blocks
from bot.slack.escape import mrkdwn
from storage import decisions, incidents, resolution, steps

logger = logging.getLogger(__name__)


def offer(ctx: Context, incident_id: int, user_id: str) -> str | None:
    """Post the resolve choice in the channel; return a refusal, or None."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or not incident.channel_id:
        return messages.NOT_AN_INCIDENT_CHANNEL
    if incident.status == "resolved":
        return messages.ALREADY_RESOLVED
    reversible = _reversible(ctx, incident_id)
    text, blocks = plan_blocks.resolve_choice(incident_id, [s for _, s in reversible])
    ctx.slack.chat_postMessage(channel=incident.channel_id, text=text, blocks=blocks)
    return None


def resolve(ctx: Context, incident_id: int, user_id: str, *, undo: bool) -> str | None:
    """Resolve as the approver chose; return a private refusal or None."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return messages.ALREADY_RESOLVED
    allowed = _resolvers(ctx, incident.workload)
    if user_id not in allowed:
        reason = "not a resolver" if allowed else "nobody can be resolved in Slack"
        decisions.record_refusal(
            ctx.engine,
            incident_id=incident_id,
            user_id=user_id,
            action="resolve",
            reason=reason,
            now=ctx.clock(),
        )
        return messages.RESOLVE_REFUSED
    if any(
        s.status in ("pending", "running")
        for s in steps.steps_of(ctx.engine, incident_id)
    ):
        return messages.RESOLVE_WHILE_RUNNING
    if not resolution.resolve(
        ctx.engine, incident_id, user_id=user_id, undo=undo, now=ctx.clock()
    ):
        return messages.ALREADY_RESOLVED
    logger.info("resolved incident=%s user=%s undo=%s", incident_id, user_id, undo)
    escalation.incident_resolved(ctx, incident_id)

    undone = failed = 0
    if undo:
        for step_id, spec in _reversible(ctx, incident_id):
            ok = _undo_one(ctx, step_id, spec, user_id)
            undone, failed = undone + ok, failed + (not ok)
        progress.refresh(ctx, incident_id)
    if incident.channel_id:
        said = messages.RESOLVED.format(user=user_id)
        if undo:
            said += " " + messages.UNDONE.format(undone=undone, failed=failed)
        try:
            ctx.slack.chat_postMessage(channel=incident.channel_id, text=said)
        except SlackApiError as exc:
            logger.warning("resolution not posted incident=%s: %s", incident_id, exc)
    return None


def _resolvers(ctx: Context, workload_name: str | None) -> set[str]:
    """Who may resolve: the approver and fallback approver, or security on-call.

    A person Slack cannot find adds nobody: an unknown approver must not leave
    resolving (and undoing containment) open to everyone in the channel.
    """
    workload = ctx.workload(workload_name)
    if workload is not None:
        named = (workload.approver, workload.fallback_approver)
        return {user for p in named if p and (user := ctx.directory.resolve(p))}
    group = ctx.settings.security_oncall
    return set(channel_setup.members(ctx, group)) if group else set()


def _reversible(ctx: Context, incident_id: int) -> list[tuple[int, StepSpec]]:
    rows = []
    for row in steps.steps_of(ctx.engine, incident_id):
        spec = StepSpec.from_json(row.spec)
        if row.status == "succeeded" and spec.reversible and row.id is not None:
            rows.append((row.id, spec))
    return rows


def _undo_one(ctx: Context, step_id: int, spec: StepSpec, user_id: str) -> bool:
    if not resolution.claim_undo(ctx.engine, step_id, now=ctx.clock()):
        return True
    row = steps.get_step(ctx.engine, step_id)
    assert row is not None
    try:
        outcome = ctx.connectors.undo(spec, evidence=row.evidence)
    except Exception:
        logger.exception("undo raised incident=%s step=%s", row.incident_id, row.key)
        outcome_ok, detail = False, messages.STEP_CRASHED
    else:
        outcome_ok, detail = outcome.ok, outcome.detail
    resolution.finish_undo(
        ctx.engine,
        row,
        ok=outcome_ok,
        detail=detail,
        actor=f"connector:{spec.connector}",
        now=ctx.clock(),
    )
    logger.info("undo %s step=%s", "done" if outcome_ok else "failed", mrkdwn(row.key))
    return outcome_ok
