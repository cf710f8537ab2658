"""Slack failing at the wrong moment, or the bot dying, loses no containment."""

from __future__ import annotations

from datetime import timedelta

from bot.app import create_app
from bot.containment import runner
from bot.slack import blocks
from storage import decisions, steps
from storage.db import session_scope
from storage.tables import ContainmentStep
from tests.e2e.helpers import contained_statuses, only_incident, statuses


def test_plan_runs_even_when_slack_refuses_the_plan_update(make_stack) -> None:
    stack = make_stack()
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    incident = only_incident(stack, 1)
    stack.emulator.inject("chat.update", status=200, error="message_not_found")

    stack.driver.click(
        "U03CAPPROV", incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
    )
    stack.settle()

    assert list(statuses(stack, 1).values()) == contained_statuses(stack, 1)
    assert only_incident(stack, 1).status == "contained"


def test_a_restart_finishes_steps_a_dead_process_left(make_stack) -> None:
    stack = make_stack()
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    engine = stack.app.ctx.engine
    plan = steps.steps_of(engine, 1)
    now = stack.app.ctx.clock()
    # As if a process recorded the approval, claimed the first step and died.
    decisions.record_decision(
        engine,
        incident_id=1,
        user_id="U03CAPPROV",
        decision="approved",
        step_keys=[s.key for s in plan[:-1]],
        now=now,
    )
    with session_scope(engine) as session:
        first = session.get(ContainmentStep, plan[0].id)
        first.status = "running"
        first.started_at = now - runner.STALE_AFTER - timedelta(seconds=1)
        first.attempts = 1

    # A new process on the same database picks the work up at start.
    restarted = create_app(
        stack.settings,
        stack.catalog,
        connectors=stack.app.ctx.connectors,
        start_scheduler=False,
    )
    try:
        restarted.ctx.background.drain()
        done = steps.steps_of(engine, 1)
        assert [s.status for s in done] == contained_statuses(stack, 1)
        assert [s.attempts for s in done] == [2] + [1] * (len(done) - 2) + [0]
    finally:
        restarted.close()


def test_a_failed_setup_stage_does_not_stop_the_page_or_the_plan(make_stack) -> None:
    from bot.incident_room import finish_room

    stack = make_stack()
    stack.emulator.inject("pins.add", status=200, error="internal_error")

    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()

    incident = only_incident(stack, 1)
    # The summary is posted but not pinned; the owner is paged and the plan is
    # up all the same.
    assert incident.summary_ts is not None
    assert stack.emulator.pins_in(incident.channel_id) == []
    assert incident.plan_ts is not None and incident.scope_ts is not None
    assert decisions.pages_of(stack.app.ctx.engine, 1)[0].target == "U01AOWNER"

    # A later pass does not post a second summary or plan.
    finish_room(stack.app.ctx, 1)
    texts = [m.get("text", "") for m in stack.emulator.messages_in(incident.channel_id)]
    assert sum(t.startswith("Incident 1:") for t in texts) == 1
    assert sum(t.startswith("Containment plan") for t in texts) == 1


def test_a_failed_channel_creation_still_pages_and_is_retried(make_stack) -> None:
    from bot.incident_room import finish_room

    stack = make_stack()
    stack.emulator.inject("conversations.create", status=200, error="restricted_action")

    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()

    incident = only_incident(stack, 1)
    assert incident.channel_id is None
    page = decisions.pages_of(stack.app.ctx.engine, 1)[0]
    assert page.target == "U01AOWNER" and page.error is None
    dm = stack.emulator.message(page.channel_id, page.message_ts)
    assert "channel is still being set up" in str(dm["blocks"])

    # The next pass (the leader's sweep, or a new alert) creates the room.
    finish_room(stack.app.ctx, 1)
    finished = only_incident(stack, 1)
    assert finished.channel_id and finished.plan_ts and finished.summary_ts
    assert len(decisions.pages_of(stack.app.ctx.engine, 1)) == 1
