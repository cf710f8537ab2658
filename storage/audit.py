"""The append-only audit log: who did what, when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from storage.tables import AuditEvent


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete a recorded audit event."""


@event.listens_for(OrmSession, "before_flush")
def _refuse_audit_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly(
                "audit events are append-only; record a new event instead"
            )


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    incident_id: int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    audit_event = AuditEvent(
        incident_id=incident_id, at=at, actor=actor, action=action, detail=detail
    )
    session.add(audit_event)
    return audit_event


def timeline(session: Session, incident_id: int) -> list[AuditEvent]:
    """Return an incident's audit events in the order they happened."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.incident_id == incident_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(session.exec(query))
