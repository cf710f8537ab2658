"""Approve or reject a plan: only the designated approver, and only once."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.containment import progress, runner
from bot.containment.proposal import planned_specs
from bot.context import Context
from bot.escalation import handoffs
from bot.slack import messages, plan_blocks
from bot.slack.escape import mrkdwn
from storage import decisions, incidents

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """What the clicking person is told privately; empty when the channel says it."""

    accepted: bool
    reply: str = ""


def decide(
    ctx: Context,
    incident_id: int,
    user_id: str,
    decision: str,
    *,
    selected: list[int] | None = None,
) -> Decision:
    """Record `approved` or `rejected` by `user_id`, then run the approved steps.

    `selected` holds the plan positions the approver left ticked; None means the
    click carried no choice, and the default selection applies.
    """
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return Decision(False, "That incident no longer exists.")
    workload = ctx.workload(incident.workload)
    approver = ctx.directory.resolve(workload.approver) if workload else None
    if user_id != approver and handoffs.may_stand_in(ctx, incident_id, user_id):
        # The approval timer fired and paged the catalog's fallback approver.
        approver = user_id
    action = "approve" if decision == "approved" else "reject"
    name = mrkdwn(incident.workload or "this workload")

    if approver is None or user_id != approver:
        reason = "no approver is named" if approver is None else "not the approver"
        decisions.record_refusal(
            ctx.engine,
            incident_id=incident_id,
            user_id=user_id,
            action=action,
            reason=reason,
            now=ctx.clock(),
        )
        logger.info(
            "refused incident=%s user=%s action=%s reason=%s",
            incident_id,
            user_id,
            action,
            reason,
        )
        template = (
            messages.REFUSED_NO_APPROVER if approver is None else messages.REFUSED
        )
        return Decision(
            False, template.format(action=action, approver=approver, workload=name)
        )

    specs = planned_specs(ctx, incident_id)
    if selected is None:
        selected = plan_blocks.default_selection(specs)
    approved_keys = [specs[i].key for i in selected] if decision == "approved" else []
    if decision == "approved" and not approved_keys:
        return Decision(False, messages.NOTHING_SELECTED)
    recorded = decisions.record_decision(
        ctx.engine,
        incident_id=incident_id,
        user_id=user_id,
        decision=decision,
        step_keys=approved_keys,
        now=ctx.clock(),
    )
    if recorded is None:
        first = decisions.decision_of(ctx.engine, incident_id)
        assert first is not None
        if first.decision == "approved":
            # Approved steps left waiting (a crash, a failed Slack call) run now;
            # each step's claim still makes sure none runs twice.
            ctx.background.run("resume-plan", runner.run_pending, ctx, incident_id)
        return Decision(
            False,
            messages.ALREADY_DECIDED.format(
                decision=first.decision, user=first.user_id
            ),
        )

    logger.info("plan %s incident=%s user=%s", decision, incident_id, user_id)
    if decision == "approved":
        # The steps start whatever happens to the Slack messages below.
        ctx.background.run("run-plan", _run_approved, ctx, incident_id)
        said = messages.APPROVED.format(user=user_id, count=len(approved_keys))
    else:
        said = messages.REJECTED.format(user=user_id)
    if incident.channel_id and incident.plan_ts:
        try:
            ctx.slack.chat_update(
                channel=incident.channel_id,
                ts=incident.plan_ts,
                text=said,
                blocks=plan_blocks.plan_decided(specs, said, approved_keys),
            )
        except SlackApiError as exc:
            logger.warning(
                "plan message not updated incident=%s error=%s",
                incident_id,
                exc.response.get("error"),
            )
    return Decision(True)


def _run_approved(ctx: Context, incident_id: int) -> None:
    # The steps start now; the progress message is posted beside them, so a
    # slow or rate-limited Slack never delays containment.
    ctx.background.run("progress-post", _post_progress, ctx, incident_id)
    runner.run_pending(ctx, incident_id)


def _post_progress(ctx: Context, incident_id: int) -> None:
    try:
        progress.post(ctx, incident_id)
    except SlackApiError as exc:
        logger.warning(
            "progress message not posted incident=%s error=%s",
            incident_id,
            exc.response.get("error"),
        )
        return
    # Steps that changed before the message existed had nothing to update.
    progress.request(ctx, incident_id)
