"""Queries for escalation: claim a page unless the incident was acknowledged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage import audit
from storage.db import session_scope
from storage.tables import ContainmentStep, Incident, Page, PagerDutyEvent


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a page: its id, or why there is nothing to send."""

    page_id: int | None = None
    # True when the incident is closed, or acknowledged when that stops the claim.
    stopped: bool = False


def _lock_incident(session: Session, incident_id: int) -> Incident | None:
    # A no-op write takes the incident's row lock (PostgreSQL) or the database's
    # write lock (SQLite, whose driver opens no transaction for a bare SELECT).
    # The acknowledgement updates the same row, so an ack and a claim are
    # serialized: a page claimed after the ack sees it and is not sent.
    session.execute(
        update(Incident)
        .where(col(Incident.id) == incident_id)
        .values(alert_count=Incident.alert_count)
    )
    return session.get(Incident, incident_id)


def _stopped(incident: Incident | None, *, stop_on_ack: bool = True) -> bool:
    return (
        incident is None
        or incident.status != "open"
        or (stop_on_ack and incident.acknowledged_at is not None)
    )


def claim_page(
    engine: Engine,
    *,
    incident_id: int,
    rung: int,
    target: str,
    stop_on_ack: bool = True,
) -> Claim:
    """Reserve one rung's page, unless it is taken or the incident was acknowledged.

    The unique (incident, rung) row makes each page go out once across timers,
    retries and replicas; checking the acknowledgement under the same lock
    makes a timer that races an ack send nothing.
    """
    try:
        with session_scope(engine) as session:
            incident = _lock_incident(session, incident_id)
            if _stopped(incident, stop_on_ack=stop_on_ack):
                return Claim(stopped=True)
            taken = session.exec(
                select(Page).where(Page.incident_id == incident_id, Page.rung == rung)
            ).first()
            if taken is not None:
                return Claim()
            page = Page(incident_id=incident_id, rung=rung, target=target)
            session.add(page)
            session.flush()
            return Claim(page_id=page.id)
    except IntegrityError:
        return Claim()


def reclaim_failed_page(
    engine: Engine, page_id: int, *, stop_on_ack: bool = True
) -> Claim:
    """Take a page whose send failed for one more attempt; one replica wins."""
    with session_scope(engine) as session:
        page = session.get(Page, page_id)
        if page is None:
            return Claim()
        incident = _lock_incident(session, page.incident_id)
        if _stopped(incident, stop_on_ack=stop_on_ack):
            return Claim(stopped=True)
        retaken = session.execute(
            update(Page)
            .where(col(Page.id) == page_id)
            .where(col(Page.error).is_not(None))
            .where(col(Page.sent_at).is_(None))
            .values(error=None)
        )
        return Claim(page_id=page_id if retaken.rowcount == 1 else None)


def failed_pages(engine: Engine, incident_id: int) -> list[Page]:
    with session_scope(engine) as session:
        query = (
            select(Page)
            .where(Page.incident_id == incident_id)
            .where(col(Page.error).is_not(None))
            .where(col(Page.sent_at).is_(None))
        )
        return list(session.exec(query.order_by(col(Page.rung))))


def open_incident_ids(engine: Engine) -> list[int]:
    with session_scope(engine) as session:
        query = select(Incident.id).where(Incident.status == "open")
        return [i for i in session.exec(query.order_by(col(Incident.id))) if i]


def is_stopped(engine: Engine, incident_id: int) -> bool:
    """True once the incident was acknowledged, contained or resolved."""
    with session_scope(engine) as session:
        return _stopped(session.get(Incident, incident_id))


def stalled_steps(engine: Engine, *, failed_before: datetime) -> list[ContainmentStep]:
    """Failed steps nobody retried since `failed_before`, on unresolved incidents."""
    with session_scope(engine) as session:
        query = (
            select(ContainmentStep)
            .join(Incident, col(Incident.id) == col(ContainmentStep.incident_id))
            .where(ContainmentStep.status == "failed")
            .where(col(ContainmentStep.finished_at) <= failed_before)
            .where(col(Incident.resolved_at).is_(None))
        )
        return list(session.exec(query.order_by(col(ContainmentStep.id))))


def record(
    engine: Engine, incident_id: int, action: str, *, now: datetime, **detail: Any
) -> None:
    """Append one escalation audit event by containbot."""
    with session_scope(engine) as session:
        audit.record(
            session,
            at=now,
            actor="containbot",
            action=action,
            incident_id=incident_id,
            **detail,
        )


def note_once(
    engine: Engine, incident_id: int, action: str, *, now: datetime, **detail: Any
) -> bool:
    """Record a note unless the same one is already in the audit log."""
    # A duplicate here would only repeat a note, never a page, so a plain read
    # before the write is enough.
    with session_scope(engine) as session:
        for event in audit.timeline(session, incident_id):
            if event.action == action and all(
                event.detail.get(k) == v for k, v in detail.items()
            ):
                return False
    record(engine, incident_id, action, now=now, **detail)
    return True


def want_event(engine: Engine, incident_id: int, action: str) -> None:
    """Note that PagerDuty must hear `action` for the incident (once)."""
    try:
        with session_scope(engine) as session:
            session.add(PagerDutyEvent(incident_id=incident_id, action=action))
    except IntegrityError:
        pass


def claim_event(engine: Engine, event_id: int, attempts: int) -> bool:
    """Take an unsent event for one attempt; False if another worker took it."""
    with session_scope(engine) as session:
        taken = session.execute(
            update(PagerDutyEvent)
            .where(col(PagerDutyEvent.id) == event_id)
            .where(col(PagerDutyEvent.sent_at).is_(None))
            .where(col(PagerDutyEvent.attempts) == attempts)
            .values(attempts=attempts + 1)
        )
        return taken.rowcount == 1


def finish_event(
    engine: Engine,
    event_id: int,
    *,
    error: str | None,
    now: datetime,
    give_up_at: int | None = None,
) -> None:
    """Record an attempt; `give_up_at` stops retries of an event PagerDuty refused."""
    with session_scope(engine) as session:
        event = session.get(PagerDutyEvent, event_id)
        assert event is not None
        event.error = error
        if give_up_at is not None:
            event.attempts = max(event.attempts, give_up_at)
        event.sent_at = now if error is None else None
        audit.record(
            session,
            at=now,
            actor="containbot",
            action="pagerduty.sent" if error is None else "pagerduty.failed",
            incident_id=event.incident_id,
            event_action=event.action,
            attempt=event.attempts,
            error=error,
        )


def unsent_events(engine: Engine, *, max_attempts: int) -> list[PagerDutyEvent]:
    with session_scope(engine) as session:
        query = (
            select(PagerDutyEvent)
            .where(col(PagerDutyEvent.sent_at).is_(None))
            .where(col(PagerDutyEvent.attempts) < max_attempts)
        )
        return list(session.exec(query.order_by(col(PagerDutyEvent.id))))


def events_of(engine: Engine, incident_id: int) -> list[PagerDutyEvent]:
    with session_scope(engine) as session:
        query = select(PagerDutyEvent).where(PagerDutyEvent.incident_id == incident_id)
        return list(session.exec(query.order_by(col(PagerDutyEvent.id))))


def incidents_needing(engine: Engine, action: str) -> list[int]:
    """Incidents PagerDuty has not been told `action` about, by their state."""
    with session_scope(engine) as session:
        told = select(PagerDutyEvent.incident_id).where(PagerDutyEvent.action == action)
        query = select(Incident.id).where(col(Incident.id).not_in(told))
        if action == "trigger":
            query = query.where(Incident.status == "open")
        elif action == "acknowledge":
            query = query.where(col(Incident.acknowledged_at).is_not(None))
        else:
            query = query.where(col(Incident.resolved_at).is_not(None))
        if action != "trigger":
            triggered = select(PagerDutyEvent.incident_id).where(
                PagerDutyEvent.action == "trigger"
            )
            query = query.where(col(Incident.id).in_(triggered))
        return [i for i in session.exec(query.order_by(col(Incident.id))) if i]
