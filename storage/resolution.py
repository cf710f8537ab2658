"""Resolving an incident once, and marking each undone step once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from storage import audit
from storage.db import session_scope
from storage.tables import ContainmentStep, Incident


def resolve(
    engine: Engine, incident_id: int, *, user_id: str, undo: bool, now: datetime
) -> bool:
    """Mark the incident resolved; False if it already was.

    Clearing `open_slot` lets the next alert for the workload open a new incident
    instead of joining a closed one.
    """
    with session_scope(engine) as session:
        result = session.execute(
            update(Incident)
            .where(col(Incident.id) == incident_id)
            .where(col(Incident.status) != "resolved")
            .values(status="resolved", resolved_at=now, open_slot=None)
        )
        if result.rowcount != 1:
            return False
        audit.record(
            session,
            at=now,
            actor=user_id,
            action="incident.resolved",
            incident_id=incident_id,
            undo=undo,
        )
        return True


def claim_undo(engine: Engine, step_id: int, *, now: datetime) -> bool:
    """Take a succeeded step for undoing; only one caller anywhere gets True."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ContainmentStep)
            .where(col(ContainmentStep.id) == step_id)
            .where(col(ContainmentStep.status) == "succeeded")
            .values(status="undoing", started_at=now)
        )
        return result.rowcount == 1


def finish_undo(
    engine: Engine,
    step: ContainmentStep,
    *,
    ok: bool,
    detail: str,
    actor: str,
    now: datetime,
) -> None:
    """Record an undo: `undone`, or back to `succeeded` when it failed."""
    with session_scope(engine) as session:
        session.execute(
            update(ContainmentStep)
            .where(col(ContainmentStep.id) == step.id)
            .where(col(ContainmentStep.status) == "undoing")
            .values(
                status="undone" if ok else "succeeded",
                finished_at=now,
                detail=detail,
            )
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action="step.undone" if ok else "step.undo_failed",
            incident_id=step.incident_id,
            step=step.key,
            detail=detail,
        )
