"""GuardDuty findings: every accepted shape, every identity key, every corpus file."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.errors import AlertRejected
from bot.intake.model import IdentityKey, KeyKind
from tests.intake.helpers import NOW, keys, parse_as

REPO = Path(__file__).parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "guardduty"
EXAMPLE = REPO / "bot" / "examples" / "guardduty-iam-access-key.json"

K = KeyKind
SAMPLE_USER = [
    (K.ACCESS_KEY_ID, "GeneratedFindingAccessKeyId"),
    (K.IAM_USER_NAME, "GeneratedFindingUserName"),
]

# Every file in the corpus folder, with the keys of each alert it yields, in order.
# All are AWS sample findings (see corpus/SOURCES.md): their GeneratedFinding…
# values are kept as keys and simply match no catalog.
CORPUS_KEYS: dict[str, list[list[tuple[KeyKind, str]]]] = {
    "ec2-duty-event.json": [[(K.INSTANCE_ID, "i-99999999")]],
    "iam-duty-event.json": [
        [
            *SAMPLE_USER,
            (
                K.IAM_USER_ARN,
                "arn:aws:iam::883606788610:user/GeneratedFindingUserName",
            ),
        ]
    ],
    "guardduty_ec2_event.json": [[(K.INSTANCE_ID, "i-05746eb48123455e0")]],
    "guardduty_s3_event.json": [
        [
            *SAMPLE_USER,
            (
                K.IAM_USER_ARN,
                "arn:aws:iam::123456789012:user/GeneratedFindingUserName",
            ),
            (K.INSTANCE_ID, "i-99999999"),
        ]
    ],
    # Elastic's NDJSON: five findings, then an empty {"findings": []} line.
    "test-guardduty.log": [
        [(K.INSTANCE_ID, "i-99999999")],
        # system:anonymous is no service account; it is shown, not matched.
        [],
        [
            (K.ACCESS_KEY_ID, "GeneratedFindingAccessKeyId"),
            (
                K.IAM_ROLE_ARN,
                "arn:aws:iam::123412341234:role/GeneratedFindingUserName",
            ),
        ],
        # An RDS database login names a database user, not a workload identity.
        [],
        [(K.INSTANCE_ID, "i-abcd1234")],
    ],
}


parse = partial(parse_as, "guardduty")


def example_event() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def test_corpus_expectations_cover_every_file() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(CORPUS_KEYS)


@pytest.mark.parametrize("name", sorted(CORPUS_KEYS))
def test_corpus_file_yields_exact_keys(name: str) -> None:
    alerts = parse((CORPUS / name).read_bytes())

    assert [keys(alert) for alert in alerts] == CORPUS_KEYS[name]
    assert all(alert.source == "guardduty" for alert in alerts)
    assert all(alert.external_id for alert in alerts)


def test_eventbridge_sample_uses_the_finding_account_and_marks_the_sample() -> None:
    (alert,) = parse((CORPUS / "iam-duty-event.json").read_bytes())

    # The envelope says 101010101111; the finding's own account owns the user.
    assert alert.details["account"] == "883606788610"
    assert alert.details["sample"] == "true"
    assert alert.details["placeholder_keys"] == "access_key_id, iam_user_name"
    assert alert.details["remote_ip"] == "198.51.100.0"
    assert alert.external_id == "36b01b60fc22bb4edb19d62d9899e953"
    assert alert.severity == "medium"
    assert (
        alert.title == "API GeneratedFindingAPIName was invoked from a Tor exit node."
    )


def test_canary_finding_is_not_called_a_sample() -> None:
    (alert,) = parse((CORPUS / "guardduty_ec2_event.json").read_bytes())

    assert "sample" not in alert.details
    assert "placeholder_keys" not in alert.details


def test_elastic_log_severities_times_and_details() -> None:
    alerts = parse((CORPUS / "test-guardduty.log").read_bytes())

    assert [a.severity for a in alerts] == [
        "medium",
        "high",
        "medium",
        "high",
        "medium",
    ]
    assert alerts[0].detected_at == datetime(2022, 11, 22, 12, 22, 20, tzinfo=UTC)
    assert alerts[1].details["k8s_user"] == "system:anonymous"
    assert alerts[1].details["k8s_request"] == "get GeneratedFindingRequestURI"
    assert alerts[2].details["user_type"] == "Role"
    assert alerts[4].details["instance_profile"] == (
        "arn:aws:iam::abcd1234:instance-profile/buildserver_profile"
    )
    assert "sample" not in alerts[4].details  # hand-filled by Elastic, not flagged


def test_example_finding_keys_and_fields() -> None:
    (alert,) = parse(EXAMPLE.read_bytes())

    assert keys(alert) == [
        (K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE"),
        (K.IAM_USER_NAME, "invoice-sync"),
        (K.IAM_USER_ARN, "arn:aws:iam::123456789012:user/invoice-sync"),
    ]
    assert alert.severity == "high"
    assert alert.external_id == "a4c8e2f0b7d94e1f9c3b6a5d8e7f0a21"
    # eventLastSeen (the activity) wins over updatedAt (the write).
    assert alert.detected_at == datetime(2026, 12, 3, 14, 3, 2, tzinfo=UTC)
    assert alert.summary.startswith("API GetSecretValue was invoked from IP address")
    assert alert.details == {
        "user_type": "IAMUser",
        "finding_type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        "account": "123456789012",
        "region": "us-east-1",
        "resource_type": "AccessKey",
        "action": "AWS_API_CALL",
        "api": "GetSecretValue",
        "api_service": "secretsmanager.amazonaws.com",
        "remote_ip": "203.0.113.77",
        "count": "7",
    }


def test_every_accepted_shape_gives_the_same_alert() -> None:
    event = example_event()
    finding = event["detail"]
    expected = parse(event)

    for shape in (finding, [finding], {"findings": [finding]}, {"Findings": [finding]}):
        assert parse(shape) == expected
    ndjson = f"{json.dumps(finding)}\n{json.dumps(event)}\n".encode()
    assert parse(ndjson) == expected * 2


def test_fingerprint_is_stable_across_deliveries() -> None:
    (first,) = parse(example_event())
    (second,) = parse(example_event()["detail"])

    assert first.fingerprint == second.fingerprint


def test_assumed_role_gives_role_and_session() -> None:
    finding = example_event()["detail"]
    finding["resource"]["accessKeyDetails"] = {
        "accessKeyId": "ASIA4LEDGERREADER0EX",
        "principalId": "AROA4LEDGERREADEREX:i-0a1b2c3d4e5f60789",
        "userType": "AssumedRole",
        "userName": "ledger-reader",
    }

    (alert,) = parse(finding)

    assert keys(alert) == [
        (K.ACCESS_KEY_ID, "ASIA4LEDGERREADER0EX"),
        (K.IAM_ROLE_ARN, "arn:aws:iam::123456789012:role/ledger-reader"),
        (
            K.ROLE_SESSION,
            "arn:aws:sts::123456789012:assumed-role/ledger-reader/i-0a1b2c3d4e5f60789",
        ),
    ]


def test_root_and_unknown_user_types_give_only_the_key_id() -> None:
    finding = example_event()["detail"]
    finding["resource"]["accessKeyDetails"]["userType"] = "Root"

    (alert,) = parse(finding)

    assert keys(alert) == [(K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE")]
    assert alert.details["user_type"] == "Root"


def test_eks_finding_gives_service_account_pod_and_namespace() -> None:
    finding = example_event()["detail"]
    finding["resource"] = {
        "resourceType": "EKSCluster",
        "eksClusterDetails": {"name": "prod-eu-1"},
        "kubernetesDetails": {
            "kubernetesUserDetails": {
                "username": "system:serviceaccount:shop:checkout",
                "groups": ["system:serviceaccounts"],
            },
            "kubernetesWorkloadDetails": {
                "name": "checkout-7d9f8b6c5d-x2x9q",
                "type": "pods",
                "namespace": "shop",
                "serviceAccountName": "checkout",
            },
        },
    }
    finding["service"]["action"] = {
        "actionType": "KUBERNETES_API_CALL",
        "kubernetesApiCallAction": {
            "requestUri": "/api/v1/namespaces/shop/secrets",
            "verb": "list",
            "remoteIpDetails": {"ipAddressV4": "203.0.113.9"},
        },
    }

    (alert,) = parse(finding)

    assert keys(alert) == [
        (K.K8S_SERVICE_ACCOUNT, "shop/checkout"),
        (K.K8S_POD, "shop/checkout-7d9f8b6c5d-x2x9q"),
        (K.K8S_NAMESPACE, "shop"),
    ]
    assert alert.details["cluster"] == "prod-eu-1"
    assert alert.details["k8s_request"] == "list /api/v1/namespaces/shop/secrets"
    assert alert.details["k8s_workload"] == "pods/checkout-7d9f8b6c5d-x2x9q"
    assert alert.details["remote_ip"] == "203.0.113.9"


def test_eks_deployment_and_iam_mapped_user() -> None:
    finding = example_event()["detail"]
    finding["resource"] = {
        "kubernetesDetails": {
            "kubernetesUserDetails": {
                "username": "arn:aws:sts::123456789012:assumed-role/ci-deployer/gl-881"
            },
            "kubernetesWorkloadDetails": {
                "name": "checkout",
                "type": "deployments",
                "namespace": "shop",
            },
        },
    }

    (alert,) = parse(finding)

    # A deployment name is no pod name; only its namespace becomes a key.
    assert keys(alert) == [
        (K.IAM_ROLE_ARN, "arn:aws:iam::123456789012:role/ci-deployer"),
        (K.K8S_NAMESPACE, "shop"),
    ]
    assert alert.details["k8s_workload"] == "deployments/checkout"


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0, "low"),
        (1.0, "low"),
        (3.9, "low"),
        (4, "medium"),
        (6.9, "medium"),
        (7.0, "high"),
        (8.9, "high"),
        (9, "critical"),
        (10.0, "critical"),
        ("8", "high"),
        ("Critical", "critical"),
    ],
)
def test_severity_bands(score: Any, severity: str) -> None:
    finding = example_event()["detail"]
    finding["severity"] = score

    assert parse(finding)[0].severity == severity


def test_missing_times_fall_back_to_receipt_and_say_so() -> None:
    finding = example_event()["detail"]
    for field in ("updatedAt", "createdAt"):
        del finding[field]
    del finding["service"]["eventLastSeen"]

    (alert,) = parse(finding)

    assert alert.detected_at == NOW
    assert alert.details["time"] == "received"


def reason(body: Any) -> str:
    with pytest.raises(AlertRejected) as caught:
        parse(body)
    return caught.value.reason


def test_refusals_name_the_problem() -> None:
    finding = example_event()["detail"]
    no_id = copy.deepcopy(finding)
    del no_id["id"], no_id["severity"]
    bad_severity = dict(finding, severity="urgent")
    bad_time = copy.deepcopy(finding)
    bad_time["service"]["eventLastSeen"] = "yesterday"

    assert reason(no_id) == "body: GuardDuty finding is missing id, severity"
    assert reason([finding, no_id]) == (
        "body, item 2: GuardDuty finding is missing id, severity"
    )
    assert reason({"findings": [finding, "x"]}) == (
        "body: a finding must be a JSON object"
    )
    assert reason({"findings": {"id": "f1"}}) == "body: 'findings' must be a list"
    assert reason(bad_severity) == "body: severity 'urgent' is not a number"
    assert reason(dict(finding, severity=float("nan"))) == (
        "body: severity nan is not a number"
    )
    assert reason([[finding]]) == (
        "body, item 1 is not a JSON object; expected a finding"
    )
    assert reason(dict(finding, severity=True)) == (
        "body: severity True is not a number"
    )
    assert reason(bad_time) == (
        "body: service.eventLastSeen 'yesterday' is not an ISO 8601 time"
    )


def test_other_eventbridge_events_and_asff_are_refused() -> None:
    event = example_event()
    signin = dict(event, **{"detail-type": "AWS Console Sign In via CloudTrail"})
    no_detail = dict(event, detail=None)
    asff = {"Findings": [{"SchemaVersion": "2018-10-08", "ProductArn": "arn:x"}]}

    assert reason(signin) == (
        "body is an EventBridge event of detail-type "
        "'AWS Console Sign In via CloudTrail', not 'GuardDuty Finding'"
    )
    assert reason(no_detail) == "body is an EventBridge event without a detail"
    assert reason(asff) == (
        "body is a Security Hub (ASFF) finding, not a GuardDuty finding"
    )


def test_key_values_are_identity_keys() -> None:
    (alert,) = parse(EXAMPLE.read_bytes())

    assert alert.keys[0] == IdentityKey(K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE")
