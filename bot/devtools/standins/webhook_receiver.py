"""A webhook receiver that checks containbot's signature and keeps what it revoked.

It implements the receiving side of the contract in docs/connectors.md, as a SOAR
or an agent tool gateway would: the signature and timestamp are verified before
anything else (401 otherwise), a delivery id seen before gets the same answer
again, and each action is idempotent and answers `{"ok": true, "state": ...}`.
`fail_next(n)` makes the next n requests answer 500, to exercise retries.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from werkzeug.wrappers import Request, Response

from bot.connectors.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)
from bot.devtools.standins.server import WsgiServer


class WebhookReceiver:
    """Hold revoked keys, withdrawn tool grants and stopped workloads in memory."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self.revoked_keys: set[str] = set()
        self.withdrawn_grants: dict[str, set[str]] = {}
        self.stopped: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.rejected = 0
        self._failures = 0
        self._answers: dict[str, tuple[int, dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self._server = WsgiServer(self, "webhook")

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return f"{self._server.url}/containbot"

    def fail_next(self, count: int) -> None:
        """Answer the next `count` requests with 500, as a receiver having trouble."""
        with self.lock:
            self._failures = count

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            status, answer = self._handle(request, body)
        response = Response(json.dumps(answer), status, mimetype="application/json")
        return response(environ, start_response)

    def _handle(self, request: Request, body: bytes) -> tuple[int, dict[str, Any]]:
        if request.method != "POST" or request.path != "/containbot":
            return 404, {"ok": False, "error": "not found"}
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not verify(self._secret, timestamp, body, signature, now=time.time()):
            self.rejected += 1
            return 401, {"ok": False, "error": "invalid signature or stale timestamp"}
        if self._failures:
            self._failures -= 1
            return 500, {"ok": False, "error": "receiver unavailable"}
        payload = json.loads(body)
        self.requests.append(payload)
        delivery = request.headers.get(DELIVERY_HEADER, "")
        if delivery in self._answers:
            return self._answers[delivery]
        answer = self._apply(payload)
        self._answers[delivery] = answer
        return answer

    def _apply(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        action, undo = payload.get("action"), bool(payload.get("undo"))
        params, target = payload.get("params") or {}, str(payload.get("target"))
        if action == "revoke_api_key":
            if undo:
                return 409, {"ok": False, "error": "a revoked key cannot be restored"}
            key = params.get("key_name", target)
            self.revoked_keys.add(key)
            return 200, {
                "ok": True,
                "detail": f"API key {key} is revoked.",
                "state": {"key_name": key, "status": "revoked"},
            }
        if action == "revoke_tool_grants":
            grants = {g for g in params.get("grants", "").split(",") if g}
            withdrawn = self.withdrawn_grants.setdefault(target, set())
            if undo:
                withdrawn -= grants
            else:
                withdrawn |= grants
            return 200, {
                "ok": True,
                "detail": f"Tool grants of {target} withdrawn: "
                f"{', '.join(sorted(withdrawn)) or 'none'}.",
                "state": {"agent": target, "withdrawn": sorted(withdrawn)},
            }
        if action == "stop_workload":
            if undo:
                self.stopped.discard(target)
            else:
                self.stopped.add(target)
            running = target not in self.stopped
            return 200, {
                "ok": True,
                "detail": f"{target} is {'running' if running else 'stopped'}.",
                "state": {"workload": target, "running": running},
            }
        return 400, {"ok": False, "error": f"unknown action {action!r}"}
