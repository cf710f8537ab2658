"""The AWS connector against moto's server over HTTP: run, read back, undo."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.catalog import Catalog, load_catalog
from bot.connectors.aws import AwsConnector
from bot.containment.plan import REVOKE_POLICY_NAME, build_plan
from bot.containment.steps import StepSpec
from bot.devtools.aws_seed import aws_state, seed_aws
from bot.errors import ConnectorError
from tests.moto_server import aws_session, moto_endpoint, moto_server  # noqa: F401

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2026, 12, 3, 14, 10, 5, tzinfo=UTC)
KEY_ID = "AKIA4INVSYNC7EXAMPLE"
SECRET = "prod/invoice-sync/payment-api-key"


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture
def seeded(moto_endpoint: str, catalog: Catalog) -> str:  # noqa: F811
    seed_aws(catalog, endpoint_url=moto_endpoint)
    return moto_endpoint


@pytest.fixture
def aws(seeded: str) -> AwsConnector:
    return AwsConnector(aws_session(), endpoint_url=seeded)


@pytest.fixture
def steps(catalog: Catalog) -> dict[str, StepSpec]:
    workload = catalog.get("invoice-sync")
    assert workload is not None
    plan = build_plan(workload, catalog, now=NOW)
    return {step.action: step for step in plan if step.connector == "aws"}


def state(endpoint: str, catalog: Catalog) -> dict[str, Any]:
    return aws_state(catalog, endpoint_url=endpoint)


def test_deactivate_keys_reads_back_inactive_and_is_idempotent(
    aws: AwsConnector, seeded: str, catalog: Catalog, steps: dict[str, StepSpec]
) -> None:
    step = steps["deactivate_access_keys"]
    assert state(seeded, catalog)["users"]["invoice-sync"] == {KEY_ID: "Active"}

    first = aws.execute(step, now=NOW)
    second = aws.execute(step, now=NOW)

    assert first.ok, first.detail
    assert first.evidence["deactivated"] == [KEY_ID]
    assert first.evidence["key_statuses"] == {KEY_ID: "Inactive"}
    assert second.ok, second.detail
    assert second.evidence["deactivated"] == []
    assert "Nothing to change" in second.detail
    assert state(seeded, catalog)["users"]["invoice-sync"] == {KEY_ID: "Inactive"}


def test_deactivate_keys_also_catches_a_key_the_catalog_does_not_list(
    aws: AwsConnector, seeded: str, steps: dict[str, StepSpec]
) -> None:
    iam = aws_session().client("iam", endpoint_url=seeded)
    extra = iam.create_access_key(UserName="invoice-sync")["AccessKey"]["AccessKeyId"]

    outcome = aws.execute(steps["deactivate_access_keys"], now=NOW)

    assert outcome.ok
    assert sorted(outcome.evidence["deactivated"]) == sorted([KEY_ID, extra])
    assert f"does not list {extra}" in outcome.detail


def test_undo_reactivates_only_the_keys_containbot_deactivated(
    aws: AwsConnector, seeded: str, steps: dict[str, StepSpec]
) -> None:
    iam = aws_session().client("iam", endpoint_url=seeded)
    parked = iam.create_access_key(UserName="invoice-sync")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(
        UserName="invoice-sync", AccessKeyId=parked, Status="Inactive"
    )
    step = steps["deactivate_access_keys"]
    run = aws.execute(step, now=NOW)

    undone = aws.undo(step, evidence=run.evidence)

    assert undone.ok, undone.detail
    assert undone.evidence["key_statuses"] == {KEY_ID: "Active", parked: "Inactive"}
    assert not aws.undo(step).ok


def test_revoke_role_sessions_puts_policy_with_cutoff_at_execution_time(
    aws: AwsConnector, seeded: str, catalog: Catalog, steps: dict[str, StepSpec]
) -> None:
    step = steps["revoke_role_sessions"]
    later = NOW + timedelta(minutes=3)

    first = aws.execute(step, now=NOW)
    second = aws.execute(step, now=later)

    assert first.ok, first.detail
    assert first.evidence["cutoff"] == "2026-12-03T14:10:05Z"
    assert second.ok and second.evidence["cutoff"] == "2026-12-03T14:13:05Z"
    iam = aws_session().client("iam", endpoint_url=seeded)
    document = iam.get_role_policy(
        RoleName="invoice-sync-runner", PolicyName=REVOKE_POLICY_NAME
    )["PolicyDocument"]
    statement = document["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == ["*"] and statement["Resource"] == ["*"]
    assert statement["Condition"] == {
        "DateLessThan": {"aws:TokenIssueTime": "2026-12-03T14:13:05Z"}
    }
    assert state(seeded, catalog)["roles"]["invoice-sync-runner"] == [
        REVOKE_POLICY_NAME
    ]


def test_undo_removes_the_deny_policy_and_is_idempotent(
    aws: AwsConnector, seeded: str, catalog: Catalog, steps: dict[str, StepSpec]
) -> None:
    step = steps["revoke_role_sessions"]
    aws.execute(step, now=NOW)

    first = aws.undo(step)
    second = aws.undo(step)

    assert first.ok and second.ok, (first.detail, second.detail)
    assert state(seeded, catalog)["roles"]["invoice-sync-runner"] == []


def test_rotate_secret_makes_a_new_current_version(
    aws: AwsConnector, seeded: str, catalog: Catalog, steps: dict[str, StepSpec]
) -> None:
    step = steps["rotate_secret"]
    before = state(seeded, catalog)["secrets"][SECRET]
    (old,) = [v for v, stages in before.items() if "AWSCURRENT" in stages]

    first = aws.execute(step, now=NOW)
    second = aws.execute(step, now=NOW)

    assert first.ok, first.detail
    new = first.evidence["current_version"]
    assert first.evidence["previous_version"] == old and new != old
    assert second.ok and second.evidence["previous_version"] == new
    after = state(seeded, catalog)["secrets"][SECRET]
    assert after[second.evidence["current_version"]] == ["AWSCURRENT"]
    assert after[new] == ["AWSPREVIOUS"]
    assert not aws.undo(step).ok


def test_no_secret_value_in_evidence_or_logs(
    aws: AwsConnector,
    seeded: str,
    steps: dict[str, StepSpec],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sm = aws_session().client("secretsmanager", endpoint_url=seeded)
    caplog.set_level(logging.DEBUG)

    outcome = aws.execute(steps["rotate_secret"], now=NOW)
    # Reading the value is the test's job only: containbot never does it.
    with caplog.at_level(logging.WARNING):
        value = sm.get_secret_value(SecretId=SECRET)["SecretString"]

    assert outcome.ok
    assert len(value) >= 32
    assert value not in repr(outcome)
    assert value not in caplog.text
    assert any("PutSecretValue" in r.getMessage() for r in caplog.records)


def test_dry_run_lists_exact_calls_without_changing_anything(
    aws: AwsConnector, seeded: str, catalog: Catalog, steps: dict[str, StepSpec]
) -> None:
    before = state(seeded, catalog)

    keys = aws.dry_run(steps["deactivate_access_keys"], now=NOW)
    role = aws.dry_run(steps["revoke_role_sessions"], now=NOW)
    secret = aws.dry_run(steps["rotate_secret"], now=NOW)

    assert keys == [
        "iam:ListAccessKeys UserName=invoice-sync",
        f"iam:UpdateAccessKey UserName=invoice-sync AccessKeyId={KEY_ID} "
        "Status=Inactive",
    ]
    assert role[0].startswith(
        "iam:PutRolePolicy RoleName=invoice-sync-runner "
        f"PolicyName={REVOKE_POLICY_NAME} PolicyDocument="
    )
    assert '"aws:TokenIssueTime":"2026-12-03T14:10:05Z"' in role[0]
    assert any("PutSecretValue SecretId=" + SECRET in line for line in secret)
    assert state(seeded, catalog) == before


def test_missing_user_raises_an_error_that_says_what_to_check(
    aws: AwsConnector, steps: dict[str, StepSpec]
) -> None:
    step = steps["deactivate_access_keys"]
    ghost = replace(step, params={**step.params, "user_name": "no-such-user"})

    with pytest.raises(ConnectorError) as caught:
        aws.execute(ghost, now=NOW)

    message = str(caught.value)
    assert "iam:ListAccessKeys for user no-such-user failed" in message
    assert "IAM user no-such-user exists" in message


def test_missing_secret_and_role_name_the_resource(
    aws: AwsConnector, steps: dict[str, StepSpec]
) -> None:
    secret = replace(steps["rotate_secret"], params={"secret_id": "prod/gone"})
    role = replace(steps["revoke_role_sessions"], params={"role_name": "gone"})

    with pytest.raises(ConnectorError, match="secret prod/gone exists"):
        aws.execute(secret, now=NOW)
    with pytest.raises(ConnectorError, match="IAM role gone exists"):
        aws.execute(role, now=NOW)


def test_unknown_action_is_refused(aws: AwsConnector) -> None:
    step = StepSpec(
        key="aws.stop_instances:x",
        connector="aws",
        action="stop_instances",
        phase=9,  # type: ignore[arg-type]
        target="x",
        change="",
    )

    with pytest.raises(ConnectorError, match="cannot run aws.stop_instances"):
        aws.execute(step, now=NOW)
