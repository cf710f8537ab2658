"""Slack's side: signatures, the slash command, retries of a failed step."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import boto3

from bot.slack import blocks
from storage import incidents, steps
from tests.e2e.helpers import contained_statuses, only_incident, progress_message

FORM = "application/x-www-form-urlencoded"


def _command_body(text: str) -> bytes:
    return urlencode(
        {"command": "/contain", "text": text, "user_id": "U01AOWNER", "team_id": "T0"}
    ).encode()


def test_forged_or_stale_signatures_are_refused(make_stack) -> None:
    stack = make_stack()
    body = _command_body("invoice-sync")
    now = str(int(time.time()))

    forged = stack.driver.send_raw(
        body, FORM, signature="v0=" + "0" * 64, timestamp=now
    )
    missing = stack.driver.send_raw(body, FORM, signature="", timestamp=now)
    # Slack's replay window is five minutes; Bolt refuses older timestamps.
    stale = stack.driver.send_raw(body, FORM, timestamp=str(int(time.time()) - 600))
    stack.settle()

    assert [forged.status_code, missing.status_code, stale.status_code] == [401] * 3
    assert incidents.get_incident(stack.app.ctx.engine, 1) is None
    assert stack.emulator.calls_to("conversations.create") == []


def test_slash_command_help_open_and_unknown(make_stack) -> None:
    stack = make_stack()

    helped = stack.driver.slash_command("U01AOWNER", "help")
    unknown = stack.driver.slash_command("U01AOWNER", "no-such-workload")
    opened = stack.driver.slash_command("U01AOWNER", "checkout-api saw odd egress")
    again = stack.driver.slash_command("U01AOWNER", "checkout-api")
    stack.settle()

    assert {r.status_code for r in (helped, unknown, opened, again)} == {200}
    replies = [n["text"] for n in stack.emulator.ephemerals_for("U01AOWNER")]
    assert any("/contain <workload> [reason]" in r for r in replies)
    assert any("No workload named `no-such-workload`" in r for r in replies)
    assert any("Opening an incident for `checkout-api`" in r for r in replies)
    assert any("already has an open incident" in r for r in replies)
    incident = only_incident(stack, 1)
    assert incident.workload == "checkout-api" and incident.opened_by == "U01AOWNER"
    assert incident.title == "saw odd egress"
    assert len(stack.emulator.calls_to("conversations.create")) == 1

    status = stack.driver.slash_command(
        "U05ECHKOUT", "plan", channel_id=incident.channel_id
    )
    stack.settle()
    assert status.status_code == 200
    dry_run = stack.emulator.ephemerals_for("U05ECHKOUT")[-1]["text"]
    assert "Dry run" in dry_run and "Isolate network" in dry_run


def test_failed_step_is_retried_by_the_approver(make_stack) -> None:
    stack = make_stack()
    iam = boto3.client(
        "iam",
        endpoint_url=stack.moto_url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    # The role disappears before approval: its step fails and says why.
    iam.delete_role(RoleName="invoice-sync-runner")
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    incident = only_incident(stack, 1)
    stack.driver.click(
        "U03CAPPROV", incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
    )
    stack.settle()
    failed = [
        s for s in steps.steps_of(stack.app.ctx.engine, 1) if s.status == "failed"
    ]
    assert [s.key.split(":")[0] for s in failed] == ["aws.revoke_role_sessions"]
    assert "invoice-sync-runner" in (failed[0].detail or "")
    retry_message = progress_message(stack, incident.channel_id)

    # Only the approver may retry; once the role is back the retry succeeds.
    stack.driver.click(
        "U0ANALYST", incident.channel_id, retry_message["ts"], blocks.RETRY_ACTION
    )
    stack.settle()
    assert "Only the approver" in stack.emulator.ephemerals_for("U0ANALYST")[-1]["text"]
    iam.create_role(
        RoleName="invoice-sync-runner",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    stack.driver.click(
        "U03CAPPROV", incident.channel_id, retry_message["ts"], blocks.RETRY_ACTION
    )
    stack.settle()

    retried = steps.steps_of(stack.app.ctx.engine, 1)
    assert [s.status for s in retried] == contained_statuses(stack, 1)
    attempts = {s.key.split(":")[0]: s.attempts for s in retried}
    assert attempts["aws.revoke_role_sessions"] == 2
    assert attempts["aws.deactivate_access_keys"] == 1
    assert only_incident(stack, 1).status == "contained"


def test_approver_unticks_a_step_and_only_ticked_steps_run(make_stack) -> None:
    from bot.devtools.aws_seed import aws_state
    from storage import decisions

    stack = make_stack()
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    incident = only_incident(stack, 1)
    before = aws_state(stack.catalog, endpoint_url=stack.moto_url)

    # Leave the access keys and the sessions ticked; untick the secret rotation.
    stack.driver.click(
        "U03CAPPROV",
        incident.channel_id,
        incident.plan_ts,
        blocks.APPROVE_ACTION,
        ticks={"choice-1": ["step-0", "step-1"]},
    )
    stack.settle()

    ran = steps.steps_of(stack.app.ctx.engine, 1)
    assert [s.status for s in ran] == ["succeeded"] * 2 + ["skipped"] * (len(ran) - 2)
    approval = decisions.decision_of(stack.app.ctx.engine, 1)
    assert approval is not None and approval.step_keys == [s.key for s in ran[:2]]
    after = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert after["secrets"] == before["secrets"]
    assert after["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Inactive"}


def test_approving_with_nothing_ticked_records_nothing(make_stack) -> None:
    from storage import decisions

    stack = make_stack()
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    incident = only_incident(stack, 1)

    stack.driver.click(
        "U03CAPPROV",
        incident.channel_id,
        incident.plan_ts,
        blocks.APPROVE_ACTION,
        ticks={"choice-1": []},
    )
    stack.settle()

    assert decisions.decision_of(stack.app.ctx.engine, 1) is None
    reply = stack.emulator.ephemerals_for("U03CAPPROV")[-1]["text"]
    assert "Tick at least one step" in reply
