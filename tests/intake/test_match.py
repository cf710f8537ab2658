"""Matching alerts to workloads: precedence, conflicts, ambiguity, unowned alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog import load_catalog, parse_catalog
from bot.intake.match import Match, WorkloadIndex
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert
from bot.intake.parse import parse_alerts

REPO = Path(__file__).parents[2]
EXAMPLES = REPO / "bot" / "examples"
CORPUS = REPO.parent / "shared" / "corpus"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
K = KeyKind

INDEX = WorkloadIndex(load_catalog(EXAMPLES / "catalog.yml"))

OTHER_CATALOG = """
workloads:
  - name: deployer
    identities:
      - kind: aws_iam_role
        principal: arn:aws:iam::111122223333:role/service/deployer
  - name: deployer-staging
    identities:
      - kind: aws_iam_role
        principal: arn:aws:iam::444455556666:role/deployer
  - name: reports-prod
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::111122223333:user/reports
  - name: reports-staging
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::444455556666:user/reports
  - name: exporter
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::111122223333:user/team/exporter
  - name: checkout
    network: {namespace: shop, pod_prefix: checkout-}
  - name: checkout-worker
    network: {namespace: shop, pod_prefix: checkout-worker-}
  - name: payments
    identities:
      - kind: spiffe_id
        principal: spiffe://prod.example.com/ns/pay/sa/payments
      - kind: aws_iam_role
        principal: arn:aws:iam::111122223333:role/shared-reader
    network: {namespace: pay}
  - name: refunds
    identities:
      - kind: aws_iam_role
        principal: arn:aws:iam::111122223333:role/shared-reader
    network: {namespace: pay}
  - name: batch
    network: {namespace: batch, pod_prefix: nightly-}
"""
OTHER = WorkloadIndex(parse_catalog(OTHER_CATALOG))


def alert(*keys: tuple[KeyKind, str]) -> ParsedAlert:
    return ParsedAlert(
        source="test",
        title="test",
        severity="high",
        detected_at=NOW,
        summary="",
        keys=tuple(IdentityKey(kind, value) for kind, value in keys),
    )


def name_of(match: Match) -> str | None:
    return match.workload.name if match.workload else None


def test_guardduty_example_matches_invoice_sync_by_access_key() -> None:
    body = (EXAMPLES / "guardduty-iam-access-key.json").read_bytes()
    (parsed,) = parse_alerts("guardduty", body, received_at=NOW)

    match = INDEX.match(parsed)

    assert name_of(match) == "invoice-sync"
    assert match.matched_by == IdentityKey(K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE")
    assert match.conflicts == ()
    assert match.owned


def test_falco_example_matches_checkout_api_by_pod() -> None:
    body = (EXAMPLES / "falco-k8s-api-from-checkout.json").read_bytes()
    (parsed,) = parse_alerts("falco", body, received_at=NOW)

    match = INDEX.match(parsed)

    assert name_of(match) == "checkout-api"
    assert match.matched_by == IdentityKey(K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q")
    assert match.conflicts == ()


def test_openfaas_corpus_second_line_matches_falco_pod_delete() -> None:
    name = (
        "falco-website__falcosidekick-response-engine-part-2-openfass__L568-569.jsonl"
    )
    body = (CORPUS / "falco" / name).read_bytes()
    shell, api = parse_alerts("falco", body, received_at=NOW)

    match = INDEX.match(api)

    assert name_of(match) == "falco-pod-delete"
    assert match.matched_by == IdentityKey(
        K.K8S_POD, "openfaas-fn/falco-pod-delete-7dc9f5fbb8-gbfk7"
    )
    # default/alpine belongs to nobody in the catalog.
    assert INDEX.match(shell) == Match(None)


@pytest.mark.parametrize("source", ["guardduty", "falco"])
def test_no_corpus_alert_matches_the_example_catalog_by_accident(
    source: str,
) -> None:
    matched = []
    for path in sorted((CORPUS / source).iterdir()):
        if path.name == "logs.txt":
            continue  # refused whole; see test_falco.py
        for parsed in parse_alerts(source, path.read_bytes(), received_at=NOW):
            if INDEX.match(parsed).owned:
                matched.append((path.name, parsed.title))

    expected = {
        "guardduty": [],
        "falco": [
            (
                "falco-website__falcosidekick-response-engine-part-2-openfass"
                "__L568-569.jsonl",
                "Contact K8S API Server From Container",
            )
        ],
    }
    assert matched == expected[source]


def test_stronger_key_wins_and_the_others_are_conflicts() -> None:
    parsed = alert(
        (K.K8S_NAMESPACE, "shop"),
        (K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"),
        (K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE"),
        (K.IAM_ROLE_ARN, "arn:aws:iam::123456789012:role/ledger-reader"),
    )

    match = INDEX.match(parsed)

    assert name_of(match) == "invoice-sync"
    assert match.matched_by == IdentityKey(K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE")
    assert match.conflicts == (
        (
            IdentityKey(K.IAM_ROLE_ARN, "arn:aws:iam::123456789012:role/ledger-reader"),
            "ledger-reader",
        ),
        (IdentityKey(K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"), "checkout-api"),
        (IdentityKey(K.K8S_NAMESPACE, "shop"), "checkout-api"),
    )


def test_keys_agreeing_on_one_workload_are_no_conflict() -> None:
    parsed = alert(
        (K.INSTANCE_ID, "i-0a1b2c3d4e5f60789"),
        (K.IAM_USER_ARN, "arn:aws:iam::123456789012:user/invoice-sync"),
        (K.IAM_USER_NAME, "invoice-sync"),
    )

    match = INDEX.match(parsed)

    assert name_of(match) == "invoice-sync"
    assert match.matched_by.kind == K.IAM_USER_ARN
    assert match.conflicts == ()


@pytest.mark.parametrize(
    "keys",
    [
        (),
        ((K.ACCESS_KEY_ID, "AKIAUNKNOWNKEY000000"),),
        ((K.K8S_POD, "default/alpine"), (K.K8S_NAMESPACE, "default")),
        # Right pod prefix, wrong namespace.
        ((K.K8S_POD, "staging/checkout-7d9f8b6c5d-x2x9q"),),
        ((K.IAM_ROLE_ARN, "arn:aws:iam::999999999999:role/ledger-reader"),),
        ((K.INSTANCE_ID, "i-99999999"),),
        ((K.IAM_USER_ARN, "not-an-arn"),),
    ],
)
def test_unowned_alerts_match_nothing(keys: tuple[tuple[KeyKind, str], ...]) -> None:
    assert INDEX.match(alert(*keys)) == Match(None)


def test_role_session_and_path_reduce_to_account_and_name() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/deployer/gl-runner-881"

    match = OTHER.match(alert((K.ROLE_SESSION, session)))

    assert name_of(match) == "deployer"
    staging = "arn:aws:iam::444455556666:role/deployer"
    assert name_of(OTHER.match(alert((K.IAM_ROLE_ARN, staging)))) == (
        "deployer-staging"
    )


def test_user_arn_ignores_path() -> None:
    arn = "arn:aws:iam::111122223333:user/exporter"

    assert name_of(OTHER.match(alert((K.IAM_USER_ARN, arn)))) == "exporter"


def test_user_name_counts_only_when_one_catalog_user_has_it() -> None:
    assert name_of(OTHER.match(alert((K.IAM_USER_NAME, "exporter")))) == "exporter"

    match = OTHER.match(alert((K.IAM_USER_NAME, "reports")))

    assert match.workload is None
    assert match.ambiguous == (IdentityKey(K.IAM_USER_NAME, "reports"),)


def test_user_arn_disambiguates_a_shared_user_name() -> None:
    parsed = alert(
        (K.IAM_USER_NAME, "reports"),
        (K.IAM_USER_ARN, "arn:aws:iam::444455556666:user/reports"),
    )

    match = OTHER.match(parsed)

    assert name_of(match) == "reports-staging"
    assert match.ambiguous == (IdentityKey(K.IAM_USER_NAME, "reports"),)


def test_longest_pod_prefix_wins() -> None:
    worker = OTHER.match(alert((K.K8S_POD, "shop/checkout-worker-5f7c9-abcde")))
    web = OTHER.match(alert((K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q")))

    assert name_of(worker) == "checkout-worker"
    assert name_of(web) == "checkout"


def test_namespace_alone_needs_a_single_claimant() -> None:
    assert name_of(OTHER.match(alert((K.K8S_NAMESPACE, "batch")))) == "batch"

    shared = OTHER.match(alert((K.K8S_NAMESPACE, "shop")))

    assert shared.workload is None
    assert shared.ambiguous == (IdentityKey(K.K8S_NAMESPACE, "shop"),)


def test_shared_role_decides_nothing_but_a_spiffe_id_does() -> None:
    parsed = alert(
        (K.IAM_ROLE_ARN, "arn:aws:iam::111122223333:role/shared-reader"),
        (K.SPIFFE_ID, "spiffe://prod.example.com/ns/pay/sa/payments/"),
        (K.K8S_NAMESPACE, "pay"),
    )

    match = OTHER.match(parsed)

    assert name_of(match) == "payments"
    assert match.matched_by.kind == K.SPIFFE_ID
    assert match.ambiguous == (
        IdentityKey(K.IAM_ROLE_ARN, "arn:aws:iam::111122223333:role/shared-reader"),
        IdentityKey(K.K8S_NAMESPACE, "pay"),
    )
    assert match.conflicts == ()


def test_service_account_matches_and_beats_the_pod() -> None:
    parsed = alert(
        (K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"),
        (K.K8S_SERVICE_ACCOUNT, "openfaas-fn/falco-pod-delete"),
    )

    match = INDEX.match(parsed)

    assert name_of(match) == "falco-pod-delete"
    assert match.conflicts == (
        (IdentityKey(K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"), "checkout-api"),
    )
