"""Resolving an incident: only the commander, and undo reverses what can be undone."""

from __future__ import annotations

from bot.devtools.aws_seed import aws_state
from bot.slack import blocks
from storage import incidents
from tests.e2e.helpers import only_incident, statuses


def _contained(stack) -> int:
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    incident = only_incident(stack, 1)
    stack.driver.click(
        "U03CAPPROV", incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
    )
    stack.settle()
    assert only_incident(stack, 1).status == "contained"
    return 1


def _resolve_message(stack, channel: str) -> dict:
    return next(
        m
        for m in stack.emulator.messages_in(channel)
        if m.get("text") == "Resolve this incident?"
    )


def test_resolve_and_undo_reverses_the_reversible_steps(make_stack) -> None:
    stack = make_stack()
    incident_id = _contained(stack)
    channel = only_incident(stack, incident_id).channel_id
    contained = stack.kubernetes_state()["invoice-sync"]
    assert contained["network_policies"] and not contained["role_bindings"]

    stack.driver.slash_command("U01AOWNER", "resolve", channel_id=channel)
    stack.settle()
    offer = _resolve_message(stack, channel)
    stack.driver.click("U0ANALYST", channel, offer["ts"], blocks.RESOLVE_UNDO_ACTION)
    stack.settle()
    assert only_incident(stack, incident_id).status == "contained"
    refusal = stack.emulator.ephemerals_for("U0ANALYST")[-1]["text"]
    assert "Only the incident commander" in refusal

    stack.driver.click("U03CAPPROV", channel, offer["ts"], blocks.RESOLVE_UNDO_ACTION)
    stack.settle()

    resolved = only_incident(stack, incident_id)
    assert resolved.status == "resolved" and resolved.open_slot is None
    after = statuses(stack, incident_id)
    # Keys re-activated, the deny policy gone, bindings back, isolation lifted;
    # a rotated secret cannot be un-rotated and stays as it is.
    assert after["aws.deactivate_access_keys"] == "undone"
    assert after["aws.revoke_role_sessions"] == "undone"
    assert after["kubernetes.revoke_service_account_tokens"] == "undone"
    assert after["kubernetes.isolate_network"] == "undone"
    assert after["aws.rotate_secret"] == "succeeded"
    aws = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert aws["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Active"}
    assert aws["roles"]["invoice-sync-runner"] == []
    cluster = stack.kubernetes_state()["invoice-sync"]
    assert cluster["network_policies"] == [] and cluster["quarantined_pods"] == []
    assert cluster["role_bindings"] == ["invoice-sync-access"]

    # A new alert for the workload now opens a new incident.
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    assert incidents.get_incident(stack.app.ctx.engine, 2) is not None


def test_resolve_and_keep_leaves_containment_in_place(make_stack) -> None:
    stack = make_stack()
    incident_id = _contained(stack)
    channel = only_incident(stack, incident_id).channel_id
    stack.driver.slash_command("U03CAPPROV", "resolve", channel_id=channel)
    stack.settle()
    offer = _resolve_message(stack, channel)

    stack.driver.click("U03CAPPROV", channel, offer["ts"], blocks.RESOLVE_KEEP_ACTION)
    stack.driver.click("U03CAPPROV", channel, offer["ts"], blocks.RESOLVE_UNDO_ACTION)
    stack.settle()

    assert only_incident(stack, incident_id).status == "resolved"
    assert "undone" not in statuses(stack, incident_id).values()
    again = stack.emulator.ephemerals_for("U03CAPPROV")[-1]["text"]
    assert again == "This incident is already resolved."
    aws = aws_state(stack.catalog, endpoint_url=stack.moto_url)
    assert aws["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Inactive"}


UNKNOWN_APPROVER_CATALOG = """
workloads:
  - name: invoice-sync
    owner: U01AOWNER
    fallback_owner: U02BFALLBK
    approver: gone@example.com
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/invoice-sync
        access_key_ids: [AKIA4INVSYNC7EXAMPLE]
"""


def test_nobody_resolves_when_the_approver_cannot_be_found(make_stack) -> None:
    from storage import decisions

    stack = make_stack(UNKNOWN_APPROVER_CATALOG)
    stack.driver.slash_command("U01AOWNER", "invoice-sync")
    stack.settle()
    channel = only_incident(stack, 1).channel_id
    stack.driver.slash_command("U01AOWNER", "resolve", channel_id=channel)
    stack.settle()
    offer = _resolve_message(stack, channel)

    stack.driver.click("U0ANALYST", channel, offer["ts"], blocks.RESOLVE_KEEP_ACTION)
    stack.settle()

    assert only_incident(stack, 1).status == "open"
    refusals = decisions.refusals_of(stack.app.ctx.engine, 1)
    assert [(r.user_id, r.action) for r in refusals] == [("U0ANALYST", "resolve")]
