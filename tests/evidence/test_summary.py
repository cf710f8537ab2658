"""Aggregation: probing bursts, what is new since the alert, the `since` cut-off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.evidence import ActivityRecord, LogKind, ReadKind, load_evidence, summarize
from bot.intake.model import IdentityKey, KeyKind
from tests.conftest import CORPUS
from tests.evidence.catalog import STOLEN_ROLE, corpus_index

T0 = datetime(2024, 8, 2, 8, 0, tzinfo=UTC)
ROLE_KEYS = (IdentityKey(KeyKind.IAM_ROLE_ARN, STOLEN_ROLE),)


def _call(
    seconds: float,
    *,
    service: str = "s3.amazonaws.com",
    ip: str = "10.0.0.1",
    denied: bool = False,
    reads: ReadKind | None = None,
    names: tuple[str, ...] = (),
) -> ActivityRecord:
    return ActivityRecord(
        log=LogKind.CLOUDTRAIL,
        time=T0 + timedelta(seconds=seconds),
        caller="role",
        keys=ROLE_KEYS,
        service=service,
        operation="Op",
        source_ip=ip,
        error_code="AccessDenied" if denied else None,
        denied=denied,
        reads=reads,
        read_names=names,
    )


def test_five_refusals_in_a_minute_are_probing_in_any_order() -> None:
    times = [50, 0, 40, 10, 30, 20, 500, 900]
    records = [_call(t, denied=True) for t in times]

    summary = summarize(records, corpus_index())["web-proxy"]
    touch = summary.services["s3.amazonaws.com"]

    assert touch.denied == 8
    (burst,) = touch.bursts
    assert burst.denied == 6
    assert burst.start == T0
    assert burst.end == T0 + timedelta(seconds=50)


def test_four_refusals_are_not_probing() -> None:
    records = [_call(t, denied=True) for t in (0, 5, 10, 15)]

    summary = summarize(records, corpus_index())["web-proxy"]

    assert not summary.probing


def test_new_addresses_and_services_since_the_alert() -> None:
    alert_at = T0 + timedelta(minutes=10)
    records = [
        _call(0, ip="10.0.0.1"),
        _call(700, ip="10.0.0.1"),
        _call(
            800,
            ip="203.0.113.9",
            service="secretsmanager.amazonaws.com",
            reads=ReadKind.SECRET,
            names=("prod/db",),
        ),
    ]

    summary = summarize(records, corpus_index(), since=None, alert_at=alert_at)[
        "web-proxy"
    ]

    assert summary.new_addresses == ["203.0.113.9"]
    assert summary.new_services == ["secretsmanager.amazonaws.com"]
    assert summary.services["s3.amazonaws.com"].calls_since_alert == 1
    assert summary.rotation_candidates == ["prod/db"]
    assert summary.first_seen == T0
    assert summary.last_seen == T0 + timedelta(seconds=800)


def test_records_before_since_are_left_out() -> None:
    records = [_call(0), _call(60), _call(120)]

    summary = summarize(records, None, since=T0 + timedelta(seconds=60))["role"]

    assert summary.calls == 2
    assert summary.workload is None


def test_without_a_catalog_callers_are_keyed_by_identity() -> None:
    report = load_evidence([str(CORPUS / "cloudtrail")], None)

    assert all(summary.workload is None for summary in report.summaries.values())
    assert (
        "arn:aws:iam::017622104382:role/stratus-red-team-ec2-steal-credentials-role"
        in report.summaries
    )


def test_report_json_is_serializable_and_complete() -> None:
    alert_at = datetime(2024, 8, 2, 8, 24, tzinfo=UTC)
    report = load_evidence(
        [
            str(CORPUS / "cloudtrail"),
            str(CORPUS / "k8s-audit"),
            str(CORPUS / "mesh-access-logs"),
        ],
        corpus_index(),
        alert_at=alert_at,
    )

    data = json.loads(json.dumps(report.to_json()))

    assert data["alert_at"] == alert_at.isoformat()
    assert data["records"] == report.records
    by_key = {s["key"]: s for s in data["summaries"]}
    stolen = by_key["web-proxy"]
    assert stolen["workload"] == "web-proxy"
    assert {s["service"] for s in stolen["services"]} == {
        "sts.amazonaws.com",
        "ec2.amazonaws.com",
    }
    assert by_key["secrets-job"]["services"][0]["secret_reads"] == 20
    assert len(by_key["secrets-job"]["rotation_candidates"]) == 20
    refused = [s["name"].rsplit("/", 1)[-1] for s in data["sources"] if s["refused"]]
    assert sorted(refused) == [
        "falco_k8s_audit_tests.yaml",
        "github-issue__falcosecurity-falco-1784__matching-audit-entry.TRUNCATED.txt",
    ]
