"""The ladder's rules and its settings, without a database or Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.catalog import parse_catalog
from bot.errors import SettingsError
from bot.escalation import ladder
from bot.settings import Settings

BASE = {"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": "s"}
CATALOG = parse_catalog(
    """
workloads:
  - name: shop
    owner: U01
    criticality: [customer-facing, batch]
  - name: nightly
    owner: U02
    criticality: [batch]
"""
)


def settings(**env: str) -> Settings:
    return Settings.from_env({**BASE, **env}, dotenv=False)


def test_default_ladder_pages_owner_fallback_approver_oncall_then_repeats() -> None:
    steps = ladder.steps_for(settings(), CATALOG.get("nightly"))
    assert [(s.role, s.cycle, s.offset / timedelta(minutes=1)) for s in steps] == [
        ("owner", 0, 0),
        ("fallback_owner", 0, 5),
        ("approver", 0, 10),
        ("security_oncall", 0, 15),
        ("owner", 1, 20),
        ("fallback_owner", 1, 25),
        ("approver", 1, 30),
        ("security_oncall", 1, 35),
        ("owner", 2, 40),
        ("fallback_owner", 2, 45),
        ("approver", 2, 50),
        ("security_oncall", 2, 55),
    ]
    assert [s.rung() for s in steps[:3]] == [0, 100, 200]


def test_the_most_urgent_criticality_sets_the_ladder() -> None:
    configured = settings(
        CONTAINBOT_ESCALATION_MINUTES="4,8,12",
        CONTAINBOT_ESCALATION_REPEATS="0",
        CONTAINBOT_ESCALATION_MINUTES_CUSTOMER_FACING="1,2,3",
        CONTAINBOT_ESCALATION_MINUTES_BATCH="10,20,30",
    )
    assert configured.escalation_by_criticality["customer-facing"] == (1, 2, 3)
    shop = ladder.steps_for(configured, CATALOG.get("shop"))
    assert [s.offset.total_seconds() for s in shop] == [0, 60, 120, 180]
    nightly = ladder.steps_for(configured, CATALOG.get("nightly"))
    assert [s.offset.total_seconds() / 60 for s in nightly] == [0, 10, 20, 30]


def test_an_unreachable_rung_hands_on_at_once() -> None:
    opened = datetime(2025, 1, 1, tzinfo=UTC)
    steps = ladder.steps_for(settings(CONTAINBOT_ESCALATION_REPEATS="0"), None)
    assert [s.role for s in steps] == ["security_oncall"]
    steps = ladder.steps_for(
        settings(CONTAINBOT_ESCALATION_REPEATS="0"), CATALOG.get("nightly")
    )
    unreachable = {"owner", "fallback_owner"}
    due = ladder.due_times(steps, opened, lambda s: s.role not in unreachable)
    # Owner and fallback unknown to Slack: the approver is paged at once.
    assert [(s.role, (d - opened).total_seconds() / 60) for s, d in due] == [
        ("owner", 0),
        ("fallback_owner", 0),
        ("approver", 0),
        ("security_oncall", 15),
    ]


@pytest.mark.parametrize(
    "value", ["5,x", "10,5", "0,5", "-1"], ids=["word", "falling", "zero", "negative"]
)
def test_bad_minutes_fail_fast_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="CONTAINBOT_ESCALATION_MINUTES"):
        settings(CONTAINBOT_ESCALATION_MINUTES=value)


def test_pagerduty_settings_keep_routing_keys_secret() -> None:
    configured = settings(
        CONTAINBOT_PAGERDUTY_ROUTING_KEY="R0UTING",
        CONTAINBOT_PAGERDUTY_ROUTING_KEY_S0SECOPS="TEAMKEY",
        CONTAINBOT_PAGERDUTY_URL="http://127.0.0.1:9/v2/enqueue",
        CONTAINBOT_APPROVAL_TIMEOUT_MINUTES="7.5",
    )
    assert configured.pagerduty_team_keys == {"S0SECOPS": SecretStr("TEAMKEY")}
    assert configured.pagerduty_url.endswith("/v2/enqueue")
    assert configured.approval_timeout_minutes == 7.5
    assert "R0UTING" not in repr(configured) and "TEAMKEY" not in repr(configured)
