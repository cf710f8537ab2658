"""Every CloudTrail file of the corpus is read and attributed as expected."""

from __future__ import annotations

import pytest

from bot.evidence import EvidenceReport, load_evidence
from tests.conftest import CORPUS
from tests.evidence.catalog import corpus_index

CLOUDTRAIL = CORPUS / "cloudtrail"

# file -> records, then {caller or workload: {service: (calls, errors)}}
EXPECTED: dict[str, tuple[int, dict[str, dict[str, tuple[int, int]]]]] = {
    "alice_start_instances.json": (
        1,
        {"arn:aws:iam::123456789012:user/Alice": {"ec2.amazonaws.com": (1, 0)}},
    ),
    "aws.credential-access.ec2-get-password-data.json": (
        34,
        {
            "arn:aws:iam::457448411975:user/ops-admin": {"sts.amazonaws.com": (4, 2)},
            "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role": {  # noqa: E501
                "ec2.amazonaws.com": (30, 30)
            },
        },
    ),
    "aws.credential-access.ec2-steal-instance-credentials.json": (
        45,
        {
            "arn:aws:iam::017622104382:user/ops-admin": {"ssm.amazonaws.com": (43, 0)},
            "web-proxy": {"sts.amazonaws.com": (1, 0), "ec2.amazonaws.com": (1, 0)},
        },
    ),
    "aws.credential-access.secretsmanager-retrieve-secrets.json": (
        21,
        {"secrets-job": {"secretsmanager.amazonaws.com": (21, 0)}},
    ),
    "aws.credential-access.ssm-retrieve-securestring-parameters.json": (
        10,
        {"arn:aws:iam::933175858973:user/ops-admin": {"ssm.amazonaws.com": (10, 0)}},
    ),
    "aws.defense-evasion.cloudtrail-stop.json": (
        1,
        {
            "arn:aws:iam::143434273843:user/ops-admin": {
                "cloudtrail.amazonaws.com": (1, 0)
            }
        },
    ),
    "aws.discovery.ec2-download-user-data.json": (
        19,
        {
            "arn:aws:iam::321848314756:user/ops-admin": {"sts.amazonaws.com": (4, 2)},
            "arn:aws:iam::321848314756:role/stratus-red-team-get-usr-data-role": {
                "ec2.amazonaws.com": (15, 15)
            },
        },
    ),
    "aws.exfiltration.ec2-share-ebs-snapshot.json": (
        1,
        {"arn:aws:iam::756680937392:user/ops-admin": {"ec2.amazonaws.com": (1, 0)}},
    ),
    "aws.persistence.iam-backdoor-role.json": (
        1,
        {"arn:aws:iam::751203476945:user/ops-admin": {"iam.amazonaws.com": (1, 0)}},
    ),
    "aws.persistence.iam-backdoor-user.json": (
        1,
        {"arn:aws:iam::946986569305:user/ops-admin": {"iam.amazonaws.com": (1, 0)}},
    ),
    "aws.persistence.iam-create-admin-user.json": (
        3,
        {"arn:aws:iam::229654561268:user/ops-admin": {"iam.amazonaws.com": (3, 0)}},
    ),
    "aws.persistence.lambda-overwrite-code.json": (
        1,
        {"arn:aws:iam::266106314375:user/ops-admin": {"lambda.amazonaws.com": (1, 0)}},
    ),
}


def _load(name: str) -> EvidenceReport:
    return load_evidence([str(CLOUDTRAIL / name)], corpus_index())


def test_every_cloudtrail_file_has_expectations() -> None:
    on_disk = {p.name for p in CLOUDTRAIL.iterdir() if p.suffix == ".json"}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cloudtrail_file_services_and_counts(name: str) -> None:
    records, callers = EXPECTED[name]

    report = _load(name)

    assert report.records == records
    assert not report.refused
    found = {
        key: {s: (t.calls, t.errors) for s, t in summary.services.items()}
        for key, summary in report.summaries.items()
    }
    assert found == callers


def test_stolen_instance_role_is_the_catalog_workload_called_from_outside() -> None:
    report = _load("aws.credential-access.ec2-steal-instance-credentials.json")

    stolen = report.summaries["web-proxy"]

    assert stolen.workload == "web-proxy"
    assert set(stolen.callers) == {
        "arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role"
    }
    assert stolen.services["sts.amazonaws.com"].operations == {"GetCallerIdentity": 1}
    assert stolen.services["ec2.amazonaws.com"].operations == {"DescribeInstances": 1}
    assert set(stolen.addresses) == {"18.236.253.47"}
    operator = report.summaries["arn:aws:iam::017622104382:user/ops-admin"]
    assert operator.services["ssm.amazonaws.com"].operations == {
        "SendCommand": 1,
        "DescribeInstanceInformation": 38,
        "GetCommandInvocation": 4,
    }


def test_secret_reads_become_rotation_candidates() -> None:
    report = _load("aws.credential-access.secretsmanager-retrieve-secrets.json")

    job = report.summaries["secrets-job"]
    touch = job.services["secretsmanager.amazonaws.com"]

    assert touch.operations == {"GetSecretValue": 20, "ListSecrets": 1}
    assert touch.secret_reads == 20
    assert len(job.rotation_candidates) == 20
    assert all(
        ":secret:stratus-red-team-retrieve-secret-" in name
        for name in job.rotation_candidates
    )


def test_decrypted_ssm_parameters_are_secret_reads() -> None:
    report = _load("aws.credential-access.ssm-retrieve-securestring-parameters.json")

    summary = report.summaries["arn:aws:iam::933175858973:user/ops-admin"]
    touch = summary.services["ssm.amazonaws.com"]

    assert touch.secret_reads == 5
    # Five GetParameters calls named 42 parameters, some more than once.
    assert len(summary.rotation_candidates) == len(set(summary.rotation_candidates))
    assert "/credentials/stratus-red-team/credentials-1" in summary.rotation_candidates


@pytest.mark.parametrize(
    ("name", "role"),
    [
        (
            "aws.credential-access.ec2-get-password-data.json",
            "arn:aws:iam::457448411975:role/stratus-red-team-ec2-get-password-data-role",
        ),
        (
            "aws.discovery.ec2-download-user-data.json",
            "arn:aws:iam::321848314756:role/stratus-red-team-get-usr-data-role",
        ),
    ],
)
def test_unauthorized_operation_bursts_are_probing(name: str, role: str) -> None:
    report = _load(name)

    touch = report.summaries[role].services["ec2.amazonaws.com"]

    assert touch.denied == touch.calls
    assert len(touch.bursts) == 1
    assert touch.bursts[0].denied == touch.calls
    assert touch.secret_reads == touch.data_reads == 0
    assert report.summaries[role].probing


def test_a_refused_assume_role_is_no_burst() -> None:
    report = _load("aws.credential-access.ec2-get-password-data.json")

    operator = report.summaries["arn:aws:iam::457448411975:user/ops-admin"]

    assert operator.services["sts.amazonaws.com"].denied == 2
    assert not operator.probing


def test_new_access_keys_are_secrets_handed_out() -> None:
    report = _load("aws.persistence.iam-create-admin-user.json")

    summary = report.summaries["arn:aws:iam::229654561268:user/ops-admin"]

    assert summary.rotation_candidates == ["malicious-iam-user"]


def test_whole_folder_loads_every_file() -> None:
    report = load_evidence([str(CLOUDTRAIL)], corpus_index())

    assert len(report.sources) == len(EXPECTED)
    assert report.records == sum(records for records, _ in EXPECTED.values())
