"""What an incident's identity touched, as loaded from activity logs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage import audit
from storage.db import session_scope
from storage.evidence_table import IncidentEvidence


def keep(
    engine: Engine,
    *,
    incident_id: int,
    origin: str,
    records: int,
    summary: dict[str, Any],
    now: datetime,
) -> int:
    """Store one evidence load and audit it; return its id."""
    with session_scope(engine) as session:
        row = IncidentEvidence(
            incident_id=incident_id,
            loaded_at=now,
            origin=origin,
            records=records,
            summary=summary,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            at=now,
            actor="containbot",
            action="evidence.attached",
            incident_id=incident_id,
            origin=origin,
            records=records,
            services=len(summary.get("services", [])),
        )
        assert row.id is not None
        return row.id


def latest(engine: Engine, incident_id: int) -> IncidentEvidence | None:
    with session_scope(engine) as session:
        query = (
            select(IncidentEvidence)
            .where(IncidentEvidence.incident_id == incident_id)
            .order_by(col(IncidentEvidence.id).desc())
        )
        return session.exec(query).first()
