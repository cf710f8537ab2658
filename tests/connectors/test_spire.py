"""The SPIRE connector through the spire-server CLI, run against its stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog import parse_catalog
from bot.connectors.spire import SpireConnector
from bot.containment.plan import build_plan
from bot.containment.steps import StepSpec
from bot.devtools.standins.spire_cli import entry, install
from bot.errors import ConnectorError

NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)
AGENT = "spiffe://prod.example.org/ns/agents/sa/report-agent"
NODE = "spiffe://prod.example.org/spire/agent/k8s_psat/prod/node-1"


@pytest.fixture
def socket(tmp_path: Path) -> Path:
    return tmp_path / "api.sock"


@pytest.fixture
def spire(tmp_path: Path, socket: Path) -> SpireConnector:
    entries = [
        entry(AGENT, NODE, "k8s:ns:agents", "k8s:sa:report-agent"),
        entry(AGENT, NODE, "k8s:ns:agents", "k8s:pod-label:app:report"),
        entry("spiffe://prod.example.org/ns/shop/sa/checkout", NODE, "k8s:ns:shop"),
    ]
    binary = install(tmp_path, socket, entries)
    return SpireConnector(str(binary), str(socket))


@pytest.fixture
def step() -> StepSpec:
    catalog = parse_catalog(
        "workloads:\n  - name: report-agent\n    identities:\n"
        f"      - kind: spiffe_id\n        principal: {AGENT}\n"
    )
    (planned,) = build_plan(catalog.workloads[0], catalog, now=NOW)
    return planned


def stored(socket: Path) -> list[str]:
    entries = json.loads(socket.read_text())["entries"]
    return sorted(f"{e['spiffe_id']['path']}" for e in entries)


def test_delete_entry_removes_every_entry_of_the_spiffe_id(
    spire: SpireConnector, step: StepSpec, socket: Path
) -> None:
    first = spire.execute(step, now=NOW)
    second = spire.execute(step, now=NOW)

    assert first.ok, first.detail
    assert len(first.evidence["deleted_entries"]) == 2
    assert first.evidence["entries_after"] == []
    assert stored(socket) == ["/ns/shop/sa/checkout"]
    assert second.ok and "Nothing to delete" in second.detail


def test_undo_recreates_the_entries_with_their_selectors(
    spire: SpireConnector, step: StepSpec, socket: Path
) -> None:
    ran = spire.execute(step, now=NOW)

    undone = spire.undo(step, evidence=ran.evidence)
    again = spire.undo(step, evidence=ran.evidence)

    assert undone.ok, undone.detail
    entries = json.loads(socket.read_text())["entries"]
    recreated = [
        e for e in entries if e["spiffe_id"]["path"] == "/ns/agents/sa/report-agent"
    ]
    assert sorted(s["value"] for e in recreated for s in e["selectors"]) == [
        "ns:agents",
        "ns:agents",
        "pod-label:app:report",
        "sa:report-agent",
    ]
    assert all(e["x509_svid_ttl"] == 3600 for e in recreated)
    assert again.ok and len(recreated) == 2


def test_dry_run_lists_the_cli_commands(
    spire: SpireConnector, step: StepSpec, socket: Path
) -> None:
    lines = spire.dry_run(step, now=NOW)

    assert lines[0].endswith(
        f"entry show -spiffeID {AGENT} -socketPath {socket} -output json"
    )
    assert sum(" entry delete -entryID " in line for line in lines) == 2
    assert len(stored(socket)) == 3


def test_missing_socket_says_what_to_check(tmp_path: Path, step: StepSpec) -> None:
    binary = install(tmp_path, tmp_path / "state.json", [])
    spire = SpireConnector(str(binary), str(tmp_path / "missing.sock"))

    with pytest.raises(ConnectorError) as raised:
        spire.execute(step, now=NOW)

    assert "no such file or directory" in str(raised.value)
    assert "CONTAINBOT_SPIRE_SOCKET" in str(raised.value)


def test_missing_binary_names_the_setting(step: StepSpec) -> None:
    spire = SpireConnector("/nonexistent/spire-server")

    with pytest.raises(ConnectorError, match="CONTAINBOT_SPIRE_SERVER_BIN"):
        spire.execute(step, now=NOW)
