"""The generic alert shape: keys, refusals, and the schema agreeing with the code."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest

from bot.intake import generic
from bot.intake.model import KeyKind
from tests.intake.helpers import keys, parse_as, rejection

K = KeyKind
MINIMAL: dict[str, Any] = {
    "title": "Agent called a tool it was never granted",
    "severity": "high",
    "detected_at": "2026-12-03T14:05:00Z",
    "identity": {"k8s_service_account": "agents/support-bot"},
}
FULL: dict[str, Any] = {
    "title": "Exfiltration from the ledger worker",
    "severity": "critical",
    "detected_at": "2026-12-03T14:05:00.123456789+01:00",
    "summary": "  4 GB copied to an unknown bucket.  ",
    "id": "det-42",
    "identity": {
        "k8s_namespace": "ledger",
        "k8s_pod": "ledger/worker-5f7c9-abcde",
        "instance_id": "i-0a1b2c3d4e5f60789",
        "spiffe_id": "spiffe://prod.acme.example/ns/ledger/sa/worker",
        "k8s_service_account": "ledger/worker",
        "iam_role_arn": "arn:aws:iam::123456789012:role/ledger-worker",
        "iam_user_arn": "arn:aws:iam::123456789012:user/ledger-batch",
        "access_key_id": "AKIA4LEDGERWORKER0EX",
    },
    "details": {"bucket": "s3://exfil-7f3a", "bytes": "4294967296"},
}


parse = partial(parse_as, "generic")
reject = partial(rejection, "generic")


def changed(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    alert = copy.deepcopy(base)
    alert.update(fields)
    return alert


def with_identity(**identity: Any) -> dict[str, Any]:
    return changed(MINIMAL, identity=identity)


def test_minimal_alert() -> None:
    (alert,) = parse(MINIMAL)

    assert alert.source == "generic"
    assert alert.title == MINIMAL["title"]
    assert alert.summary == MINIMAL["title"]
    assert alert.severity == "high"
    assert alert.detected_at == datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    assert keys(alert) == [(K.K8S_SERVICE_ACCOUNT, "agents/support-bot")]
    assert alert.external_id is None
    assert alert.details == {}


def test_full_alert_gives_every_key_strongest_first() -> None:
    (alert,) = parse(FULL)

    assert keys(alert) == [
        (K.ACCESS_KEY_ID, "AKIA4LEDGERWORKER0EX"),
        (K.IAM_USER_ARN, "arn:aws:iam::123456789012:user/ledger-batch"),
        (K.IAM_ROLE_ARN, "arn:aws:iam::123456789012:role/ledger-worker"),
        (K.SPIFFE_ID, "spiffe://prod.acme.example/ns/ledger/sa/worker"),
        (K.K8S_SERVICE_ACCOUNT, "ledger/worker"),
        (K.K8S_POD, "ledger/worker-5f7c9-abcde"),
        (K.INSTANCE_ID, "i-0a1b2c3d4e5f60789"),
        (K.K8S_NAMESPACE, "ledger"),
    ]
    assert alert.summary == "4 GB copied to an unknown bucket."
    assert alert.external_id == "det-42"
    assert alert.details == {"bucket": "s3://exfil-7f3a", "bytes": "4294967296"}
    offset = timezone(timedelta(hours=1))
    assert alert.detected_at == datetime(2026, 12, 3, 14, 5, 0, 123456, tzinfo=offset)


def test_pod_gives_its_namespace_and_a_bare_pod_takes_the_namespace() -> None:
    (qualified,) = parse(with_identity(k8s_pod="shop/checkout-1"))
    (bare,) = parse(with_identity(k8s_pod="checkout-1", k8s_namespace="shop"))

    expected = [(K.K8S_POD, "shop/checkout-1"), (K.K8S_NAMESPACE, "shop")]
    assert keys(qualified) == expected
    assert keys(bare) == expected


def test_empty_identity_parses_with_no_keys() -> None:
    # Such an alert opens an unowned incident and pages the security on-call.
    (alert,) = parse(with_identity())

    assert keys(alert) == []


def test_list_and_ndjson_bodies() -> None:
    ndjson = f"{json.dumps(MINIMAL)}\n\n{json.dumps(FULL)}\n".encode()

    assert parse([MINIMAL, FULL]) == parse(ndjson)
    assert len(parse(ndjson)) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            with_identity(spiffe_id="https://prod.acme.example/ns/a"),
            "body: identity.spiffe_id must start with spiffe://",
        ),
        (
            with_identity(spiffe_id="spiffe://Prod.Acme/ns/a"),
            "body: identity.spiffe_id must be spiffe://TRUST-DOMAIN/PATH with a "
            "lower-case trust domain",
        ),
        (
            with_identity(access_key_id="akia-lower"),
            "body: identity.access_key_id must be an AWS access key id: 16 to 128 "
            "capital letters and digits",
        ),
        (
            with_identity(iam_role_arn="arn:aws:iam::123456789012:user/x"),
            "body: identity.iam_role_arn must be an IAM role ARN, "
            "arn:aws:iam::ACCOUNT:role/NAME",
        ),
        (
            with_identity(instance_id="i-123"),
            "body: identity.instance_id must be an EC2 instance id: i- and 8 or 17 "
            "lower-case hex digits",
        ),
        (
            with_identity(k8s_service_account="support-bot"),
            "body: identity.k8s_service_account must be NAMESPACE/NAME in lower case",
        ),
        (
            with_identity(k8s_pod="checkout-1"),
            "body: identity.k8s_pod without a namespace needs identity.k8s_namespace",
        ),
        (
            with_identity(k8s_namespace="x" * 64),
            "body: identity.k8s_namespace must be at most 63 characters",
        ),
        (
            with_identity(pod="shop/checkout-1"),
            "body: identity.pod is not an identity field; use access_key_id, "
            "iam_user_arn, iam_role_arn, k8s_service_account, k8s_namespace, "
            "k8s_pod, spiffe_id, instance_id",
        ),
        (
            with_identity(instance_id=12),
            "body: identity.instance_id must be a string",
        ),
        (changed(MINIMAL, identity=[]), "body: identity must be an object"),
        (
            changed(MINIMAL, severity="HIGH"),
            "body: severity must be one of low, medium, high, critical",
        ),
        (
            changed(MINIMAL, detected_at="2026-12-03T14:05:00"),
            "body: detected_at must be an RFC 3339 time with an offset, like "
            "2026-12-03T14:05:00Z",
        ),
        (
            changed(MINIMAL, detected_at="2026-13-03T14:05:00Z"),
            "body: detected_at '2026-13-03T14:05:00Z' is not a real date and time",
        ),
        (changed(MINIMAL, title="   "), "body: title must not be blank"),
        (changed(MINIMAL, title=None), "body: title must be a string"),
        (
            changed(MINIMAL, summary="x" * 4001),
            "body: summary must be at most 4000 characters",
        ),
        (
            changed(MINIMAL, details={"bytes": 4}),
            "body: details.bytes must be a string",
        ),
        (
            changed(MINIMAL, severty="high"),
            "body: severty is not a field of the generic shape; use title, "
            "severity, detected_at, summary, id, identity, details",
        ),
        (
            {"title": "x"},
            "body: severity is required; detected_at is required; identity is required",
        ),
        ([MINIMAL, "x"], "body, item 2: an alert must be a JSON object"),
        ([], "the generic body holds no findings or events"),
    ],
)
def test_refusals_name_the_field(body: Any, reason: str) -> None:
    assert reject(body) == reason


def test_ndjson_refusal_names_the_line() -> None:
    body = f"{json.dumps(MINIMAL)}\n{json.dumps({'title': 'x'})}\n".encode()

    assert reject(body).startswith("line 2: severity is required")


# Documents for the agreement test: each is either valid for both the schema and
# problems_in, or invalid for both.
VALID = [
    MINIMAL,
    FULL,
    [MINIMAL, FULL],
    with_identity(),
    with_identity(k8s_pod="checkout-1", k8s_namespace="shop"),
    changed(MINIMAL, detected_at="2026-12-03t14:05:00.5-08:00", summary=""),
]
INVALID = [
    [],
    [MINIMAL, 3],
    {"title": "x"},
    changed(MINIMAL, severity="severe"),
    changed(MINIMAL, detected_at="2026-12-03 14:05:00Z"),
    changed(MINIMAL, detected_at="2026-12-03T14:05:00"),
    changed(MINIMAL, title=""),
    changed(MINIMAL, id=" "),
    changed(MINIMAL, extra="x"),
    changed(MINIMAL, details={"n": 1}),
    changed(MINIMAL, details={str(n): "x" for n in range(51)}),
    with_identity(spiffe_id="spiffe:/x"),
    with_identity(access_key_id="AKIA\n"),
    with_identity(instance_id="i-0A1B2C3D"),
    with_identity(k8s_pod="checkout-1"),
    with_identity(iam_user_arn="arn:aws:iam::123:user/x"),
    with_identity(k8s_namespace="Shop"),
    with_identity(unknown="x"),
]


def problems(document: Any) -> list[str]:
    items = document if isinstance(document, list) else [document]
    found = [p for item in items for p in generic.problems_in(item)]
    return found or (["an empty list holds no alert"] if items == [] else [])


def test_schema_file_is_valid_draft_2020_12() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(generic.SCHEMA_PATH.read_text())

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_file_holds_the_validators_patterns() -> None:
    schema = json.loads(generic.SCHEMA_PATH.read_text())
    alert = schema["$defs"]["alert"]
    identity = schema["$defs"]["identity"]["properties"]

    assert alert["required"] == list(generic.REQUIRED)
    assert list(alert["properties"]) == list(generic.FIELDS)
    assert alert["properties"]["severity"]["enum"] == list(generic.SEVERITIES)
    assert alert["properties"]["detected_at"]["pattern"] == generic.RFC3339
    assert {name: p["pattern"] for name, p in identity.items()} == {
        name: rule[0] for name, rule in generic.IDENTITY.items()
    }


@pytest.mark.parametrize("document", VALID)
def test_schema_and_validator_accept_the_same_documents(document: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(generic.SCHEMA_PATH.read_text())

    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document)) == []
    assert problems(document) == []
    assert parse(document)


@pytest.mark.parametrize("document", INVALID)
def test_schema_and_validator_refuse_the_same_documents(document: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(generic.SCHEMA_PATH.read_text())

    assert list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert problems(document)
    reject(document)


def test_an_impossible_date_is_caught_by_the_schema_only_with_format_checks() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(generic.SCHEMA_PATH.read_text())
    document = changed(MINIMAL, detected_at="2026-02-30T10:00:00Z")
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER

    # The pattern cannot know month lengths; "format" does when it is asserted.
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(document))
    assert generic.problems_in(document) == [
        "detected_at '2026-02-30T10:00:00Z' is not a real date and time"
    ]
    if "date-time" in checker.checkers:
        validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
        assert list(validator.iter_errors(document))
