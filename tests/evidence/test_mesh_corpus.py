"""Mesh access logs: ztunnel names the caller; Istio's default JSON log does not."""

from __future__ import annotations

from bot.evidence import load_evidence
from tests.conftest import CORPUS
from tests.evidence.catalog import corpus_index

MESH = CORPUS / "mesh-access-logs"
ZTUNNEL = MESH / "istio-ztunnel-README__access-log-example.txt"
ENVOY_JSON = MESH / "test-access-json-logs.log"


def test_every_mesh_file_is_covered() -> None:
    assert {p.name for p in MESH.iterdir()} == {ZTUNNEL.name, ENVOY_JSON.name}


def test_ztunnel_line_names_the_spiffe_caller_and_destination() -> None:
    report = load_evidence([str(ZTUNNEL)], corpus_index())

    summary = report.summaries["shell"]
    touch = summary.services["echo.default.svc.cluster.local"]

    assert report.records == 1
    assert set(summary.callers) == {"spiffe://cluster.local/ns/default/sa/default"}
    assert touch.calls == 1
    assert touch.errors == 0
    assert touch.operations == {"connect outbound": 1}
    assert set(summary.addresses) == {"10.244.0.24"}
    assert summary.first_seen is not None
    assert summary.first_seen.isoformat() == "2024-04-11T15:38:42.182974+00:00"


def test_envoy_json_without_identity_is_listed_by_address_and_noted() -> None:
    report = load_evidence([str(ENVOY_JSON)], corpus_index())

    callers = {key: summary for key, summary in report.summaries.items()}

    assert report.records == 3
    assert all(summary.workload is None for summary in callers.values())
    assert set(callers) == {
        "address 10.124.0.13 (no identity in the log)",
        "address 2a02:cf40::4e36 (no identity in the log)",
        "address 10.128.0.60 (no identity in the log)",
    }
    reviews = callers["address 10.124.0.13 (no identity in the log)"]
    assert reviews.services["reviews.default.svc.cluster.local:9080"].operations == {
        "GET /reviews/0": 1
    }
    broken = callers["address 10.128.0.60 (no identity in the log)"]
    assert broken.services["10.124.2.10:8080"].errors == 1
    assert any("carry no identity" in note for note in report.notes)
