"""The webhook connector: a signed POST to a SOAR or an agent tool gateway.

The contract is in docs/connectors.md: containbot POSTs JSON signed with
HMAC-SHA256 over `<timestamp>.<body>`; the receiver applies the action
idempotently and answers 2xx with `{"ok": true, ...}` describing the state after it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx

from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

ACTIONS = ("revoke_api_key", "revoke_tool_grants", "stop_workload")
SIGNATURE_HEADER = "X-Containbot-Signature"
TIMESTAMP_HEADER = "X-Containbot-Timestamp"
DELIVERY_HEADER = "X-Containbot-Delivery"
# 5xx answers are retried this many times in all, waiting 0.5 s, 1 s, 2 s between.
ATTEMPTS = 4
_EVIDENCE_LIMIT = 4000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Return the signature header value for `body` sent at `timestamp`."""
    message = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float,
    tolerance: float = 300,
) -> bool:
    """Check a signature and that its timestamp is recent (for receivers)."""
    try:
        sent = float(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookConnector:
    """POST signed containment requests to one receiver URL."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = url
        self._secret = secret
        self._sleep = sleep
        # The transport retries connection failures; the loop below retries 5xx.
        self._http = httpx.Client(
            timeout=timeout, transport=transport or httpx.HTTPTransport(retries=2)
        )

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact request `execute` would send."""
        self._action(step)
        body = _payload(step, now, delivery="<new uuid>", undo=False)
        return [
            f"POST {self._url} {json.dumps(body, sort_keys=True)}",
            f"  headers: {TIMESTAMP_HEADER}=<unix time>, {SIGNATURE_HEADER}="
            "sha256=<HMAC-SHA256 of '<timestamp>.<body>'>, "
            f"{DELIVERY_HEADER}=<same uuid on retries>",
            '  expects: 2xx and {"ok": true, ...} describing the state after',
        ]

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Send the action, retrying transient failures, and check the answer."""
        self._action(step)
        logger.info("Running %s on %s", step.key, step.target)
        return self._deliver(step, _payload(step, now, str(uuid.uuid4()), undo=False))

    def undo(
        self, step: StepSpec, *, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Ask the receiver to reverse the action, passing what the run returned."""
        self._action(step)
        logger.info("Undoing %s on %s", step.key, step.target)
        payload = _payload(step, None, str(uuid.uuid4()), undo=True)
        payload["run_evidence"] = dict((evidence or {}).get("receiver", {}))
        return self._deliver(step, payload)

    def _deliver(self, step: StepSpec, payload: dict[str, Any]) -> StepOutcome:
        body = json.dumps(payload, sort_keys=True).encode()
        what = f"POST {step.action} for {step.target} to the webhook"
        response = None
        for attempt in range(1, ATTEMPTS + 1):
            timestamp = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self._secret, timestamp, body),
                DELIVERY_HEADER: payload["delivery_id"],
            }
            try:
                response = self._http.post(self._url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                if attempt == ATTEMPTS:
                    raise ConnectorError(
                        f"{what} failed: {type(exc).__name__} after {attempt} "
                        "attempts. Check CONTAINBOT_WEBHOOK_URL and that the "
                        "receiver is up."
                    ) from exc
                response = None
            if response is not None and response.status_code < 500:
                break
            logger.warning(
                "Webhook %s attempt %s failed (%s); retrying",
                step.key,
                attempt,
                response.status_code if response is not None else "no answer",
            )
            if attempt < ATTEMPTS:
                self._sleep(0.5 * 2 ** (attempt - 1))
        assert response is not None
        return _outcome(what, step, response, attempt)

    def _action(self, step: StepSpec) -> str:
        if step.connector != self.name or step.action not in ACTIONS:
            raise ConnectorError(
                f"The webhook connector cannot run {step.connector}.{step.action}; "
                f"it runs {', '.join(ACTIONS)}."
            )
        return step.action


def _payload(
    step: StepSpec, now: datetime | None, delivery: str, *, undo: bool
) -> dict[str, Any]:
    return {
        "action": step.action,
        "undo": undo,
        "step_key": step.key,
        "target": step.target,
        "params": dict(step.params),
        "change": step.change,
        "requested_at": now.isoformat() if now else None,
        "delivery_id": delivery,
    }


def _outcome(
    what: str, step: StepSpec, response: httpx.Response, attempts: int
) -> StepOutcome:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    status = response.status_code
    if status == 401 or status == 403:
        raise ConnectorError(
            f"{what} failed: the receiver refused the request ({status}). Check "
            "that CONTAINBOT_WEBHOOK_SECRET matches the receiver's secret and that "
            "the two clocks agree within five minutes."
        )
    if not isinstance(answer, dict):
        raise ConnectorError(
            f"{what} failed: HTTP {status} without a JSON object; the receiver must "
            'answer {"ok": true, ...} (docs/connectors.md).'
        )
    evidence = {
        "status": status,
        "attempts": attempts,
        "receiver": _bounded(answer.get("evidence") or answer.get("state") or {}),
    }
    if status >= 300 or answer.get("ok") is not True:
        error = str(answer.get("error") or answer.get("detail") or "no error given")
        detail = f"{what} failed: HTTP {status}: {error[:300]}"
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = str(answer.get("detail") or f"The receiver applied {step.action}.")
    return StepOutcome(ok=True, detail=detail[:500], evidence=evidence)


def _bounded(value: Any) -> Any:
    """Keep the receiver's evidence only when it is small, as a JSON object."""
    if not isinstance(value, dict):
        return {"value": str(value)[:200]}
    text = json.dumps(value, default=str)
    return value if len(text) <= _EVIDENCE_LIMIT else {"truncated": text[:200]}
