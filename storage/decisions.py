"""Pages, acknowledgements, approvals and refusals, each recorded once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage import audit, steps
from storage.db import session_scope
from storage.tables import Acknowledgement, Approval, Incident, Page, Refusal


def claim_page(
    engine: Engine, *, incident_id: int, rung: int, target: str
) -> int | None:
    """Reserve a rung's page before sending it; None if it is already taken.

    Claiming first means a restart or a second replica can never send the same
    rung twice: at worst a claimed page whose send failed shows its error.
    """
    try:
        with session_scope(engine) as session:
            page = Page(incident_id=incident_id, rung=rung, target=target)
            session.add(page)
            session.flush()
            return page.id
    except IntegrityError:
        return None


def finish_page(
    engine: Engine,
    page_id: int,
    *,
    channel_id: str | None,
    message_ts: str | None,
    error: str | None,
    now: datetime,
) -> None:
    """Record how a claimed page went, and audit it."""
    with session_scope(engine) as session:
        page = session.get(Page, page_id)
        assert page is not None
        page.channel_id = channel_id
        page.message_ts = message_ts
        page.error = error
        page.sent_at = now if error is None else None
        audit.record(
            session,
            at=now,
            actor="containbot",
            action="page.sent" if error is None else "page.failed",
            incident_id=page.incident_id,
            target=page.target,
            rung=page.rung,
            error=error,
        )


def pages_of(engine: Engine, incident_id: int) -> list[Page]:
    with session_scope(engine) as session:
        query = select(Page).where(Page.incident_id == incident_id)
        return list(session.exec(query.order_by(col(Page.rung))))


def record_acknowledgement(
    engine: Engine, *, incident_id: int, user_id: str, now: datetime
) -> Acknowledgement | None:
    """Store the first acknowledgement; return None if someone already did."""
    try:
        with session_scope(engine) as session:
            ack = Acknowledgement(incident_id=incident_id, user_id=user_id, at=now)
            session.add(ack)
            session.flush()
            session.execute(
                update(Incident)
                .where(col(Incident.id) == incident_id)
                .values(acknowledged_at=now)
            )
            audit.record(
                session,
                at=now,
                actor=user_id,
                action="page.acknowledged",
                incident_id=incident_id,
            )
            return ack
    except IntegrityError:
        return None


def acknowledgement_of(engine: Engine, incident_id: int) -> Acknowledgement | None:
    with session_scope(engine) as session:
        query = select(Acknowledgement).where(
            Acknowledgement.incident_id == incident_id
        )
        return session.exec(query).first()


def record_decision(
    engine: Engine,
    *,
    incident_id: int,
    user_id: str,
    decision: str,
    step_keys: list[str],
    now: datetime,
) -> Approval | None:
    """Store the approver's decision once; None when one was already recorded.

    The unique key on the incident is the exactly-once guarantee: of twenty
    concurrent clicks on any number of replicas, one insert wins.
    """
    try:
        with session_scope(engine) as session:
            approval = Approval(
                incident_id=incident_id,
                user_id=user_id,
                decision=decision,
                at=now,
                step_keys=step_keys,
            )
            session.add(approval)
            session.flush()
            steps.approve_steps(session, incident_id, step_keys, now=now)
            audit.record(
                session,
                at=now,
                actor=user_id,
                action=f"plan.{decision}",
                incident_id=incident_id,
                steps=step_keys,
            )
            return approval
    except IntegrityError:
        return None


def decision_of(engine: Engine, incident_id: int) -> Approval | None:
    with session_scope(engine) as session:
        query = select(Approval).where(Approval.incident_id == incident_id)
        return session.exec(query).first()


def record_refusal(
    engine: Engine,
    *,
    incident_id: int,
    user_id: str,
    action: str,
    reason: str,
    now: datetime,
) -> None:
    with session_scope(engine) as session:
        session.add(
            Refusal(
                incident_id=incident_id,
                user_id=user_id,
                action=action,
                reason=reason,
                at=now,
            )
        )
        audit.record(
            session,
            at=now,
            actor=user_id,
            action="plan.refused",
            incident_id=incident_id,
            attempted=action,
            reason=reason,
        )


def refusals_of(engine: Engine, incident_id: int) -> list[Refusal]:
    with session_scope(engine) as session:
        query = select(Refusal).where(Refusal.incident_id == incident_id)
        return list(session.exec(query.order_by(col(Refusal.id))))
