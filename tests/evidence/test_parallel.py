"""Parallel, fast and general readers give the same report as one plain pass."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.evidence import fold, load_evidence, parallel
from bot.evidence.sources import find_sources
from tests.conftest import CORPUS
from tests.evidence.catalog import corpus_index

ALERT_AT = datetime(2024, 8, 2, 8, 24, tzinfo=UTC)
CORPUS_PATHS = [
    str(CORPUS / "cloudtrail"),
    str(CORPUS / "k8s-audit"),
    str(CORPUS / "mesh-access-logs"),
]


def _report(paths: list[str], **options: Any) -> dict[str, Any]:
    report = load_evidence(paths, corpus_index(), alert_at=ALERT_AT, **options)
    return report.to_json()


@pytest.fixture
def always_parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    # The corpus is small: cut it into parts however little there is.
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)


def _generated(folder: Path) -> list[str]:
    """Write CloudTrail in both layouts, with odd lines, over several files."""
    events: list[dict[str, Any]] = []
    for path in sorted((CORPUS / "cloudtrail").glob("aws.*.json")):
        events.extend(json.loads(path.read_text()))
    rng = random.Random(3)
    start = datetime(2024, 8, 2, 8, 0, tzinfo=UTC)
    lines: list[str] = []
    for i in range(3000):
        event = dict(rng.choice(events))
        moment = start + timedelta(seconds=i // 2)
        event["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if i % 7 == 0:
            event["errorCode"] = "AccessDenied"
        lines.append(json.dumps(event))
    # What only the general reader can read must land in the middle of a part.
    lines[700] = "not json at all"
    lines[1500] = json.dumps({"eventSource": 7, "eventName": None})
    lines[2200] = json.dumps(json.loads(lines[2200]), indent=2)
    lines[2600] = '{"apiVersion": "audit.k8s.io/v1", "kind": "Event", "verb": "get"}'
    (folder / "a.jsonl").write_text("\n".join(lines[:2000]) + "\n")
    trail = {"Records": [json.loads(line) for line in lines[:300]]}
    (folder / "b.json").write_text(json.dumps(trail))
    (folder / "c.jsonl").write_text("\r\n".join(lines[2000:]))
    return [str(folder)]


def test_parallel_and_general_match_one_pass_on_the_corpus(
    always_parallel: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_pass = _report(CORPUS_PATHS, workers=1)

    assert _report(CORPUS_PATHS, workers=2) == one_pass
    monkeypatch.setattr(fold, "fastpath", None)
    assert _report(CORPUS_PATHS, workers=1) == one_pass


def test_parallel_and_general_match_one_pass_on_generated_files(
    always_parallel: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _generated(tmp_path)
    sources = list(find_sources(paths[0]))
    stretches = parallel.plan(sources, 4)
    assert stretches is not None and len(stretches) == 4
    # Some JSON-lines file is cut inside, not only between files.
    assert any(part.start or part.end for s in stretches for part in s)

    one_pass = _report(paths, workers=1)

    assert one_pass["records"] > 2900
    assert _report(paths, workers=4) == one_pass
    monkeypatch.setattr(fold, "fastpath", None)
    assert _report(paths, workers=1) == one_pass
    assert _report(paths, workers=3) == one_pass


def test_a_records_file_is_never_cut(always_parallel: None, tmp_path: Path) -> None:
    trail = CORPUS / "cloudtrail" / "aws.persistence.iam-backdoor-user.json"
    events = json.loads(trail.read_text())
    (tmp_path / "trail.json").write_text(json.dumps({"Records": events * 50}))

    assert parallel.plan(list(find_sources(str(tmp_path))), 2) is None
