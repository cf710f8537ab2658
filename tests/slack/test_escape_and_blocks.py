"""Untrusted text stays inert in Slack markup, and posts stay within limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.catalog import load_catalog
from bot.slack import blocks, plan_blocks
from bot.slack.channels import MAX_CHANNEL_NAME, channel_name
from bot.slack.escape import code, mrkdwn, plain
from tests.conftest import REPO

NOW = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
HOSTILE = "<!channel> ping <@U03CAPPROV> & <https://evil.example|click> `x`"


def test_mrkdwn_escapes_the_three_control_characters() -> None:
    assert mrkdwn(HOSTILE) == (
        "&lt;!channel&gt; ping &lt;@U03CAPPROV&gt; &amp; "
        "&lt;https://evil.example|click&gt; `x`"
    )
    assert mrkdwn("a" * 10, limit=5) == "aaaa…"


def test_bidirectional_overrides_are_removed() -> None:
    spoof = "invoice\u202eexe.txt\u2066x\u2069"
    assert mrkdwn(spoof) == "invoiceexe.txtx"
    assert plain(spoof, limit=50) == "invoiceexe.txtx"


def test_code_span_cannot_be_closed_early() -> None:
    rendered = code("abc`<!here>`def")
    assert rendered.count("`") == 2
    assert "<!here>" not in rendered


def test_summary_with_hostile_alert_has_no_live_mention() -> None:
    _, summary = blocks.summary(
        incident_id=1,
        workload="invoice-sync",
        status="open",
        severity="high",
        title=HOSTILE * 200,
        alert_count=3,
        latest_alert=HOSTILE,
        people={"owner": "U01AOWNER", "fallback_owner": None, "approver": "U03CAPPROV"},
        opened_at=NOW,
        acknowledged_by=None,
    )
    text = json.dumps(summary)
    assert "<!channel>" not in text and "<https://evil" not in text
    for block in summary:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
        for field in block.get("fields", []):
            assert len(field["text"]) <= 2000


def test_plan_names_shared_workloads_and_asks_for_confirmation() -> None:
    from bot.containment.plan import build_plan

    catalog = load_catalog(REPO / "bot" / "examples" / "catalog.yml")
    workload = catalog.get("invoice-sync")
    assert workload is not None
    specs = build_plan(workload, catalog, now=NOW)
    _, plan = plan_blocks.plan(
        incident_id=7, workload="invoice-sync", specs=specs, approver_id="U03CAPPROV"
    )
    rendered = json.dumps(plan)
    assert "ledger-reader" in rendered
    approve = plan[-1]["elements"][0]
    assert approve["action_id"] == blocks.APPROVE_ACTION
    assert approve["value"] == "7" and "confirm" in approve
    assert len(plan) <= 50


def test_channel_names_are_valid_for_slack() -> None:
    assert channel_name(7, "invoice-sync") == "contain-invoice-sync-7"
    assert channel_name(7, None) == "contain-unowned-7"
    weird = channel_name(123456, "Pay Ments/<script>__" + "x" * 200, attempt=2)
    assert len(weird) <= MAX_CHANNEL_NAME
    assert set(weird) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
    assert weird.endswith("-123456-3")
