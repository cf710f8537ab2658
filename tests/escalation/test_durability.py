"""A restart mid-ladder, and Slack answering 429 and 500: nothing lost or repeated."""

from __future__ import annotations

from datetime import timedelta

from storage import incidents
from tests.escalation.conftest import RigFactory, wait_for

OWNER, APPROVER = "U01AOWNER", "U03CAPPROV"


def test_restart_fires_the_timer_due_while_down_late_and_once(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(start_scheduler=True)
    incident_id = rig.open_incident()
    opened = incidents.get_incident(rig.ctx.engine, incident_id).opened_at
    fallback = rig.ctx.directory.resolve("bo@example.com")
    rig.clock.advance(minutes=5)
    rig.sweep()
    assert rig.paged(incident_id) == [(0, OWNER), (100, fallback)]

    # The bot is down from minute 5 to minute 12; the approver was due at 10.
    rig.stop()
    rig.clock.advance(minutes=7)
    rig._start(start_scheduler=True)

    # The new leader catches up by itself, through its scheduler.
    wait_for(
        lambda: any("late" in t for t in rig.channel_texts(incident_id)), timeout=10
    )
    assert rig.paged(incident_id) == [(0, OWNER), (100, fallback), (200, APPROVER)]
    assert [len(rig.dms_to(u)) for u in (OWNER, fallback, APPROVER)] == [1, 1, 1]
    late = [t for t in rig.channel_texts(incident_id) if "late" in t]
    assert len(late) == 1 and "2m 0s late" in late[0]
    assert rig.audit(incident_id, "escalation.paged")[-1]["late_seconds"] == 120

    # The next timer is in the store for minute 15, written by the new process.
    job = rig.app.escalation.scheduler.get_job(f"ladder-{incident_id}-3")
    assert job is not None and job.next_run_time == opened + timedelta(minutes=15)


def test_rate_limits_and_server_errors_lose_no_page(make_rig: RigFactory) -> None:
    rig = make_rig()
    incident_id = rig.open_incident()
    fallback = rig.ctx.directory.resolve("bo@example.com")

    # Two 429s with Retry-After: the client waits them out and the page goes.
    rig.clock.advance(minutes=5)
    rig.emulator.inject("chat.postMessage", status=429, retry_after=1, times=2)
    rig.sweep()
    assert len(rig.dms_to(fallback)) == 1

    # 500s past the client's retries: the page is kept with its error...
    rig.clock.advance(minutes=5)
    rig.emulator.inject("chat.postMessage", status=500, times=4)
    rig.sweep()
    approver_page = next(p for p in rig.pages(incident_id) if p.rung == 200)
    assert approver_page.error == "internal_error" and approver_page.sent_at is None
    assert rig.dms_to(APPROVER) == []

    # ...and the ladder's next tick sends it, once.
    rig.sweep()
    rig.sweep()
    approver_page = next(p for p in rig.pages(incident_id) if p.rung == 200)
    assert approver_page.error is None and approver_page.sent_at is not None
    assert len(rig.dms_to(APPROVER)) == 1
    actions = rig.actions(incident_id)
    assert actions.count("page.failed") == 1 and actions.count("page.retried") == 1
