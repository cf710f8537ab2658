"""The escalation ladder's rules: who is paged at which rung, and when."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.catalog.model import Workload
from bot.settings import Settings

# Who each rung pages, in order; the first is paged when the incident opens.
ROLES = ("owner", "fallback_owner", "approver", "security_oncall")

# A Page row's rung encodes ladder step * RUNG_STRIDE + the member's index in a
# user group, so each member of the on-call group gets one page per step. The
# handoff pages live far above any ladder rung.
RUNG_STRIDE = 100
LADDER_RUNGS = 10_000
APPROVAL_REMINDER_RUNG = 10_000
FALLBACK_APPROVER_RUNG = 10_001
STALLED_STEP_RUNGS = 20_000
_STALL_ATTEMPTS = 100


@dataclass(frozen=True)
class Step:
    """One rung of the ladder, expanded over its repeats."""

    index: int
    role: str
    cycle: int
    offset: timedelta

    def rung(self, member: int = 0) -> int:
        return self.index * RUNG_STRIDE + member


def minutes_for(settings: Settings, workload: Workload | None) -> tuple[float, ...]:
    """Pick the ladder's minutes: the most urgent of the workload's criticalities."""
    by_criticality = settings.escalation_by_criticality
    choices = [
        by_criticality[c.value]
        for c in (workload.criticality if workload else ())
        if by_criticality.get(c.value)
    ]
    if not choices:
        return settings.escalation_minutes
    return min(choices, key=lambda minutes: minutes[0])


def steps_for(settings: Settings, workload: Workload | None) -> list[Step]:
    """Expand the ladder and its repeats into steps with offsets from the opening."""
    minutes = minutes_for(settings, workload)
    if workload is None:
        # Nobody owns it: security on-call is paged at once and reminded.
        roles: tuple[str, ...] = ("security_oncall",)
        offsets: tuple[float, ...] = (0.0,)
        period = minutes[0]
    else:
        roles = ROLES
        offsets = (0.0, *minutes)
        # The next round starts one first interval after the last rung, so the
        # owner is reminded as long after security on-call as after the first page.
        period = offsets[min(len(offsets), len(roles)) - 1] + minutes[0]
    pairs = list(zip(roles, offsets, strict=False))
    return [
        Step(
            index=cycle * len(pairs) + position,
            role=role,
            cycle=cycle,
            offset=timedelta(minutes=cycle * period + offset),
        )
        for cycle in range(settings.escalation_repeats + 1)
        for position, (role, offset) in enumerate(pairs)
    ]


def due_times(
    steps: list[Step], opened_at: datetime, reachable: Callable[[Step], bool]
) -> list[tuple[Step, datetime]]:
    """Give each step its due time; a step nobody can be paged for hands on at once.

    An owner whose e-mail matches no Slack user must not cost five minutes: the
    next rung becomes due when the unreachable one was.
    """
    result: list[tuple[Step, datetime]] = []
    carried: datetime | None = None
    for step in steps:
        planned = opened_at + step.offset
        due = min(planned, carried) if carried is not None else planned
        result.append((step, due))
        carried = None if reachable(step) else due
    return result


def stalled_step_rung(step_id: int, attempts: int) -> int:
    """The reminder rung for one failure of one step (a retry earns a new one)."""
    return STALLED_STEP_RUNGS + step_id * _STALL_ATTEMPTS + min(attempts, 99)
