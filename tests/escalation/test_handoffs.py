"""Stalled handoffs: the approval timer and the stalled-step reminder."""

from __future__ import annotations

from bot.slack import blocks
from storage import decisions, incidents, steps
from tests.escalation.conftest import RigFactory

OWNER, APPROVER, FALLBACK = "U01AOWNER", "U03CAPPROV", "U07FBACK"


def test_approval_timer_reminds_then_lets_the_fallback_approver_decide(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(approval_timeout_minutes=15.0)
    incident_id = rig.open_incident()
    rig.driver.slash_command(OWNER, "ack", channel_id=_channel(rig, incident_id))
    rig.settle()
    plan_ts = incidents.get_incident(rig.ctx.engine, incident_id).plan_ts
    channel = _channel(rig, incident_id)

    # Before the timer fires, the fallback approver is refused like anyone else.
    rig.driver.click(FALLBACK, channel, plan_ts, blocks.APPROVE_ACTION)
    rig.settle()
    assert decisions.decision_of(rig.ctx.engine, incident_id) is None

    rig.clock.advance(minutes=15)
    rig.sweep()
    rig.sweep()
    assert [d["text"] for d in rig.dms_to(APPROVER)][-1].startswith(":hourglass:")
    assert rig.audit(incident_id, "handoff.approval_reminded") == [{"user": APPROVER}]

    rig.clock.advance(minutes=15)
    rig.sweep()
    assert len(rig.dms_to(FALLBACK)) == 1
    assert any("fallback incident" in t for t in rig.channel_texts(incident_id))

    rig.driver.click(FALLBACK, channel, plan_ts, blocks.APPROVE_ACTION)
    rig.settle()
    decision = decisions.decision_of(rig.ctx.engine, incident_id)
    assert decision is not None and decision.user_id == FALLBACK


def test_a_failed_step_nobody_retries_reminds_the_approver_once(
    make_rig: RigFactory,
) -> None:
    rig = make_rig(stalled_step_minutes=10.0, approval_timeout_minutes=600.0)
    incident_id = rig.open_incident()
    channel = _channel(rig, incident_id)
    rig.driver.slash_command(OWNER, "ack", channel_id=channel)
    plan_ts = incidents.get_incident(rig.ctx.engine, incident_id).plan_ts
    rig.driver.click(APPROVER, channel, plan_ts, blocks.APPROVE_ACTION)
    rig.settle()
    # No connector is configured in this rig, so every approved step fails.
    failed = [
        s for s in steps.steps_of(rig.ctx.engine, incident_id) if s.status == "failed"
    ]
    assert failed
    before = len(rig.dms_to(APPROVER))

    rig.clock.advance(minutes=9)
    rig.sweep()
    assert len(rig.dms_to(APPROVER)) == before
    rig.clock.advance(minutes=1)
    rig.sweep()
    rig.sweep()
    reminders = rig.audit(incident_id, "handoff.stalled_step_reminded")
    assert len(reminders) == len(failed)
    assert len(rig.dms_to(APPROVER)) == before + len(failed)
    assert "nobody has retried it" in rig.dms_to(APPROVER)[-1]["text"]


def _channel(rig, incident_id: int) -> str:
    incident = incidents.get_incident(rig.ctx.engine, incident_id)
    assert incident is not None and incident.channel_id
    return incident.channel_id
