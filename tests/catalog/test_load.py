"""Loading a catalog: the example loads, and every error names workload and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import load_catalog, parse_catalog
from bot.errors import CatalogError

EXAMPLE = Path(__file__).parents[2] / "bot" / "examples" / "catalog.yml"

GOOD = """
workloads:
  - name: web
    owner: U01OWNER
    fallback_owner: fallback@example.com
    approver: U02APPROVE
"""


def test_example_catalog_loads() -> None:
    catalog = load_catalog(EXAMPLE)

    assert [w.name for w in catalog.workloads] == [
        "invoice-sync",
        "ledger-reader",
        "checkout-api",
        "falco-pod-delete",
        "legacy-reporter",
    ]
    assert catalog.get("invoice-sync").identities[0].access_key_ids == (
        "AKIA4INVSYNC7EXAMPLE",
    )


def test_good_minimal_catalog_parses() -> None:
    catalog = parse_catalog(GOOD)

    assert catalog.get("web").people == (
        "U01OWNER",
        "fallback@example.com",
        "U02APPROVE",
    )


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"

    with pytest.raises(CatalogError, match="cannot read catalog .*nope.yml"):
        load_catalog(missing)


def test_bad_access_key_id_names_workload_and_field() -> None:
    text = """
workloads:
  - name: batch
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/batch
        access_key_ids: [not-a-key]
"""
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    message = str(caught.value)
    assert "workload 'batch', field identities.0.access_key_ids" in message
    assert "'not-a-key' is not an AWS access key id" in message


def test_bad_owner_names_workload_and_field() -> None:
    text = GOOD.replace("U01OWNER", "not a person")

    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    message = str(caught.value)
    assert "workload 'web', field owner" in message
    assert "Slack member id (U…) or an e-mail address" in message


def test_duplicate_workload_is_named() -> None:
    text = GOOD + "  - name: web\n"

    with pytest.raises(CatalogError, match="workload 'web' is listed twice"):
        parse_catalog(text)


def test_unknown_field_names_workload_and_field() -> None:
    text = GOOD + "    colour: blue\n"

    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    assert "workload 'web', field colour: Extra inputs" in str(caught.value)


def test_unknown_field_in_identity_is_located() -> None:
    text = GOOD + (
        "    identities:\n"
        "      - kind: api_key\n"
        "        principal: partner\n"
        "        secret_value: hunter2\n"
    )

    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    assert "workload 'web', field identities.0.secret_value" in str(caught.value)


def test_unnamed_workload_is_numbered() -> None:
    text = GOOD + "  - owner: U01OWNER\n"

    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    assert "workload #2, field name: Field required" in str(caught.value)


def test_text_that_is_not_yaml_is_rejected() -> None:
    with pytest.raises(CatalogError, match="team.yml is not valid YAML"):
        parse_catalog("workloads: [unclosed", source="team.yml")


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "teams: {}\n"])
def test_missing_workloads_is_rejected(text: str) -> None:
    with pytest.raises(CatalogError, match="must be a mapping with a 'workloads'"):
        parse_catalog(text)
