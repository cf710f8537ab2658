"""Climb an incident's ladder: send what is due, once, and say when the next is."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import Context
from bot.escalation import deliver, ladder
from bot.escalation.ladder import Step
from bot.slack import messages
from bot.slack.timefmt import duration
from storage import escalation as store
from storage import incidents
from storage.tables import Incident

logger = logging.getLogger(__name__)

# The on-call group is paged member by member; a bigger group is cut, not spammed.
_MAX_GROUP = ladder.RUNG_STRIDE


def advance(ctx: Context, incident_id: int) -> tuple[int, datetime] | None:
    """Send every due, unsent rung and retry failed pages; return the next step.

    Safe to call from any timer, the sweep or a test at any time: each page is
    claimed before it is sent, and nothing is sent once someone acknowledged.
    """
    incident = incidents.get_incident(ctx.engine, incident_id)
    # Pages go out even when Slack refused to make the room: a page without a
    # channel link is better than nobody paged while the room is retried.
    if incident is None:
        return None
    if store.is_stopped(ctx.engine, incident_id):
        return None
    try:
        targets = _targets(ctx, incident)
    except (SlackApiError, SlackClientError, OSError) as exc:
        logger.warning(
            "escalation waits incident=%s: people not resolved (%s)",
            incident_id,
            type(exc).__name__,
        )
        return None

    workload = ctx.workload(incident.workload)
    steps = ladder.steps_for(ctx.settings, workload)
    now = ctx.clock()
    _retry_failed(ctx, incident_id, steps, targets)
    planned = ladder.due_times(
        steps, incident.opened_at, lambda step: bool(targets[step.role])
    )
    for step, due in planned:
        if due > now:
            return step.index, due
        if not targets[step.role]:
            _note_unreachable(ctx, incident_id, step)
            continue
        if not _climb(ctx, incident, step, due, targets[step.role]):
            return None
    _note_exhausted(ctx, incident_id, steps)
    return None


def _targets(ctx: Context, incident: Incident) -> dict[str, list[str]]:
    workload = ctx.workload(incident.workload)
    people = ctx.directory.roles(workload)
    group = ctx.settings.security_oncall or (
        workload.teams.security if workload else None
    )
    return {
        "owner": [p for p in [people["owner"]] if p],
        "fallback_owner": [p for p in [people["fallback_owner"]] if p],
        "approver": [p for p in [people["approver"]] if p],
        "security_oncall": _members(ctx, group),
    }


def _members(ctx: Context, group: str | None) -> list[str]:
    if not group:
        return []
    if not group.startswith("S"):
        person = ctx.directory.resolve(group)
        return [person] if person else []
    users = ctx.slack.usergroups_users_list(usergroup=group)["users"]
    return list(users)[:_MAX_GROUP]


def _climb(
    ctx: Context, incident: Incident, step: Step, due: datetime, people: list[str]
) -> bool:
    """Page everyone of one due step; False once the incident was acknowledged."""
    assert incident.id is not None
    for member, user in enumerate(people):
        claim = store.claim_page(
            ctx.engine, incident_id=incident.id, rung=step.rung(member), target=user
        )
        if claim.stopped:
            return False
        if claim.page_id is None:
            continue
        now = ctx.clock()
        late = now - due
        is_late = late.total_seconds() > ctx.settings.late_after_seconds
        store.record(
            ctx.engine,
            incident.id,
            "page.reminder" if step.cycle else "escalation.paged",
            now=now,
            role=step.role,
            user=user,
            step=step.index,
            round=step.cycle + 1,
            late_seconds=round(late.total_seconds()) if is_late else 0,
        )
        logger.info(
            "escalation incident=%s step=%s role=%s user=%s late=%s",
            incident.id,
            step.index,
            step.role,
            user,
            is_late,
        )
        # The page first: the channel's note is only its echo.
        deliver.page_dm(ctx, claim.page_id, incident.id, role=step.role, user_id=user)
        if member == 0 and step.index > 0:
            _announce(ctx, incident, step, people, late if is_late else None)
    return True


def _announce(
    ctx: Context,
    incident: Incident,
    step: Step,
    people: list[str],
    late: timedelta | None,
) -> None:
    assert incident.id is not None
    template = messages.REMINDED if step.cycle else messages.ESCALATED
    text = template.format(
        elapsed=duration(ctx.clock() - incident.opened_at),
        role=deliver.ROLE_NAMES.get(step.role, step.role),
        people=", ".join(f"<@{p}>" for p in people[:10]),
        round=step.cycle + 1,
    )
    if late is not None:
        text += messages.LATE.format(late=duration(late))
    deliver.post_notice(ctx, incident.id, text)


def _retry_failed(
    ctx: Context, incident_id: int, steps: list[Step], targets: dict[str, list[str]]
) -> None:
    for page in store.failed_pages(ctx.engine, incident_id):
        if page.rung >= ladder.LADDER_RUNGS or page.id is None:
            continue
        index = page.rung // ladder.RUNG_STRIDE
        role = steps[index].role if index < len(steps) else "owner"
        claim = store.reclaim_failed_page(ctx.engine, page.id)
        if claim.stopped:
            return
        if claim.page_id is None:
            continue
        store.record(
            ctx.engine,
            incident_id,
            "page.retried",
            now=ctx.clock(),
            user=page.target,
            rung=page.rung,
            previous_error=page.error,
        )
        deliver.page_dm(ctx, page.id, incident_id, role=role, user_id=page.target)


def _note_unreachable(ctx: Context, incident_id: int, step: Step) -> None:
    if store.note_once(
        ctx.engine,
        incident_id,
        "escalation.unreachable",
        now=ctx.clock(),
        role=step.role,
        step=step.index,
    ):
        logger.warning(
            "escalation skips incident=%s role=%s: nobody to page",
            incident_id,
            step.role,
        )
        if step.cycle == 0:
            role = deliver.ROLE_NAMES.get(step.role, step.role)
            deliver.post_notice(
                ctx, incident_id, messages.UNREACHABLE.format(role=role)
            )


def _note_exhausted(ctx: Context, incident_id: int, steps: list[Step]) -> None:
    rounds = steps[-1].cycle + 1 if steps else 0
    if store.note_once(
        ctx.engine, incident_id, "escalation.exhausted", now=ctx.clock(), rounds=rounds
    ):
        logger.warning("escalation exhausted incident=%s", incident_id)
        deliver.post_notice(ctx, incident_id, messages.EXHAUSTED.format(rounds=rounds))
