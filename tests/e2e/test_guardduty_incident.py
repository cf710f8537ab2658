"""The main job on the example GuardDuty alert: paged, refused, approved, contained."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
from sqlmodel import select

from bot.devtools.aws_seed import aws_state
from bot.slack import blocks
from storage import decisions, steps
from storage.db import session_scope
from storage.tables import AuditEvent, Refusal
from tests.conftest import REPO
from tests.e2e.helpers import (
    buttons,
    contained_statuses,
    only_incident,
    page_of,
    posted_text,
    progress_message,
)

ALERT = (REPO / "bot" / "examples" / "guardduty-iam-access-key.json").read_bytes()


def test_alert_to_contained_identity(make_stack) -> None:
    stack = make_stack()
    engine = stack.app.ctx.engine

    answer = stack.post_alert("guardduty", ALERT)
    assert answer.status_code == 202
    stack.settle()
    incident_id = answer.json()["alerts"][0]["incident_id"]
    incident = only_incident(stack, incident_id)

    # The room: a valid channel with the right people, a topic and a pinned summary.
    assert incident.workload == "invoice-sync"
    assert incident.channel_name == f"contain-invoice-sync-{incident_id}"
    channel = incident.channel_id
    members = set(stack.emulator.members_of(channel))
    assert {"U01AOWNER", "U03CAPPROV"} <= members
    fallback = stack.app.ctx.directory.resolve("bo@example.com")
    assert fallback is not None and fallback in members
    assert "invoice-sync" in stack.emulator.topic_of(channel)
    pinned = stack.emulator.pins_in(channel)
    assert len(pinned) == 1

    # The owner's page: a DM with an Acknowledge button.
    page = page_of(stack, incident_id)
    assert page.target == "U01AOWNER" and page.error is None
    dm = stack.emulator.message(page.channel_id, page.message_ts)
    assert buttons(dm) == [blocks.ACK_ACTION]
    assert (
        stack.driver.click(
            "U01AOWNER", page.channel_id, page.message_ts, blocks.ACK_ACTION
        ).status_code
        == 200
    )
    stack.settle()
    assert decisions.acknowledgement_of(engine, incident_id).user_id == "U01AOWNER"

    # Someone else clicks Approve: refused in private, recorded, nothing runs.
    plan = stack.emulator.message(channel, incident.plan_ts)
    assert buttons(plan) == [
        "plan.select.0",
        blocks.APPROVE_ACTION,
        blocks.REJECT_ACTION,
    ]
    stack.driver.click("U0ANALYST", channel, incident.plan_ts, blocks.APPROVE_ACTION)
    stack.settle()
    refusal_notes = stack.emulator.ephemerals_for("U0ANALYST")
    assert any("only <@U03CAPPROV>" in note["text"] for note in refusal_notes)
    with session_scope(engine) as session:
        refusals = list(session.exec(select(Refusal)))
        assert [(r.user_id, r.action) for r in refusals] == [("U0ANALYST", "approve")]
    assert all(s.status == "proposed" for s in steps.steps_of(engine, incident_id))
    assert aws_state(stack.catalog, endpoint_url=stack.moto_url)["users"][
        "invoice-sync"
    ] == {"AKIA4INVSYNC7EXAMPLE": "Active"}

    # The approver double-clicks: one approval, every step runs exactly once.
    payload = stack.driver.click_payload(
        "U03CAPPROV", channel, incident.plan_ts, blocks.APPROVE_ACTION
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(stack.driver.send_payload, [payload] * 4))
    assert [a.status_code for a in answers] == [200] * 4
    stack.settle()

    ran = steps.steps_of(engine, incident_id)
    # Stopping the workload is offered but not ticked, so it is skipped.
    assert [s.status for s in ran] == contained_statuses(stack, incident_id)
    assert [s.attempts for s in ran] == [1] * (len(ran) - 1) + [0]
    assert {s.key.split(".")[0] for s in ran} == {"aws", "kubernetes"}
    assert ran[-1].key.startswith("kubernetes.scale_to_zero")
    assert decisions.decision_of(engine, incident_id).user_id == "U03CAPPROV"
    after = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert after["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Inactive"}
    assert after["roles"]["invoice-sync-runner"] == ["containbot-revoke-older-sessions"]
    versions = after["secrets"]["prod/invoice-sync/payment-api-key"]
    assert len(versions) == 2
    assert only_incident(stack, incident_id).status == "contained"

    # The live progress message shows each step's result; containment is
    # announced once.
    progress = progress_message(stack, channel)
    assert (
        progress["text"] == f"Containment progress: {len(ran)} of {len(ran)} steps done"
    )
    assert str(progress["blocks"]).count(":white_check_mark:") == len(ran) - 1
    texts = [m.get("text", "") for m in stack.emulator.messages_in(channel)]
    assert sum("is contained" in t for t in texts) == 1
    already = stack.emulator.ephemerals_for("U03CAPPROV")
    assert len(already) == 3 and all("already approved" in n["text"] for n in already)

    # The audit log has who did what, in order.
    with session_scope(engine) as session:
        actions = [
            e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))
        ]
    for expected in (
        "incident.opened",
        "alert.received",
        "channel.created",
        "page.sent",
        "page.acknowledged",
        "plan.refused",
        "plan.approved",
        "step.succeeded",
    ):
        assert expected in actions
    assert actions.count("plan.approved") == 1

    # No secret value reached Slack.
    secret = boto3.client(
        "secretsmanager",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    ).get_secret_value(SecretId="prod/invoice-sync/payment-api-key")["SecretString"]
    assert secret not in posted_text(stack)


def test_repeated_alert_joins_the_open_incident(make_stack) -> None:
    stack = make_stack()

    first = stack.post_alert("guardduty", ALERT).json()["alerts"][0]
    again = stack.post_alert("guardduty", ALERT).json()["alerts"][0]
    stack.settle()

    assert first["opened"] and not again["opened"]
    assert again["repeat"] and again["incident_id"] == first["incident_id"]
    assert len(stack.emulator.calls_to("conversations.create")) == 1
