"""The default containment plan and the separate stop step, from the catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.catalog import Catalog, Workload, load_catalog, parse_catalog
from bot.containment.plan import REVOKE_POLICY_NAME, build_plan, stop_step
from bot.containment.steps import Phase, StepSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


def workload(catalog: Catalog, name: str) -> Workload:
    found = catalog.get(name)
    assert found is not None
    return found


def by_action(steps: list[StepSpec]) -> dict[str, StepSpec]:
    return {step.action: step for step in steps}


def test_invoice_sync_plan_order_keys_and_targets(catalog: Catalog) -> None:
    steps = build_plan(workload(catalog, "invoice-sync"), catalog, now=NOW)

    assert [step.key for step in steps] == [
        "aws.deactivate_access_keys:invoice-sync:invoice-sync",
        "aws.revoke_role_sessions:invoice-sync:invoice-sync-runner",
        "kubernetes.revoke_service_account_tokens:invoice-sync:billing/invoice-sync",
        "aws.rotate_secret:invoice-sync:prod/invoice-sync/payment-api-key",
        "kubernetes.isolate_network:invoice-sync",
    ]
    assert [step.phase for step in steps] == sorted(step.phase for step in steps)
    assert all(step.phase != Phase.STOP_WORKLOAD for step in steps)
    actions = by_action(steps)
    keys = actions["deactivate_access_keys"]
    assert keys.target == "arn:aws:iam::123456789012:user/invoice-sync"
    assert keys.params == {
        "user_name": "invoice-sync",
        "access_key_ids": "AKIA4INVSYNC7EXAMPLE",
    }
    assert "AKIA4INVSYNC7EXAMPLE" in keys.change and "Inactive" in keys.change
    assert "static, issued 1036 days ago" in keys.change


def test_role_step_names_policy_but_fixes_no_cutoff(catalog: Catalog) -> None:
    steps = build_plan(workload(catalog, "invoice-sync"), catalog, now=NOW)
    role = by_action(steps)["revoke_role_sessions"]

    assert role.params == {
        "role_name": "invoice-sync-runner",
        "policy_name": REVOKE_POLICY_NAME,
    }
    assert "sessions issued before the step runs, right after approval" in role.change
    assert role.reversible


def test_shared_secret_names_the_other_workload(catalog: Catalog) -> None:
    steps = build_plan(workload(catalog, "invoice-sync"), catalog, now=NOW)
    secret = by_action(steps)["rotate_secret"]

    assert secret.affects == ("ledger-reader",)
    assert "Shared with ledger-reader" in secret.change
    assert "must pick up the new value" in secret.change
    assert not secret.reversible


def test_credentials_shared_into_the_workload_are_planned_too(
    catalog: Catalog,
) -> None:
    steps = build_plan(workload(catalog, "ledger-reader"), catalog, now=NOW)
    api_key = by_action(steps)["revoke_api_key"]
    reporter = build_plan(workload(catalog, "legacy-reporter"), catalog, now=NOW)

    assert api_key.affects == ("legacy-reporter",)
    assert "Shared with legacy-reporter" in api_key.change
    assert [step.affects for step in reporter] == [("ledger-reader",)]


def test_shared_iam_user_is_named_in_change(catalog: Catalog) -> None:
    text = """
workloads:
  - name: a
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/shared
        access_key_ids: [AKIASHAREDKEY0000001]
        shared_with: [b]
  - name: b
  - name: c
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/shared
"""
    shared = parse_catalog(text)

    (step,) = build_plan(workload(shared, "a"), shared, now=NOW)

    assert step.affects == ("b", "c")
    assert "Shared with b and c: their calls with these keys fail too." in step.change


def test_kubernetes_and_agent_steps_are_placeholders(catalog: Catalog) -> None:
    checkout = build_plan(workload(catalog, "checkout-api"), catalog, now=NOW)
    agent = build_plan(workload(catalog, "falco-pod-delete"), catalog, now=NOW)

    assert [(s.connector, s.action, s.phase) for s in checkout] == [
        ("kubernetes", "revoke_service_account_tokens", Phase.REVOKE_TOKENS),
        ("kubernetes", "isolate_network", Phase.CUT_ACCESS),
    ]
    assert checkout[0].params == {"namespace": "shop", "service_account": "checkout"}
    assert checkout[1].params == {"namespace": "shop", "pod_labels": "app=checkout"}
    assert "Customers' requests" in checkout[1].change
    assert "expires in 28d" in checkout[0].change
    assert agent[-1].key == "webhook.revoke_tool_grants:falco-pod-delete"


def test_keys_are_unique_and_stable(catalog: Catalog) -> None:
    for entry in catalog.workloads:
        first = build_plan(entry, catalog, now=NOW)
        again = build_plan(entry, catalog, now=datetime(2027, 1, 1, tzinfo=UTC))

        assert len({step.key for step in first}) == len(first)
        assert [s.key for s in first] == [s.key for s in again]


def test_plan_survives_json_round_trip(catalog: Catalog) -> None:
    steps = build_plan(workload(catalog, "invoice-sync"), catalog, now=NOW)

    assert [StepSpec.from_json(step.to_json()) for step in steps] == steps


def test_stop_step_says_what_stopping_breaks(catalog: Catalog) -> None:
    invoice = stop_step(workload(catalog, "invoice-sync"))
    checkout = stop_step(workload(catalog, "checkout-api"))
    unknown = stop_step(workload(catalog, "legacy-reporter"))

    assert invoice.phase == Phase.STOP_WORKLOAD
    assert (invoice.connector, invoice.action) == ("kubernetes", "scale_to_zero")
    assert invoice.params["namespace"] == "billing"
    assert "scheduled runs are missed" in invoice.change
    assert "customers' requests" in invoice.change
    assert (checkout.connector, checkout.action) == ("kubernetes", "scale_to_zero")
    assert "ask the owner what breaks" in unknown.change


def test_stop_step_for_cross_account_names_other_accounts() -> None:
    text = """
workloads:
  - name: partner-bridge
    criticality: [cross-account]
"""
    bridge = parse_catalog(text).workloads[0]

    step = stop_step(bridge)

    assert "callers in other AWS accounts lose service" in step.change
    assert step.connector == "webhook"


def test_shared_credential_is_offered_unticked_with_a_proposal() -> None:
    catalog = parse_catalog(
        """
workloads:
  - name: payments
    owner: U01OWNER
    identities:
      - kind: aws_iam_role
        principal: arn:aws:iam::123456789012:role/shared-runner
        shared_with: [reports]
  - name: reports
    owner: U02OWNER
"""
    )
    step = build_plan(workload(catalog, "payments"), catalog, now=NOW)[0]

    assert step.affects == ("reports",) and step.ticked is False
    assert "issue payments a credential of its own" in step.change


def test_credential_about_to_expire_says_expiry_contains_it_sooner() -> None:
    catalog = parse_catalog(
        f"""
workloads:
  - name: ci-runner
    owner: U01OWNER
    identities:
      - kind: k8s_service_account
        principal: ci/runner
        expires_at: {(NOW + timedelta(minutes=10)).isoformat()}
"""
    )
    step = build_plan(workload(catalog, "ci-runner"), catalog, now=NOW)[0]

    assert "expires in 10m 0s" in step.change
    assert "expiry contains it sooner" in step.change
