"""Containment steps: proposed with the plan, claimed once, finished with evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.containment.steps import StepSpec
from storage import audit
from storage.db import session_scope
from storage.tables import ContainmentStep


def propose_steps(engine: Engine, incident_id: int, specs: list[StepSpec]) -> None:
    """Store the plan's steps once; a second proposal of the same plan is a no-op."""
    try:
        with session_scope(engine) as session:
            for position, spec in enumerate(specs):
                session.add(
                    ContainmentStep(
                        incident_id=incident_id,
                        key=spec.key,
                        position=position,
                        spec=spec.to_json(),
                    )
                )
    except IntegrityError:
        return


def steps_of(engine: Engine, incident_id: int) -> list[ContainmentStep]:
    with session_scope(engine) as session:
        query = select(ContainmentStep).where(
            ContainmentStep.incident_id == incident_id
        )
        return list(session.exec(query.order_by(col(ContainmentStep.position))))


def approve_steps(
    session: Session, incident_id: int, approved: list[str], *, now: datetime
) -> None:
    """Move approved steps to pending and the rest to skipped, in `session`.

    Called in the transaction that records the decision, so that an approval
    never exists without its steps being ready to run.
    """
    base = (
        update(ContainmentStep)
        .where(col(ContainmentStep.incident_id) == incident_id)
        .where(col(ContainmentStep.status) == "proposed")
    )
    session.execute(
        base.where(col(ContainmentStep.key).in_(approved)).values(status="pending")
    )
    session.execute(
        base.where(col(ContainmentStep.key).not_in(approved)).values(
            status="skipped", finished_at=now
        )
    )


def requeue_stale(engine: Engine, *, started_before: datetime) -> list[int]:
    """Put steps left running by a process that died back to pending.

    Returns the incidents concerned. Connectors are idempotent, so running such a
    step again is safe; the cutoff leaves steps that are still running alone.
    """
    with session_scope(engine) as session:
        stale = list(
            session.exec(
                select(ContainmentStep)
                .where(ContainmentStep.status == "running")
                .where(col(ContainmentStep.started_at) < started_before)
            )
        )
        for step in stale:
            session.execute(
                update(ContainmentStep)
                .where(col(ContainmentStep.id) == step.id)
                .where(col(ContainmentStep.status) == "running")
                .values(status="pending")
            )
            audit.record(
                session,
                at=started_before,
                actor="containbot",
                action="step.requeued",
                incident_id=step.incident_id,
                step=step.key,
            )
    return sorted({step.incident_id for step in stale})


def incidents_with_pending_steps(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        query = select(ContainmentStep.incident_id).where(
            ContainmentStep.status == "pending"
        )
        return sorted(set(session.exec(query)))


def claim_step(engine: Engine, step_id: int, *, now: datetime) -> bool:
    """Mark a pending step running; only one caller anywhere gets True."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ContainmentStep)
            .where(col(ContainmentStep.id) == step_id)
            .where(col(ContainmentStep.status) == "pending")
            .values(
                status="running",
                started_at=now,
                attempts=ContainmentStep.attempts + 1,
            )
        )
        return result.rowcount == 1


def finish_step(
    engine: Engine,
    step: ContainmentStep,
    *,
    ok: bool,
    detail: str,
    evidence: dict[str, Any],
    actor: str,
    now: datetime,
) -> None:
    status = "succeeded" if ok else "failed"
    with session_scope(engine) as session:
        session.execute(
            update(ContainmentStep)
            .where(col(ContainmentStep.id) == step.id)
            .where(col(ContainmentStep.status) == "running")
            .values(status=status, finished_at=now, detail=detail, evidence=evidence)
        )
        audit.record(
            session,
            at=now,
            actor=actor,
            action=f"step.{status}",
            incident_id=step.incident_id,
            step=step.key,
            detail=detail,
        )


def get_step(engine: Engine, step_id: int) -> ContainmentStep | None:
    with session_scope(engine) as session:
        return session.get(ContainmentStep, step_id)


def reopen_failed_step(
    engine: Engine, step_id: int, *, user_id: str, now: datetime
) -> bool:
    """Put a failed step back to pending for a retry; False if it was not failed."""
    with session_scope(engine) as session:
        result = session.execute(
            update(ContainmentStep)
            .where(col(ContainmentStep.id) == step_id)
            .where(col(ContainmentStep.status) == "failed")
            .values(status="pending")
        )
        if result.rowcount != 1:
            return False
        step = session.get(ContainmentStep, step_id)
        assert step is not None
        audit.record(
            session,
            at=now,
            actor=user_id,
            action="step.retried",
            incident_id=step.incident_id,
            step=step.key,
        )
        return True
