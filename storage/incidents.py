"""Queries on incidents and their alerts; safe when replicas race."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.intake.model import ParsedAlert
from storage import audit
from storage.db import session_scope
from storage.tables import Alert, Incident

# A loser of the open-incident race retries once to join the winner's incident;
# more attempts only matter if incidents are being resolved at the same instant.
_RACE_ATTEMPTS = 4


@dataclass(frozen=True)
class Intake:
    """Where an alert landed."""

    incident_id: int
    alert_id: int
    opened: bool
    repeat: bool


def record_alert(
    engine: Engine,
    alert: ParsedAlert,
    *,
    slot: str,
    workload: str | None,
    matched_by: str | None,
    now: datetime,
) -> Intake:
    """Open an incident for `slot` or join the open one, folding exact repeats."""
    for _ in range(_RACE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return _record(session, alert, slot, workload, matched_by, now)
        except IntegrityError:
            # Another request opened the incident or stored this fingerprint
            # between our read and our insert; the retry finds and joins it.
            continue
    raise RuntimeError(f"could not record alert for {slot!r} after retries")


def _record(
    session: Session,
    alert: ParsedAlert,
    slot: str,
    workload: str | None,
    matched_by: str | None,
    now: datetime,
) -> Intake:
    incident = session.exec(select(Incident).where(Incident.open_slot == slot)).first()
    opened = incident is None
    if incident is None:
        incident = Incident(
            workload=workload,
            open_slot=slot,
            title=alert.title,
            severity=alert.severity,
            opened_at=now,
            opened_by=f"alert:{alert.source}",
            alert_count=0,
        )
        session.add(incident)
        session.flush()
        audit.record(
            session,
            at=now,
            actor=f"alert:{alert.source}",
            action="incident.opened",
            incident_id=incident.id,
            workload=workload,
            unowned=workload is None,
        )
    assert incident.id is not None

    folded = session.execute(
        update(Alert)
        .where(col(Alert.incident_id) == incident.id)
        .where(col(Alert.fingerprint) == alert.fingerprint)
        .values(repeats=Alert.repeats + 1, last_seen_at=now)
    )
    if folded.rowcount:
        existing = session.exec(
            select(Alert)
            .where(Alert.incident_id == incident.id)
            .where(Alert.fingerprint == alert.fingerprint)
        ).one()
        assert existing.id is not None
        return Intake(incident.id, existing.id, opened=False, repeat=True)

    row = Alert(
        incident_id=incident.id,
        source=alert.source,
        fingerprint=alert.fingerprint,
        external_id=alert.external_id,
        title=alert.title,
        severity=alert.severity,
        summary=alert.summary,
        detected_at=alert.detected_at,
        received_at=now,
        last_seen_at=now,
        matched_by=matched_by,
        keys={"keys": [[k.kind.value, k.value] for k in alert.keys]},
        details=dict(alert.details),
    )
    session.add(row)
    session.flush()
    session.execute(
        update(Incident)
        .where(col(Incident.id) == incident.id)
        .values(alert_count=Incident.alert_count + 1)
    )
    audit.record(
        session,
        at=now,
        actor=f"alert:{alert.source}",
        action="alert.received",
        incident_id=incident.id,
        alert_id=row.id,
        title=alert.title,
        severity=alert.severity,
        matched_by=matched_by,
    )
    assert row.id is not None
    return Intake(incident.id, row.id, opened=opened, repeat=False)


def open_manual(
    engine: Engine, *, workload: str, user_id: str, reason: str, now: datetime
) -> tuple[Incident, bool]:
    """Open an incident by hand (`/contain`), or return the open one."""
    for _ in range(_RACE_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                existing = session.exec(
                    select(Incident).where(Incident.open_slot == workload)
                ).first()
                if existing is not None:
                    return existing, False
                incident = Incident(
                    workload=workload,
                    open_slot=workload,
                    title=reason or f"Manual containment of {workload}",
                    severity="high",
                    opened_at=now,
                    opened_by=user_id,
                    alert_count=0,
                )
                session.add(incident)
                session.flush()
                audit.record(
                    session,
                    at=now,
                    actor=user_id,
                    action="incident.opened",
                    incident_id=incident.id,
                    workload=workload,
                    reason=reason,
                    manual=True,
                )
                return incident, True
        except IntegrityError:
            continue
    raise RuntimeError(f"could not open an incident for {workload!r}")


def get_incident(engine: Engine, incident_id: int) -> Incident | None:
    with session_scope(engine) as session:
        return session.get(Incident, incident_id)


def incident_for_channel(engine: Engine, channel_id: str) -> Incident | None:
    with session_scope(engine) as session:
        return session.exec(
            select(Incident).where(Incident.channel_id == channel_id)
        ).first()


def latest_alert(engine: Engine, incident_id: int) -> Alert | None:
    with session_scope(engine) as session:
        return session.exec(
            select(Alert)
            .where(Alert.incident_id == incident_id)
            .order_by(col(Alert.received_at).desc(), col(Alert.id).desc())
        ).first()


def alerts_of(engine: Engine, incident_id: int) -> list[Alert]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(Alert)
                .where(Alert.incident_id == incident_id)
                .order_by(col(Alert.id))
            )
        )


def update_incident(engine: Engine, incident_id: int, **values: object) -> None:
    """Set columns on an incident (channel ids, timestamps, status)."""
    with session_scope(engine) as session:
        session.execute(
            update(Incident).where(col(Incident.id) == incident_id).values(**values)
        )
