"""Security Hub (ASFF) findings: every shape, every resource kind, every corpus file."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from bot.intake.model import KeyKind
from tests.conftest import CORPUS
from tests.intake.helpers import NOW, keys, parse_as, rejection

FOLDER = CORPUS / "securityhub-asff"
K = KeyKind

# Every file in the corpus folder, with the keys of each alert it yields. SOURCES.md
# lists two more (the iamkey custom action and a GetFindings recording); they hold
# people's names and are kept out of this folder, so they are not tested here.
CORPUS_KEYS: dict[str, list[list[tuple[KeyKind, str]]]] = {
    # GuardDuty's DeleteTrail finding: the access key, the role it was issued to
    # and the session, from the AwsIamAccessKey resource.
    "sechub-guardduty.raw": [
        [
            (K.ACCESS_KEY_ID, "ASIATMJPC7EXAMPLE"),
            (K.IAM_ROLE_ARN, "arn:aws:iam::111111111111:role/Admin"),
            (
                K.ROLE_SESSION,
                "arn:aws:sts::111111111111:assumed-role/Admin/example",
            ),
        ]
    ],
    # Compliance findings name a trail or an account, never a caller: they parse,
    # carry no identity keys and so open an unowned incident if sent at all.
    "event-securityhub-cloudtrail-finding-action.json": [[]],
    "sechub-pci.raw": [[]],
}


parse = partial(parse_as, "securityhub")
reject = partial(rejection, "securityhub")


def guardduty_finding() -> dict[str, Any]:
    return json.loads((FOLDER / "sechub-guardduty.raw").read_text())


def with_resource(resource: dict[str, Any]) -> dict[str, Any]:
    finding = guardduty_finding()
    finding["Resources"] = [resource]
    return finding


def event(finding: dict[str, Any], kind: str = "Security Hub Findings - Imported"):
    return {
        "version": "0",
        "detail-type": kind,
        "source": "aws.securityhub",
        "account": "222222222222",
        "detail": {"findings": [finding]},
    }


def test_corpus_expectations_cover_every_file() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(CORPUS_KEYS)


@pytest.mark.parametrize("name", sorted(CORPUS_KEYS))
def test_corpus_file_yields_exact_keys(name: str) -> None:
    alerts = parse((FOLDER / name).read_bytes())

    assert [keys(alert) for alert in alerts] == CORPUS_KEYS[name]
    assert all(alert.source == "securityhub" for alert in alerts)
    assert all(alert.external_id for alert in alerts)


def test_guardduty_finding_fields_and_details() -> None:
    (alert,) = parse((FOLDER / "sechub-guardduty.raw").read_bytes())

    assert alert.severity == "low"
    assert alert.external_id == (
        "arn:aws:guardduty:us-east-2:111111111111:detector/"
        "1ac1bfceda6679698215d5d0EXAMPLE/finding/a6c556fcbc9bea427a19f8b787099a0b"
    )
    assert alert.detected_at == datetime(2023, 9, 19, 14, 55, 9, tzinfo=UTC)
    assert alert.title.startswith("AWS CloudTrail trail arn:aws:cloudtrail:")
    assert alert.summary.startswith("AWS CloudTrail trail")
    assert alert.details == {
        "principal_type": "AssumedRole",
        "principal": "Admin",
        "product": "GuardDuty",
        "finding_type": (
            "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"
        ),
        "account": "111111111111",
        "region": "us-east-2",
        "resource_type": "AwsIamAccessKey",
        "workflow": "NEW",
        "record_state": "ACTIVE",
        "action": "AWS_API_CALL",
        "api": "DeleteTrail",
        "api_service": "cloudtrail.amazonaws.com",
        "remote_ip": "52.94.133.131",
        "count": "1",
        "severity_label": "LOW",
    }


def test_cis_custom_action_without_label_uses_normalized_severity() -> None:
    name = "event-securityhub-cloudtrail-finding-action.json"
    (alert,) = parse((FOLDER / name).read_bytes())

    assert alert.severity == "low"
    assert alert.details["severity_normalized"] == "0"
    assert alert.details["compliance"] == "PASSED"
    assert alert.detected_at == datetime(2019, 7, 11, 8, 33, 43, 280000, tzinfo=UTC)


def test_every_accepted_shape_gives_the_same_alert() -> None:
    finding = guardduty_finding()
    expected = parse(finding)

    shapes = (
        [finding],
        {"Findings": [finding]},
        event(finding),
        event(finding, "Security Hub Findings - Custom Action"),
    )
    for shape in shapes:
        assert parse(shape) == expected
    ndjson = f"{json.dumps(finding)}\n{json.dumps(event(finding))}\n".encode()
    assert parse(ndjson) == expected * 2
    assert parse(event(finding))[0].fingerprint == expected[0].fingerprint


def test_envelope_account_stands_in_for_a_missing_finding_account() -> None:
    finding = guardduty_finding()
    del finding["AwsAccountId"]

    (alert,) = parse(event(finding))

    assert (K.IAM_ROLE_ARN, "arn:aws:iam::222222222222:role/Admin") in keys(alert)


def test_access_key_of_an_iam_user() -> None:
    finding = with_resource(
        {
            "Type": "AwsIamAccessKey",
            "Id": "AWS::IAM::AccessKey:AKIAIGNORED0000000000",
            "Partition": "aws",
            "Details": {
                "AwsIamAccessKey": {
                    "AccessKeyId": "AKIA4INVSYNC7EXAMPLE",
                    "PrincipalName": "invoice-sync",
                    "PrincipalType": "IAMUser",
                }
            },
        }
    )

    (alert,) = parse(finding)

    # The details' AccessKeyId wins over the one spelled into the resource id.
    assert keys(alert) == [
        (K.ACCESS_KEY_ID, "AKIA4INVSYNC7EXAMPLE"),
        (K.IAM_USER_NAME, "invoice-sync"),
        (K.IAM_USER_ARN, "arn:aws:iam::111111111111:user/invoice-sync"),
    ]


def test_deprecated_user_name_and_unknown_principal_type() -> None:
    finding = with_resource(
        {
            "Type": "AwsIamAccessKey",
            "Id": "AWS::IAM::AccessKey:AKIA4ROOTKEY0EXAMPLE",
            "Details": {
                "AwsIamAccessKey": {"UserName": "root", "PrincipalType": "Root"}
            },
        }
    )

    (alert,) = parse(finding)

    assert keys(alert) == [(K.ACCESS_KEY_ID, "AKIA4ROOTKEY0EXAMPLE")]
    assert alert.details["principal"] == "root"


def test_iam_user_and_role_resources() -> None:
    finding = guardduty_finding()
    finding["Resources"] = [
        {"Type": "AwsIamUser", "Id": "arn:aws:iam::111111111111:user/ops/deployer"},
        {
            "Type": "AwsIamUser",
            "Id": "AIDAEXAMPLEUSERID",
            "Details": {"AwsIamUser": {"UserName": "batch"}},
        },
        {
            "Type": "AwsIamRole",
            "Id": "arn:aws:iam::333333333333:role/service/ledger-reader",
        },
        {
            "Type": "AwsIamRole",
            "Id": "AROAEXAMPLEROLEID",
            "Details": {"AwsIamRole": {"RoleName": "etl"}},
        },
    ]

    (alert,) = parse(finding)

    # Keys follow the resources; ARNs keep their paths (matching ignores them).
    assert keys(alert) == [
        (K.IAM_USER_NAME, "deployer"),
        (K.IAM_USER_ARN, "arn:aws:iam::111111111111:user/ops/deployer"),
        (K.IAM_USER_NAME, "batch"),
        (K.IAM_USER_ARN, "arn:aws:iam::111111111111:user/batch"),
        (K.IAM_ROLE_ARN, "arn:aws:iam::333333333333:role/service/ledger-reader"),
        (K.IAM_ROLE_ARN, "arn:aws:iam::111111111111:role/etl"),
    ]


def test_role_resource_named_by_its_session() -> None:
    session = "arn:aws:sts::111111111111:assumed-role/etl/i-0a1b2c3d4e5f60789"
    finding = with_resource({"Type": "AwsIamRole", "Id": session})

    (alert,) = parse(finding)

    assert keys(alert) == [
        (K.IAM_ROLE_ARN, "arn:aws:iam::111111111111:role/etl"),
        (K.ROLE_SESSION, session),
    ]


def test_ec2_instance_resource() -> None:
    finding = with_resource(
        {
            "Type": "AwsEc2Instance",
            "Id": "arn:aws:ec2:us-east-2:111111111111:instance/i-0a1b2c3d4e5f60789",
        }
    )

    (alert,) = parse(finding)

    assert keys(alert) == [(K.INSTANCE_ID, "i-0a1b2c3d4e5f60789")]


def test_eks_cluster_gives_service_account_pod_and_namespace() -> None:
    other = {
        "kubernetesDetails/kubernetesUserDetails/username": (
            "system:serviceaccount:shop:checkout"
        ),
        "kubernetesDetails/kubernetesWorkloadDetails/type": "pods",
        "kubernetesDetails/kubernetesWorkloadDetails/name": "checkout-7d9f-x2x",
        "kubernetesDetails/kubernetesWorkloadDetails/namespace": "shop",
    }
    finding = with_resource(
        {
            "Type": "AwsEksCluster",
            "Id": "arn:aws:eks:us-east-2:111111111111:cluster/prod",
            "Details": {"Other": other},
        }
    )

    (alert,) = parse(finding)

    assert keys(alert) == [
        (K.K8S_SERVICE_ACCOUNT, "shop/checkout"),
        (K.K8S_POD, "shop/checkout-7d9f-x2x"),
        (K.K8S_NAMESPACE, "shop"),
    ]
    assert alert.details["cluster"] == "prod"
    assert alert.details["k8s_workload"] == "pods/checkout-7d9f-x2x"


def test_eks_iam_mapped_caller_gives_its_role() -> None:
    other = {
        "kubernetesDetails/kubernetesUserDetails/username": (
            "arn:aws:sts::111111111111:assumed-role/ci-deployer/build-42"
        ),
    }
    finding = with_resource(
        {
            "Type": "AwsEksCluster",
            "Id": "arn:aws:eks:us-east-2:111111111111:cluster/prod",
            "Details": {"AwsEksCluster": {"Name": "prod-eu"}, "Other": other},
        }
    )

    (alert,) = parse(finding)

    assert keys(alert) == [
        (K.IAM_ROLE_ARN, "arn:aws:iam::111111111111:role/ci-deployer")
    ]
    assert alert.details["cluster"] == "prod-eu"


def test_asff_action_fills_details_and_gives_no_key() -> None:
    finding = with_resource({"Type": "AwsS3Bucket", "Id": "arn:aws:s3:::ledger"})
    finding["ProductFields"] = {}
    finding["Action"] = {
        "ActionType": "AWS_API_CALL",
        "AwsApiCallAction": {
            "Api": "GetObject",
            "ServiceName": "s3.amazonaws.com",
            "RemoteIpDetails": {"IpAddressV4": "203.0.113.9"},
        },
    }

    (alert,) = parse(finding)

    assert keys(alert) == []
    assert alert.details["api"] == "GetObject"
    assert alert.details["remote_ip"] == "203.0.113.9"


@pytest.mark.parametrize(
    ("severity", "band"),
    [
        ({"Label": "INFORMATIONAL"}, "low"),
        ({"Label": "critical"}, "critical"),
        ({"Label": "HIGH", "Normalized": 10}, "high"),
        ({"Normalized": 39}, "low"),
        ({"Normalized": 40}, "medium"),
        ({"Normalized": 89.5}, "high"),
        ({"Normalized": 90}, "critical"),
    ],
)
def test_severity_bands(severity: dict[str, Any], band: str) -> None:
    finding = guardduty_finding()
    finding["Severity"] = severity

    assert parse(finding)[0].severity == band


def test_sample_flag_and_placeholder_keys_are_reported() -> None:
    finding = with_resource(
        {
            "Type": "AwsIamAccessKey",
            "Id": "AWS::IAM::AccessKey:GeneratedFindingAccessKeyId",
            "Details": {"AwsIamAccessKey": {}},
        }
    )
    finding["Sample"] = True

    (alert,) = parse(finding)

    assert alert.details["sample"] == "true"
    assert alert.details["placeholder_keys"] == "access_key_id"


def test_times_allow_nanoseconds_and_compact_offsets() -> None:
    finding = guardduty_finding()
    finding["LastObservedAt"] = "2024-01-04T15:25:10.123456789-0130"

    (alert,) = parse(finding)

    assert alert.detected_at.isoformat() == "2024-01-04T15:25:10.123456-01:30"


def test_missing_times_fall_back_to_receipt_and_say_so() -> None:
    finding = guardduty_finding()
    for field in ("LastObservedAt", "UpdatedAt", "CreatedAt"):
        del finding[field]

    (alert,) = parse(finding)

    assert alert.detected_at == NOW
    assert alert.details["time"] == "received"


def test_refusals_name_the_problem() -> None:
    finding = guardduty_finding()
    untitled = copy.deepcopy(finding)
    del untitled["Title"], untitled["Id"]
    bad_label = copy.deepcopy(finding)
    bad_label["Severity"] = {"Label": "SEVERE"}
    no_severity = copy.deepcopy(finding)
    no_severity["Severity"] = {"Product": 2}
    bad_time = copy.deepcopy(finding)
    bad_time["LastObservedAt"] = "yesterday"
    bad_resources = copy.deepcopy(finding)
    bad_resources["Resources"] = {"Type": "AwsIamUser"}

    assert reject(untitled) == "body: ASFF finding is missing Id, Title"
    assert reject(bad_label) == (
        "body: Severity.Label 'SEVERE' is not INFORMATIONAL, LOW, MEDIUM, HIGH "
        "or CRITICAL"
    )
    assert reject(no_severity) == (
        "body: ASFF finding has neither Severity.Label nor a numeric "
        "Severity.Normalized"
    )
    assert reject([finding, bad_time]) == (
        "body, item 2: LastObservedAt 'yesterday' is not an RFC 3339 time"
    )
    assert reject(bad_resources) == "body: Resources must be a list"
    assert reject({"Findings": {"Id": "x"}}) == "body: 'Findings' must be a list"
    assert reject([[finding]]) == (
        "body, item 1 is not a JSON object; expected an ASFF finding"
    )
    assert reject({"Findings": ["x"]}) == "body: a finding must be a JSON object"
    assert (
        reject({"Findings": []}) == "the securityhub body holds no findings or events"
    )


def test_other_events_and_guardduty_findings_are_refused() -> None:
    finding = guardduty_finding()
    v2 = event(finding, "Findings Imported V2")
    insight = event(finding, "Security Hub Insight Results")
    detailless = {"detail-type": "Security Hub Findings - Imported"}
    empty_detail = {"detail-type": "Security Hub Findings - Imported", "detail": {}}
    native = {"schemaVersion": "2.0", "id": "f1", "type": "Recon:EC2/PortProbe"}
    native["resource"] = {"resourceType": "Instance"}

    assert reject(v2) == (
        "body is a 'Findings Imported V2' event, whose findings are OCSF, not "
        "ASFF; route 'Security Hub Findings - Imported' events instead"
    )
    assert reject(insight) == (
        "body is an EventBridge event of detail-type 'Security Hub Insight "
        "Results', not 'Security Hub Findings - Imported' or '… - Custom Action'"
    )
    assert reject(detailless) == "body is an EventBridge event without a detail"
    assert reject(empty_detail) == "body: the event's detail has no 'findings' list"
    assert reject(native) == (
        "body is a GuardDuty finding, not an ASFF finding; post it to /alerts/guardduty"
    )
