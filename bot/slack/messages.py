"""Every sentence a person reads in Slack, in one place for review.

Anything interpolated here that came from an alert or the catalog is escaped by the
caller (see bot.slack.escape) before it is passed in.
"""

from __future__ import annotations

HELP = (
    "*containbot* contains a compromised workload's identity.\n"
    "• `/contain <workload> [reason]`: open an incident by hand and page its owner.\n"
    "• `/contain status`: in an incident channel, show the incident's state.\n"
    "• `/contain plan`: in an incident channel, show the plan's dry run: the exact "
    "API calls each step would make.\n"
    "• `/contain ack`: in an incident channel, acknowledge the page and stop the "
    "escalation.\n"
    "• `/contain resolve`: in an incident channel, offer the incident commander to "
    "resolve it, undoing the steps that can be undone or keeping them.\n"
    "• `/contain help`: this list.\n"
    "Workloads, owners and approvers come from the catalog; "
    "`containbot catalog check` reports its gaps."
)

UNKNOWN_WORKLOAD = (
    "No workload named {name} is in the catalog. Known workloads: {known}."
)
USAGE = "Usage: `/contain <workload> [reason]`. `/contain help` lists the commands."
OPENING = "Opening an incident for {workload}; the owner is being paged."
OPENING_NO_OWNER = (
    "Opening an incident for {workload}. The catalog names no owner for it, so the "
    "page goes to the next person named, then to security on-call."
)
ALREADY_OPEN = "{workload} already has an open incident: <#{channel}>."
ALREADY_OPEN_NO_CHANNEL = (
    "{workload} already has an open incident (#{id}); its channel is being set up."
)
NOT_AN_INCIDENT_CHANNEL = "This command only works inside an incident channel."

TOPIC = "{severity} · {workload} · incident {id} · {title}"

PAGE_TEXT = "You are paged for a compromised workload: {workload}."
PAGE_INTRO = (
    ":rotating_light: *You are paged as {role} of {workload}.*\n"
    "{title}\nThe identity can still call APIs until it is contained. "
    "{join}"
)
PAGE_JOIN = "Join <#{channel}> and acknowledge."
PAGE_NO_CHANNEL = "Acknowledge here; the incident channel is still being set up."
PAGE_ACKNOWLEDGED = ":white_check_mark: Acknowledged by <@{user}>. Thank you."

ACK_POSTED = ":white_check_mark: <@{user}> acknowledged the page after {elapsed}."
ACK_ALREADY = "Already acknowledged by <@{user}>."
ACK_NOT_PAGED = (
    "Only people named for {workload} (owner, fallback owner, approver) "
    "acknowledge its page."
)

PLAN_TEXT = "Containment plan for {workload}: {count} steps await the approver."
PLAN_APPROVER = "Only <@{approver}>, the designated incident commander, can approve."
PLAN_NO_APPROVER = (
    ":warning: The catalog names no approver for {workload}, so nobody can "
    "approve this plan. Add `approver:` to the catalog entry."
)
CONFIRM_TITLE = "Approve containment?"
REJECT_CONFIRM = "Nothing will be changed, and this plan cannot be approved afterwards."
CONFIRM_TEXT = (
    "This runs the ticked steps (of {count} offered) against {workload} now. "
    "Steps that touch shared credentials also affect the workloads they name."
)

REFUSED = (
    "You cannot {action} this plan: only <@{approver}>, the designated incident "
    "commander for {workload}, can. Your attempt was recorded."
)
REFUSED_NO_APPROVER = (
    "Nobody can {action} this plan: the catalog names no approver for {workload}. "
    "Your attempt was recorded."
)
ALREADY_DECIDED = (
    "This plan was already {decision} by <@{user}>; nothing was run again."
)
APPROVED = ":white_check_mark: <@{user}> approved {count} steps. Running them now."
REJECTED = ":no_entry: <@{user}> rejected the plan. Nothing was changed."

STEP_RUNNING = ":hourglass_flowing_sand: Step {position}: {title}: running."
STEP_SUCCEEDED = ":white_check_mark: Step {position}: {title}: done. {detail}"
STEP_FAILED = ":x: Step {position}: {title}: failed. {detail}"
STEP_RETRY_REFUSED = "Only the approver can retry a step."
CONTAINED = (
    ":lock: {workload} is contained: every approved step succeeded, "
    "{elapsed} after the first alert."
)
PARTLY_CONTAINED = (
    ":warning: {failed} of {count} steps failed for {workload}. "
    "The approver can retry each failed step."
)

UNOWNED_NOTICE = (
    ":warning: This alert matched no workload in the catalog, so nobody owns it "
    "yet. Security on-call is paged."
)
INTERNAL_ERROR = (
    "Something went wrong on our side (reference {reference}). "
    "The error is logged under that reference."
)

EVIDENCE_FAILED = (
    ":warning: The activity logs could not be read, so what the identity touched is "
    "not shown: {reason}"
)
EVIDENCE_ROTATE_CHANGE = (
    "Put a new random value in Secrets Manager secret {name} as AWSCURRENT. "
    "The activity logs show this identity read it, though the catalog does not "
    "list it among the workload's secrets."
)

STOP_NOT_DEFAULT = (
    ":octagonal_sign: Not ticked by default: stopping the workload is a separate "
    "choice because it can break the flows that depend on it."
)
STEP_CRASHED = (
    "The connector failed in an unexpected way; the error is in containbot's log. "
    "The step can be retried."
)
RETRY_HINT = "Only the approver can retry a failed step; connectors are idempotent."
NOTHING_SELECTED = "Tick at least one step before approving; nothing was recorded."

# Escalation: pages after the first, reminders, handoffs.
ESCALATED = (
    ":rotating_light: No acknowledgement after {elapsed}: paging the {role}, {people}."
)
REMINDED = (
    ":bell: Still no acknowledgement after {elapsed}: round {round}, paging the "
    "{role}, {people}, again."
)
LATE = " This page is {late} late: containbot was not running when it was due."
UNREACHABLE = (
    ":warning: The {role} cannot be paged: the catalog names nobody Slack knows. "
    "Moving on to the next rung now."
)
EXHAUSTED = (
    ":warning: Nobody acknowledged after {rounds} round(s) of pages. "
    "Type `/contain ack` here when you take the incident."
)
ACK_BY_COMMAND = "You acknowledged the incident; the escalation has stopped."
APPROVAL_REMINDER = (
    ":hourglass: The containment plan for {workload} has waited {elapsed} for your "
    "decision in <#{channel}>. Until someone approves, its identity can still call "
    "APIs."
)
APPROVAL_REMINDER_NOTICE = (
    ":hourglass: The plan has waited {elapsed} for a decision; <@{user}> was reminded."
)
FALLBACK_APPROVER_PAGE = (
    ":rotating_light: The containment plan for {workload} has waited {elapsed} "
    "without a decision. As its fallback incident commander you may now approve or "
    "reject it in <#{channel}>."
)
FALLBACK_APPROVER_NOTICE = (
    ":rotating_light: No decision after {elapsed}: <@{user}>, the fallback incident "
    "commander, is paged and may now approve or reject the plan."
)
NO_FALLBACK_APPROVER = (
    ":warning: No decision after {elapsed}, and the catalog names no "
    "`fallback_approver` for {workload}."
)
STALLED_STEP = (
    ":warning: Step {position} ({title}) of the containment of {workload} failed "
    "{elapsed} ago and nobody has retried it. Retry it or decide what to do in "
    "<#{channel}>."
)
STALLED_STEP_NOTICE = (
    ":warning: Step {position} failed {elapsed} ago and is not retried; "
    "<@{user}> was reminded."
)

RESOLVE_TEXT = "Resolve this incident?"
RESOLVE_PROMPT = (
    "*Resolve this incident.* The incident commander chooses whether to undo the "
    "steps that can be undone:\n{steps}\n:warning: Undoing gives the identity its "
    "access back: re-enabled keys and restored bindings work for whoever holds "
    "them. Undo only once the credentials were replaced or the attacker is out."
)
RESOLVE_NOTHING_TO_UNDO = "*Resolve this incident.* No step can be undone."
RESOLVE_REFUSED = (
    "Only the incident commander or the fallback approver (security on-call for an "
    "unowned incident) can resolve this incident. Your attempt was recorded."
)
RESOLVE_WHILE_RUNNING = (
    "Steps are still running; resolve the incident once they have finished."
)
ALREADY_RESOLVED = "This incident is already resolved."
RESOLVED = ":white_check_mark: <@{user}> resolved the incident."
UNDONE = "{undone} step(s) undone, {failed} could not be undone (see the progress)."
RESOLVE_OFFERED = "The resolve choice is posted in the channel for the commander."
