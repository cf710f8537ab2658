"""`containbot evidence load`, `incident export` and `incident metrics`."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.slack import blocks
from tests.conftest import CORPUS, REPO
from tests.e2e.conftest import make_stack  # noqa: F401
from tests.e2e.helpers import contained_statuses, only_incident

ALERT = (REPO / "bot" / "examples" / "guardduty-iam-access-key.json").read_bytes()


def test_evidence_load_prints_touched_services(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["evidence", "load", str(CORPUS / "cloudtrail"), "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["records"] > 100
    by_key = {s["key"]: s for s in report["summaries"]}
    secrets_user = by_key["arn:aws:iam::903144391865:user/ops-admin"]
    assert len(secrets_user["rotation_candidates"]) == 20


def test_export_and_metrics_after_a_contained_incident(
    make_stack,  # noqa: F811
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path,
) -> None:
    stack = make_stack()
    stack.post_alert("guardduty", ALERT)
    stack.settle()
    incident = only_incident(stack, 1)
    stack.driver.click(
        "U03CAPPROV", incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
    )
    stack.settle()
    monkeypatch.setenv("CONTAINBOT_DATABASE_URL", database_url)

    assert main(["incident", "export", "1", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    markdown = tmp_path / "incident.md"
    assert main(["incident", "export", "1", "--out", str(markdown)]) == 0
    assert main(["incident", "metrics"]) == 0
    metrics = json.loads(capsys.readouterr().out)

    assert exported["incident"]["status"] == "contained"
    assert exported["metrics"]["time_to_contain"] is not None
    actions = [event["action"] for event in exported["timeline"]]
    assert actions.index("incident.opened") < actions.index("plan.approved")
    assert [s["status"] for s in exported["steps"]] == contained_statuses(stack, 1)
    text = markdown.read_text()
    assert text.startswith("# Incident 1: invoice-sync")
    assert (
        "| aws.deactivate_access_keys:invoice-sync:invoice-sync | succeeded |" in text
    )
    assert metrics["incidents"] == 1 and metrics["contained"] == 1
    assert main(["incident", "export", "7"]) == 2
