"""Running steps through the registry: dispatch, dry run, missing connectors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.catalog import Catalog, load_catalog
from bot.connectors import AwsConnector, Connectors, build_connectors
from bot.containment.plan import build_plan, stop_step
from bot.containment.steps import StepSpec
from bot.devtools.aws_seed import aws_state, seed_aws
from bot.settings import Settings
from tests.moto_server import aws_session, moto_endpoint, moto_server  # noqa: F401

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


def settings(endpoint: str) -> Settings:
    return Settings(
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr("test"),
        aws_endpoint_url=endpoint,
        aws_region="us-east-1",
    )


def plan(catalog: Catalog, name: str) -> list[StepSpec]:
    workload = catalog.get(name)
    assert workload is not None
    return build_plan(workload, catalog, now=NOW)


def test_whole_plan_runs_through_connectors_built_from_settings(
    moto_endpoint: str,  # noqa: F811
    catalog: Catalog,
) -> None:
    seed_aws(catalog, endpoint_url=moto_endpoint)
    connectors = build_connectors(settings(moto_endpoint))

    outcomes = {
        step.key: connectors.run(step, NOW) for step in plan(catalog, "invoice-sync")
    }

    aws_keys = [key for key in outcomes if key.startswith("aws.")]
    assert len(aws_keys) == 3
    assert all(outcomes[key].ok for key in aws_keys), outcomes
    state = aws_state(catalog, endpoint_url=moto_endpoint)
    assert state["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Inactive"}
    # Kubernetes is not configured in these settings: its steps say so.
    others = set(outcomes) - set(aws_keys)
    assert others and all(key.startswith("kubernetes.") for key in others)
    assert all("not configured" in outcomes[key].detail for key in others)


def test_unconfigured_connector_reports_instead_of_failing_hard(
    moto_endpoint: str,  # noqa: F811
    catalog: Catalog,
) -> None:
    connectors = build_connectors(settings(moto_endpoint))

    outcomes = {
        step.key: connectors.run(step, NOW) for step in plan(catalog, "ledger-reader")
    }

    webhook = outcomes["webhook.revoke_api_key:ledger-reader:reporting-partner-key"]
    assert not webhook.ok
    assert webhook.detail.startswith("The webhook connector is not configured:")


def test_dry_run_returns_the_calls_as_detail(
    moto_endpoint: str,  # noqa: F811
    catalog: Catalog,
) -> None:
    seed_aws(catalog, endpoint_url=moto_endpoint)
    connectors = Connectors(
        {"aws": AwsConnector(aws_session(), endpoint_url=moto_endpoint)}
    )
    step = plan(catalog, "invoice-sync")[0]

    outcome = connectors.run(step, NOW, dry_run=True)

    assert outcome.ok
    assert "iam:UpdateAccessKey UserName=invoice-sync" in outcome.detail
    assert outcome.evidence["dry_run"] == outcome.detail.splitlines()
    assert connectors.dry_run(step, now=NOW) == outcome.detail.splitlines()
    state = aws_state(catalog, endpoint_url=moto_endpoint)
    assert state["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Active"}


def test_connector_error_becomes_a_failed_outcome(
    moto_endpoint: str,  # noqa: F811
    catalog: Catalog,
) -> None:
    connectors = build_connectors(settings(moto_endpoint))  # nothing seeded

    outcome = connectors.run(plan(catalog, "invoice-sync")[0], NOW)

    assert not outcome.ok
    assert "IAM user invoice-sync exists" in outcome.detail


def test_kubernetes_steps_report_not_configured(catalog: Catalog) -> None:
    connectors = Connectors()
    checkout = catalog.get("checkout-api")
    assert checkout is not None
    steps = plan(catalog, "checkout-api") + [stop_step(checkout)]

    outcomes = [connectors.run(step, NOW) for step in steps]

    assert [step.connector for step in steps] == ["kubernetes"] * 3
    for step, outcome in zip(steps, outcomes, strict=True):
        assert not outcome.ok
        assert "kubernetes connector is not configured" in outcome.detail
        assert step.change in outcome.detail
        assert connectors.dry_run(step, now=NOW) == [outcome.detail]


def test_missing_aws_connector_says_what_to_set(catalog: Catalog) -> None:
    outcome = Connectors().run(plan(catalog, "invoice-sync")[0], NOW)

    assert not outcome.ok
    assert "AWS_ACCESS_KEY_ID" in outcome.detail


def test_undo_through_registry_uses_evidence(
    moto_endpoint: str,  # noqa: F811
    catalog: Catalog,
) -> None:
    seed_aws(catalog, endpoint_url=moto_endpoint)
    connectors = build_connectors(settings(moto_endpoint))
    steps = {step.action: step for step in plan(catalog, "invoice-sync")}
    ran = connectors.run(steps["deactivate_access_keys"], NOW)

    undone = connectors.undo(steps["deactivate_access_keys"], ran.evidence)
    refused = connectors.undo(steps["rotate_secret"])

    assert undone.ok, undone.detail
    assert not refused.ok and "cannot be undone" in refused.detail
