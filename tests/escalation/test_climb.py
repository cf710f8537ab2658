"""The whole ladder on a running bot with an injected clock, and acks at each rung."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.escalation import scheduler
from bot.paging import acknowledge
from bot.slack import blocks
from storage import decisions, incidents
from tests.escalation.conftest import ON_CALL, RigFactory

OWNER, APPROVER = "U01AOWNER", "U03CAPPROV"


def test_whole_ladder_with_durable_timers(make_rig: RigFactory) -> None:
    rig = make_rig(start_scheduler=True)
    incident_id = rig.open_incident()
    opened = incidents.get_incident(rig.ctx.engine, incident_id).opened_at
    fallback = rig.ctx.directory.resolve("bo@example.com")
    assert rig.paged(incident_id) == [(0, OWNER)]

    # The next rung's timer is in the job store, due five minutes after opening.
    job = rig.app.escalation.scheduler.get_job(f"ladder-{incident_id}-1")
    assert job is not None and job.next_run_time == opened + timedelta(minutes=5)
    assert job.args == (scheduler.database_key(rig.settings.database_url), 1)

    rig.clock.advance(minutes=4, seconds=59)
    rig.sweep()
    assert len(rig.pages(incident_id)) == 1

    expected = [(0, OWNER)]
    for minutes, rung, people in (
        (5, 100, [fallback]),
        (10, 200, [APPROVER]),
        (15, 300, list(ON_CALL)),
        (20, 400, [OWNER]),
    ):
        rig.clock.now = opened + timedelta(minutes=minutes)
        rig.sweep()
        expected += [(rung + i, person) for i, person in enumerate(people)]
        assert rig.paged(incident_id) == expected
    texts = rig.channel_texts(incident_id)
    assert any("paging the fallback owner" in t and "after 5m" in t for t in texts)
    assert any("paging the security on-call" in t for t in texts)
    assert any("round 2" in t for t in texts)
    assert not any("late" in t for t in texts)

    # Once every round is spent, the room is told once, and nobody is paged again.
    rig.clock.advance(hours=2)
    rig.sweep()
    rig.sweep()
    assert len(rig.paged(incident_id)) == 2 * 5  # two rounds, two on call
    assert sum("Nobody acknowledged" in t for t in rig.channel_texts(incident_id)) == 1
    assert all(p.sent_at and p.error is None for p in rig.pages(incident_id))
    # Each page reached Slack exactly once.
    assert len(rig.dms_to(OWNER)) == 2
    # The approver's two pages, and the reminder that the plan awaits a decision.
    assert len(rig.dms_to(APPROVER)) == 3
    actions = rig.actions(incident_id)
    assert actions.count("escalation.paged") == 5
    assert actions.count("page.reminder") == 5
    assert actions.count("escalation.exhausted") == 1


@pytest.mark.parametrize("rung", [0, 1, 2, 3])
def test_ack_at_each_rung_stops_the_ladder(make_rig: RigFactory, rung: int) -> None:
    rig = make_rig(start_scheduler=True)
    incident_id = rig.open_incident()
    rig.clock.advance(minutes=5 * rung)
    rig.sweep()
    page = next(p for p in rig.pages(incident_id) if p.rung == rung * 100)

    answer = rig.driver.click(
        page.target, page.channel_id, page.message_ts, blocks.ACK_ACTION
    )
    assert answer.status_code == 200
    rig.settle()

    ack = decisions.acknowledgement_of(rig.ctx.engine, incident_id)
    assert ack is not None and ack.user_id == page.target
    stopped = rig.audit(incident_id, "escalation.stopped")
    assert stopped == [{"by": page.target, "seconds_to_acknowledge": 300.0 * rung}]
    assert any("acknowledged the page" in t for t in rig.channel_texts(incident_id))
    # No timer is left for this incident, and no later rung is ever paged.
    jobs = rig.app.escalation.scheduler.get_jobs()
    assert not [j for j in jobs if j.id.startswith(f"ladder-{incident_id}-")]
    count = len(rig.paged(incident_id))
    rig.clock.advance(hours=3)
    rig.sweep()
    assert len(rig.paged(incident_id)) == count


def test_contain_ack_in_the_channel_stops_the_ladder(make_rig: RigFactory) -> None:
    rig = make_rig()
    incident_id = rig.open_incident()
    channel = incidents.get_incident(rig.ctx.engine, incident_id).channel_id

    # Someone neither named nor paged is told so, and nothing stops.
    rig.driver.slash_command("U07FBACK", "ack", channel_id=channel)
    rig.settle()
    assert decisions.acknowledgement_of(rig.ctx.engine, incident_id) is None

    rig.driver.slash_command(APPROVER, "ack", channel_id=channel)
    rig.settle()
    assert decisions.acknowledgement_of(rig.ctx.engine, incident_id).user_id == APPROVER
    rig.clock.advance(hours=1)
    rig.sweep()
    assert rig.paged(incident_id) == [(0, OWNER)]


def test_an_owner_slack_does_not_know_moves_on_at_once(make_rig: RigFactory) -> None:
    catalog = (
        "workloads:\n  - name: invoice-sync\n    owner: gone@example.com\n"
        "    fallback_owner: U01AOWNER\n    approver: U03CAPPROV\n"
    )
    rig = make_rig(catalog, missing=("gone@example.com",))
    incident_id = rig.open_incident()
    # The owner is unknown to Slack: the fallback owner is paged when the room opens.
    assert rig.paged(incident_id) == [(100, OWNER)]
    assert any("cannot be paged" in t for t in rig.channel_texts(incident_id))
    assert rig.audit(incident_id, "escalation.unreachable") == [
        {"role": "owner", "step": 0}
    ]


def test_a_timer_racing_an_ack_never_pages_after_it(make_rig: RigFactory) -> None:
    rig = make_rig()
    incident_id = rig.open_incident()
    rig.clock.advance(minutes=5)
    with ThreadPoolExecutor(max_workers=6) as pool:
        sweeps = [pool.submit(scheduler.sweep, rig.ctx) for _ in range(4)]
        ack = pool.submit(
            acknowledge,
            rig.ctx,
            incident_id,
            OWNER,
        )
        for future in [*sweeps, ack]:
            future.result()
    rig.settle()
    acked_at = decisions.acknowledgement_of(rig.ctx.engine, incident_id).at
    pages = [p for p in rig.pages(incident_id) if p.rung < 10_000]
    # The fallback page went out before the ack or not at all, and at most once.
    assert [p.rung for p in pages] in ([0], [0, 100])
    fallback = rig.ctx.directory.resolve("bo@example.com")
    assert len(rig.dms_to(fallback)) == len(pages) - 1
    assert all(p.sent_at is None or p.sent_at <= acked_at for p in pages)
