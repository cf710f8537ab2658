"""The Vault connector through hvac against the Vault stand-in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import hvac
import pytest

from bot.catalog import parse_catalog
from bot.connectors.vault import VaultConnector
from bot.containment.plan import build_plan
from bot.containment.steps import Phase, StepSpec
from bot.devtools.standins import VaultStandin
from bot.errors import ConnectorError

ROOT = "hvs.standin-root-5d2a"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)


@pytest.fixture
def vault() -> Iterator[VaultStandin]:
    standin = VaultStandin(root_token=ROOT)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


def connector(vault: VaultStandin, token: str = ROOT) -> VaultConnector:
    return VaultConnector(hvac.Client(url=vault.url, token=token, timeout=5))


def step(action: str, **params: str) -> StepSpec:
    return StepSpec(
        key=f"vault.{action}:agent",
        connector="vault",
        action=action,
        phase=Phase.REVOKE_TOKENS,
        target=next(iter(params.values())),
        change="",
        params=params,
        reversible=False,
    )


def test_plan_step_for_a_vault_token_revokes_it_and_its_leases(
    vault: VaultStandin,
) -> None:
    accessor = vault.add_token(["payments-read"], "approle-report-agent")
    child = vault.add_token(["default"], "child", parent=accessor)
    vault.add_lease("database/creds/report/abc123", token_accessor=accessor)
    catalog = parse_catalog(
        "workloads:\n  - name: report-agent\n    identities:\n"
        f"      - kind: vault_token\n        principal: {accessor}\n"
    )
    (planned,) = build_plan(catalog.workloads[0], catalog, now=NOW)

    first = connector(vault).execute(planned, now=NOW)
    second = connector(vault).execute(planned, now=NOW)

    assert first.ok, first.detail
    assert first.evidence["revoked_now"] is True
    assert first.evidence["lookup_after"] == "invalid accessor"
    assert first.evidence["token"]["policies"] == ["payments-read"]
    assert accessor not in vault.tokens and child not in vault.tokens
    assert vault.leases == {}
    assert second.ok and "already revoked" in second.detail
    assert ("POST", "auth/token/revoke-accessor") in vault.calls


def test_revoke_leases_by_prefix_reads_back_none(vault: VaultStandin) -> None:
    vault.add_lease("database/creds/report/a1")
    vault.add_lease("database/creds/report/b2")
    vault.add_lease("database/creds/billing/c3")

    outcome = connector(vault).execute(
        step("revoke_leases", lease_prefix="database/creds/report/"), now=NOW
    )

    assert outcome.ok, outcome.detail
    assert outcome.evidence["before"] == ["a1", "b2"]
    assert outcome.evidence["after"] == []
    assert list(vault.leases) == ["database/creds/billing/c3"]


def test_destroy_secret_id_is_idempotent(vault: VaultStandin) -> None:
    accessor = vault.add_secret_id("report-agent")
    destroy = step(
        "destroy_secret_id", role="report-agent", secret_id_accessor=accessor
    )

    first = connector(vault).execute(destroy, now=NOW)
    second = connector(vault).execute(destroy, now=NOW)

    assert first.ok, first.detail
    assert first.evidence["gone"] is True
    assert second.ok and "already gone" in second.detail
    assert vault.secret_ids == {}


def test_rotate_kv_secret_writes_a_new_version_with_cas(
    vault: VaultStandin, caplog: pytest.LogCaptureFixture
) -> None:
    vault.put_kv("kv", "report/db", {"username": "report", "password": "old-pass"})
    caplog.set_level(logging.DEBUG)

    outcome = connector(vault).execute(
        step("rotate_secret", secret_id="kv/report/db"), now=NOW
    )

    assert outcome.ok, outcome.detail
    assert outcome.evidence["previous_version"] == 1
    assert outcome.evidence["current_version"] == 2
    new_value = vault.kv[("kv", "report/db")][-1]["password"]
    assert new_value != "old-pass"
    assert new_value not in caplog.text and new_value not in repr(outcome)
    assert ROOT not in caplog.text and ROOT not in repr(outcome)


def test_token_without_policy_gets_a_clear_403(vault: VaultStandin) -> None:
    accessor = vault.add_token(["default"], "agent")
    vault.policies["hvs.read-only"] = ("sys/health",)

    read_only = connector(vault, "hvs.read-only")
    with pytest.raises(ConnectorError) as raised:
        read_only.execute(step("revoke_token", accessor=accessor), now=NOW)

    message = str(raised.value)
    assert "403 permission denied" in message
    assert "policy grants `update`" in message
    assert "hvs.read-only" not in message
    assert accessor in vault.tokens


def test_unreachable_vault_names_the_setting() -> None:
    unreachable = VaultConnector(hvac.Client(url="http://127.0.0.1:9", timeout=2))

    with pytest.raises(ConnectorError, match="CONTAINBOT_VAULT_ADDR"):
        unreachable.execute(step("revoke_token", accessor="abc"), now=NOW)


def test_dry_run_lists_the_calls_and_undo_refuses(vault: VaultStandin) -> None:
    revoke = step("revoke_token", accessor="hmac-accessor-1")
    rotate = step("rotate_secret", secret_id="kv/report/db")

    lines = connector(vault).dry_run(revoke, now=NOW)
    kv_lines = connector(vault).dry_run(rotate, now=NOW)

    assert lines[1] == "POST /v1/auth/token/revoke-accessor accessor=hmac-accessor-1"
    assert kv_lines[0] == "GET /v1/kv/data/report/db"
    assert "not shown" in kv_lines[1]
    assert vault.calls == []
    assert not connector(vault).undo(revoke).ok
