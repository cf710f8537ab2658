"""Two first alerts for one workload at the same instant open one incident."""

from __future__ import annotations

import json
import threading

from sqlmodel import Session, select

from storage.tables import Incident

RACERS = 8


def _alert(serial: int) -> bytes:
    return json.dumps(
        {
            "title": f"Token used from a new network ({serial})",
            "severity": "critical",
            "detected_at": "2026-12-03T14:05:00Z",
            "id": f"race-{serial}",
            "identity": {"k8s_service_account": "shop/checkout"},
        }
    ).encode()


def test_simultaneous_first_alerts_open_one_incident_and_one_channel(
    make_stack,
) -> None:
    stack = make_stack()
    barrier = threading.Barrier(RACERS)
    answers: list[dict] = []

    def post(serial: int) -> None:
        body = _alert(serial)
        barrier.wait()
        answer = stack.post_alert("generic", body)
        answers.append({"status": answer.status_code, **answer.json()})

    threads = [threading.Thread(target=post, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stack.settle()

    assert [a["status"] for a in answers] == [202] * RACERS
    landed = [a["alerts"][0] for a in answers]
    assert len({a["incident_id"] for a in landed}) == 1
    assert sum(a["opened"] for a in landed) == 1
    with Session(stack.app.ctx.engine) as session:
        rows = session.exec(select(Incident)).all()
    assert len(rows) == 1 and rows[0].alert_count == RACERS
    created = [c for c in stack.emulator.calls_to("conversations.create") if c.ok]
    assert len(created) == 1
