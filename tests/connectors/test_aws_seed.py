"""Seeding moto from the catalog, and reading AWS state back."""

from __future__ import annotations

import logging
from pathlib import Path

import boto3
import pytest

from bot.catalog import load_catalog
from bot.devtools.aws_seed import aws_state, seed_aws
from tests.moto_server import aws_session, moto_endpoint, moto_server  # noqa: F401

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
SECRET = "prod/invoice-sync/payment-api-key"


def test_seed_creates_users_with_catalog_key_ids_roles_and_secrets(
    moto_endpoint: str,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = load_catalog(EXAMPLE)
    caplog.set_level(logging.DEBUG)

    seed_aws(catalog, endpoint_url=moto_endpoint)
    seed_aws(catalog, endpoint_url=moto_endpoint)  # a second seed changes nothing
    state = aws_state(catalog, endpoint_url=moto_endpoint)
    logged = caplog.text

    assert state["users"] == {"invoice-sync": {"AKIA4INVSYNC7EXAMPLE": "Active"}}
    assert state["roles"] == {"invoice-sync-runner": [], "ledger-reader": []}
    (stages,) = state["secrets"][SECRET].values()
    assert stages == ["AWSCURRENT"]
    sm = aws_session().client("secretsmanager", endpoint_url=moto_endpoint)
    value = sm.get_secret_value(SecretId=SECRET)["SecretString"]
    assert value not in logged


def test_seeded_key_is_found_by_the_id_an_alert_carries(
    moto_endpoint: str,  # noqa: F811
) -> None:
    seed_aws(load_catalog(EXAMPLE), endpoint_url=moto_endpoint)
    iam = aws_session().client("iam", endpoint_url=moto_endpoint)

    used = iam.get_access_key_last_used(AccessKeyId="AKIA4INVSYNC7EXAMPLE")
    role = iam.get_role(RoleName="invoice-sync-runner")["Role"]

    assert used["UserName"] == "invoice-sync"
    assert role["Arn"] == "arn:aws:iam::123456789012:role/invoice-sync-runner"


def test_aws_state_of_one_workload(moto_endpoint: str) -> None:  # noqa: F811
    catalog = load_catalog(EXAMPLE)
    seed_aws(catalog, endpoint_url=moto_endpoint)
    workload = catalog.get("ledger-reader")
    assert workload is not None

    state = aws_state(workload, endpoint_url=moto_endpoint)

    assert state["users"] == {} and state["roles"] == {"ledger-reader": []}
    versions = state["secrets"]["prod/ledger/db-password"]
    assert list(versions.values()) == [["AWSCURRENT"]]


def test_seed_uses_dummy_credentials_only(
    moto_endpoint: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Real-looking credentials in the environment must not be used for seeding.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALLOOKINGKEY00")
    seen: list[str] = []
    original = boto3.Session.__init__

    def spy(self: boto3.Session, *args: object, **kwargs: object) -> None:
        seen.append(str(kwargs.get("aws_access_key_id")))
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(boto3.Session, "__init__", spy)
    seed_aws(load_catalog(EXAMPLE), endpoint_url=moto_endpoint)

    assert seen and set(seen) == {"testing"}
