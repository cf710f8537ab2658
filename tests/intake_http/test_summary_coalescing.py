"""An alert storm edits the pinned summary a few times, not once per alert."""

from __future__ import annotations

import json
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot import summary_refresh
from bot.summary_refresh import SummaryRefresher
from storage import incidents

WINDOW = 1.0
ALERTS = 200


def _generic(serial: int) -> bytes:
    return json.dumps(
        {
            "title": f"Unexpected API call number {serial}",
            "severity": "high",
            "detected_at": "2026-12-03T14:05:00Z",
            "id": f"storm-{serial}",
            "identity": {"k8s_service_account": "shop/checkout"},
        }
    ).encode()


def test_storm_shows_every_alert_with_few_summary_edits(
    make_stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary_refresh, "WINDOW_SECONDS", WINDOW)
    stack = make_stack()

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda n: stack.post_alert("generic", _generic(n)), range(ALERTS))
        )
    stack.settle()
    elapsed = time.monotonic() - started

    assert {a.status_code for a in answers} == {202}
    incident_id = answers[0].json()["alerts"][0]["incident_id"]
    incident = incidents.get_incident(stack.app.ctx.engine, incident_id)
    assert incident is not None and incident.alert_count == ALERTS
    pinned = stack.emulator.message(incident.channel_id, incident.summary_ts)
    text = json.dumps(pinned["blocks"])
    assert str(ALERTS) in text
    latest = incidents.latest_alert(stack.app.ctx.engine, incident_id)
    assert latest is not None and latest.title in text
    updates = [
        call
        for call in stack.emulator.calls_to("chat.update")
        if call.args.get("ts") == incident.summary_ts
    ]
    # One refresh may start at once, then at most one per window, plus the
    # one that catches up after the room opened.
    assert 1 <= len(updates) <= math.ceil(elapsed / WINDOW) + 2


class _Inline:
    """A background pool stand-in that runs each task on a thread of its own."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def run(self, _name: str, fn, *args) -> None:  # noqa: ANN001
        thread = threading.Thread(target=fn, args=args)
        self.threads.append(thread)
        thread.start()


def test_requests_in_one_window_coalesce_and_the_last_is_never_lost() -> None:
    now = [100.0]
    refreshed: list[tuple[int, float]] = []
    background = _Inline()
    refresher = SummaryRefresher(
        background,  # type: ignore[arg-type]
        lambda incident: refreshed.append((incident, now[0])),
        window=5.0,
        clock=lambda: now[0],
    )

    refresher.request(7)
    for thread in background.threads:
        thread.join(timeout=5)
    for _ in range(50):
        refresher.request(7)
    now[0] = 105.0
    with refresher._wake:  # let the pump see the new time
        refresher._wake.notify()
    for thread in background.threads:
        thread.join(timeout=5)

    assert refreshed == [(7, 100.0), (7, 105.0)]
