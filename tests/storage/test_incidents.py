"""Intake storage on real SQLite and PostgreSQL: one open incident per workload."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.intake.model import IdentityKey, KeyKind, ParsedAlert
from storage import audit, incidents
from storage.audit import AuditLogIsAppendOnly
from storage.db import create_tables, make_engine, session_scope
from storage.tables import AuditEvent, Incident

NOW = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


def _alert(title: str = "API GetSecretValue from a malicious IP") -> ParsedAlert:
    return ParsedAlert(
        source="guardduty",
        title=title,
        severity="high",
        detected_at=NOW,
        summary="summary",
        keys=(IdentityKey(KeyKind.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE"),),
        external_id=title,
    )


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    create_tables(engine)
    yield engine
    engine.dispose()


def test_first_alert_opens_and_repeats_fold(engine) -> None:
    first = incidents.record_alert(
        engine,
        _alert(),
        slot="invoice-sync",
        workload="invoice-sync",
        matched_by="access_key_id",
        now=NOW,
    )
    repeat = incidents.record_alert(
        engine,
        _alert(),
        slot="invoice-sync",
        workload="invoice-sync",
        matched_by="access_key_id",
        now=NOW + timedelta(seconds=1),
    )
    other = incidents.record_alert(
        engine,
        _alert("another finding"),
        slot="invoice-sync",
        workload="invoice-sync",
        matched_by="access_key_id",
        now=NOW + timedelta(seconds=2),
    )

    assert first.opened and not first.repeat
    assert repeat.incident_id == first.incident_id and repeat.repeat
    assert repeat.alert_id == first.alert_id
    assert other.incident_id == first.incident_id and not other.opened
    incident = incidents.get_incident(engine, first.incident_id)
    assert incident is not None and incident.alert_count == 2
    stored = incidents.alerts_of(engine, first.incident_id)
    assert [a.repeats for a in stored] == [1, 0]
    assert incident.opened_at == NOW  # tz-aware UTC back from both backends


def test_simultaneous_first_alerts_open_one_incident(engine) -> None:
    barrier = threading.Barrier(8)
    results = []

    def deliver(n: int) -> None:
        barrier.wait()
        results.append(
            incidents.record_alert(
                engine,
                _alert(f"finding {n}"),
                slot="invoice-sync",
                workload="invoice-sync",
                matched_by=None,
                now=NOW,
            )
        )

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r.incident_id for r in results}) == 1
    assert sum(r.opened for r in results) == 1
    with session_scope(engine) as session:
        assert len(list(session.exec(select(Incident)))) == 1
        incident = session.exec(select(Incident)).one()
        assert incident.alert_count == 8


def test_audit_log_refuses_changes(engine) -> None:
    with session_scope(engine) as session:
        audit.record(session, at=NOW, actor="U1", action="test.event", note="x")
    with pytest.raises(AuditLogIsAppendOnly):
        with session_scope(engine) as session:
            event = session.exec(select(AuditEvent)).one()
            event.actor = "someone else"
    with pytest.raises(AuditLogIsAppendOnly):
        with session_scope(engine) as session:
            session.delete(session.exec(select(AuditEvent)).one())
    with session_scope(engine) as session:
        assert session.exec(select(AuditEvent)).one().actor == "U1"
