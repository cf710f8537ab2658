"""Queries on incidents and their alerts; safe when replicas race."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, update
from sqlalchemy import select as sql_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.intake.model import ParsedAlert
from storage import audit
from storage.db import session_scope, write_lock
from storage.tables import Alert, AuditEvent, Incident

# A loser of the open-incident race retries once to join the winner's incident;
# more attempts only matter if incidents are being resolved at the same instant.
_RACE_ATTEMPTS = 4

_ALERTS = Alert.__table__
_INCIDENTS = Incident.__table__
_FIND_OPEN = sql_select(_INCIDENTS.c.id).where(
    _INCIDENTS.c.open_slot == bindparam("slot")
)
_FOLD = (
    update(_ALERTS)
    .where(_ALERTS.c.incident_id == bindparam("incident"))
    .where(_ALERTS.c.fingerprint == bindparam("print"))
    .values(repeats=_ALERTS.c.repeats + 1, last_seen_at=bindparam("now"))
    .returning(_ALERTS.c.id)
)
_INSERT_ALERT = insert(_ALERTS).returning(_ALERTS.c.id)
_COUNT_ALERT = (
    update(_INCIDENTS)
    .where(_INCIDENTS.c.id == bindparam("incident"))
    .values(alert_count=_INCIDENTS.c.alert_count + 1)
)
_INSERT_AUDIT = insert(AuditEvent.__table__)


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
            with write_lock(engine), session_scope(engine) as session:
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
    # Prebuilt Core statements on the session's connection: this runs once per
    # alert in a storm, and building ORM objects or fresh statements costs
    # several times the SQL itself.
    connection = session.connection()
    incident_id = connection.execute(_FIND_OPEN, {"slot": slot}).scalar()
    opened = incident_id is None
    if incident_id is None:
        incident_id = _open(session, alert, slot, workload, now)

    same = {"incident": incident_id, "print": alert.fingerprint}
    folded = connection.execute(_FOLD, {**same, "now": now}).scalar()
    if folded is not None:
        return Intake(incident_id, folded, opened=False, repeat=True)

    row = {
        "incident_id": incident_id,
        "source": alert.source,
        "fingerprint": alert.fingerprint,
        "external_id": alert.external_id,
        "title": alert.title,
        "severity": alert.severity,
        "summary": alert.summary,
        "detected_at": alert.detected_at,
        "received_at": now,
        "last_seen_at": now,
        "repeats": 0,
        "matched_by": matched_by,
        "keys": {"keys": [[k.kind.value, k.value] for k in alert.keys]},
        "details": dict(alert.details),
    }
    alert_id = connection.execute(_INSERT_ALERT, row).scalar_one()
    connection.execute(_COUNT_ALERT, {"incident": incident_id})
    detail = {
        "alert_id": alert_id,
        "title": alert.title,
        "severity": alert.severity,
        "matched_by": matched_by,
    }
    connection.execute(
        _INSERT_AUDIT,
        {
            "incident_id": incident_id,
            "at": now,
            "actor": f"alert:{alert.source}",
            "action": "alert.received",
            "detail": detail,
        },
    )
    return Intake(incident_id, alert_id, opened=opened, repeat=False)


def _open(
    session: Session, alert: ParsedAlert, slot: str, workload: str | None, now: datetime
) -> int:
    """Insert the incident for `slot`; the unique slot makes a racing twin fail."""
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
    assert incident.id is not None
    audit.record(
        session,
        at=now,
        actor=f"alert:{alert.source}",
        action="incident.opened",
        incident_id=incident.id,
        workload=workload,
        unowned=workload is None,
    )
    session.flush()
    return incident.id


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


def mark_contained(engine: Engine, incident_id: int, *, now: datetime) -> bool:
    """Mark an open incident contained, once; False if it was not open."""
    with session_scope(engine) as session:
        result = session.execute(
            update(Incident)
            .where(col(Incident.id) == incident_id)
            .where(col(Incident.status) == "open")
            .values(status="contained", contained_at=now)
        )
        if result.rowcount != 1:
            return False
        audit.record(
            session,
            at=now,
            actor="containbot",
            action="incident.contained",
            incident_id=incident_id,
        )
        return True


def claim_setup(
    engine: Engine, incident_id: int, *, now: datetime, hold: timedelta
) -> bool:
    """Take the room's setup for `hold`; False while another process holds it."""
    with session_scope(engine) as session:
        result = session.execute(
            update(Incident)
            .where(col(Incident.id) == incident_id)
            .where(
                or_(
                    col(Incident.setup_until).is_(None),
                    col(Incident.setup_until) < now,
                )
            )
            .values(setup_until=now + hold)
        )
        return result.rowcount == 1


def release_setup(engine: Engine, incident_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(Incident)
            .where(col(Incident.id) == incident_id)
            .values(setup_until=None)
        )
