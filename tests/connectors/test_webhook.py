"""The webhook connector against a receiver that checks the signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.catalog import Catalog, load_catalog
from bot.connectors.webhook import WebhookConnector, sign, verify
from bot.containment.plan import build_plan
from bot.containment.steps import StepSpec
from bot.devtools.standins import WebhookReceiver
from bot.errors import ConnectorError

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
SECRET = "whsec-4b1d9e7f0a"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    standin = WebhookReceiver(SECRET)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


def plan_step(catalog: Catalog, name: str, action: str) -> StepSpec:
    workload = catalog.get(name)
    assert workload is not None
    plan = build_plan(workload, catalog, now=NOW)
    return next(s for s in plan if s.action == action)


def connector(url: str, secret: str = SECRET) -> tuple[WebhookConnector, list[float]]:
    waits: list[float] = []
    return WebhookConnector(url, secret, timeout=5, sleep=waits.append), waits


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = b'{"action":"revoke_api_key"}'
    expected = hmac.new(SECRET.encode(), b"1764770000." + body, hashlib.sha256)

    assert sign(SECRET, "1764770000", body) == f"sha256={expected.hexdigest()}"
    assert verify(
        SECRET, "1764770000", body, sign(SECRET, "1764770000", body), now=1764770100
    )
    assert not verify(
        SECRET, "1764770000", body, sign(SECRET, "1764770000", body), now=1764771000
    )
    assert not verify(
        "other", "1764770000", body, sign(SECRET, "1764770000", body), now=1764770000
    )


def test_revoke_tool_grants_is_applied_and_undone(
    receiver: WebhookReceiver, catalog: Catalog
) -> None:
    step = plan_step(catalog, "falco-pod-delete", "revoke_tool_grants")
    webhook, _ = connector(receiver.url)

    first = webhook.execute(step, now=NOW)
    second = webhook.execute(step, now=NOW)
    undone = webhook.undo(step, evidence=first.evidence)

    assert first.ok, first.detail
    assert first.evidence["receiver"] == {
        "agent": "falco-pod-delete",
        "withdrawn": ["kubernetes:delete-pods"],
    }
    assert second.ok
    assert undone.ok and receiver.withdrawn_grants["falco-pod-delete"] == set()
    sent = receiver.requests[0]
    assert sent["action"] == "revoke_tool_grants" and sent["undo"] is False
    assert sent["params"] == {"grants": "kubernetes:delete-pods"}
    assert receiver.requests[-1]["undo"] is True


def test_revoke_api_key_from_the_plan(
    receiver: WebhookReceiver, catalog: Catalog
) -> None:
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, _ = connector(receiver.url)

    outcome = webhook.execute(step, now=NOW)

    assert outcome.ok, outcome.detail
    assert receiver.revoked_keys == {"reporting-partner-key"}
    assert not webhook.undo(step, evidence=outcome.evidence).ok


def test_500_is_retried_with_backoff_then_succeeds(
    receiver: WebhookReceiver, catalog: Catalog
) -> None:
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, waits = connector(receiver.url)
    receiver.fail_next(2)

    outcome = webhook.execute(step, now=NOW)

    assert outcome.ok, outcome.detail
    assert outcome.evidence["attempts"] == 3
    assert waits == [0.5, 1.0]


def test_persistent_500_fails_with_the_receivers_error(
    receiver: WebhookReceiver, catalog: Catalog
) -> None:
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, waits = connector(receiver.url)
    receiver.fail_next(10)

    outcome = webhook.execute(step, now=NOW)

    assert not outcome.ok
    assert "HTTP 500: receiver unavailable" in outcome.detail
    assert waits == [0.5, 1.0, 2.0]
    assert receiver.revoked_keys == set()


def test_wrong_secret_is_rejected_by_the_receiver(
    receiver: WebhookReceiver, catalog: Catalog
) -> None:
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, _ = connector(receiver.url, secret="not-the-secret")

    with pytest.raises(ConnectorError, match="CONTAINBOT_WEBHOOK_SECRET"):
        webhook.execute(step, now=NOW)

    assert receiver.rejected == 1 and receiver.revoked_keys == set()


def test_tampered_body_is_rejected(receiver: WebhookReceiver) -> None:
    timestamp = str(int(time.time()))
    body = json.dumps({"action": "stop_workload", "target": "x"}).encode()
    headers = {
        "X-Containbot-Timestamp": timestamp,
        "X-Containbot-Signature": sign(SECRET, timestamp, body),
    }

    answer = httpx.post(receiver.url, content=body + b" ", headers=headers)

    assert answer.status_code == 401
    assert receiver.stopped == set()


def test_unreachable_receiver_says_what_to_check(catalog: Catalog) -> None:
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, _ = connector("http://127.0.0.1:9/containbot")

    with pytest.raises(ConnectorError, match="CONTAINBOT_WEBHOOK_URL"):
        webhook.execute(step, now=NOW)


def test_dry_run_sends_nothing_and_secret_stays_out_of_logs(
    receiver: WebhookReceiver, catalog: Catalog, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    step = plan_step(catalog, "legacy-reporter", "revoke_api_key")
    webhook, _ = connector(receiver.url)

    lines = webhook.dry_run(step, now=NOW)
    outcome = webhook.execute(step, now=NOW)

    assert lines[0].startswith(f"POST {receiver.url} ")
    assert '"action": "revoke_api_key"' in lines[0]
    assert len(receiver.requests) == 1
    assert SECRET not in caplog.text and SECRET not in repr(outcome)
    assert SECRET not in "\n".join(lines)
