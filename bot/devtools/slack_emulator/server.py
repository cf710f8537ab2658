"""The emulator's WSGI app and the thread that serves it on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from bot.devtools.slack_emulator.methods import REGISTRY, Args, MethodError
from bot.devtools.slack_emulator.models import RecordedCall
from bot.devtools.slack_emulator.ratelimit import FaultInjector, RateLimiter
from bot.devtools.slack_emulator.responses import apply_response
from bot.devtools.slack_emulator.state import WorkspaceState

logger = logging.getLogger(__name__)

# Arguments that carry JSON inside a form field; recorded calls hold them parsed.
_STRUCTURED = ("blocks", "attachments", "view", "metadata")


def _arguments(request: Request) -> dict[str, Any]:
    """Merge query, form and JSON arguments, the way Slack reads a call."""
    values: dict[str, Any] = dict(request.args.items())
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            values.update(body)
    else:
        values.update(request.form.items())
    for key in _STRUCTURED:
        if isinstance(values.get(key), str):
            try:
                values[key] = json.loads(values[key])
            except ValueError:
                pass  # left as text; the handler answers invalid_blocks_format
    return values


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["X-Slack-Req-Id"] = uuid.uuid4().hex
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


class EmulatorApp:
    """Answer Web API calls under `/api/` and response_url posts under `/response/`."""

    def __init__(
        self,
        state: WorkspaceState,
        token: str,
        limiter: RateLimiter | None,
        faults: FaultInjector,
    ) -> None:
        self.state = state
        self.token = token
        self.limiter = limiter
        self.faults = faults

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith("/api/"):
            response = self.web_api(request.path.removeprefix("/api/"), request)
        elif request.path.startswith("/response/") and request.method == "POST":
            response = self.response_url(
                request.path.removeprefix("/response/"), request
            )
        else:
            response = Response("not found", status=404, mimetype="text/plain")
        return response(environ, start_response)

    def web_api(self, method: str, request: Request) -> Response:
        """Authenticate, apply faults and limits, run the handler, record the call."""
        args = _arguments(request)
        bearer = (
            request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        )
        token = bearer or str(args.get("token") or "")
        args.pop("token", None)

        spec = REGISTRY.get(method)
        if spec is None:
            body = {"ok": False, "error": "unknown_method", "req_method": method}
            return self._record(method, args, 200, body)
        if not token:
            return self._record(method, args, 200, {"ok": False, "error": "not_authed"})
        if token != self.token:
            return self._record(
                method, args, 200, {"ok": False, "error": "invalid_auth"}
            )

        fault = self.faults.take(method)
        if fault is not None:
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
            )
            body = {"ok": False, "error": fault.error}
            return self._record(method, args, fault.status, body, headers)
        if self.limiter is not None:
            key = str(args.get(spec.limit_by, "")) if spec.limit_by else ""
            wait = self.limiter.check(method, spec.tier, key)
            if wait:
                body = {"ok": False, "error": "ratelimited"}
                return self._record(method, args, 429, body, {"Retry-After": str(wait)})

        with self.state.lock:
            try:
                body = spec.handler(self.state, Args(args))
            except MethodError as exc:
                body = {"ok": False, "error": exc.error, **exc.extra}
            except Exception:
                # A bug in the emulator should look like Slack having a bad day,
                # not hang the caller; the traceback is logged once, here.
                logger.exception("slack emulator failed while answering %s", method)
                return self._record(
                    method, args, 500, {"ok": False, "error": "internal_error"}
                )
        return self._record(method, args, 200, body)

    def response_url(self, key: str, request: Request) -> Response:
        """Apply a post to a response_url and record it as method `response_url`."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            body = dict(request.form.items())
        with self.state.lock:
            target = self.state.response_targets.get(key)
            if target is None:
                status, reply = 404, "expired_url"
            else:
                status, reply = apply_response(self.state, target, body)
        self._note_call("response_url", body, status, reply)
        return Response(reply, status=status, mimetype="text/plain")

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> Response:
        error = None if body.get("ok") else str(body.get("error"))
        self._note_call(method, args, status, error or "ok")
        return _json(status, body, headers)

    def _note_call(
        self, method: str, args: dict[str, Any], status: int, reply: str
    ) -> None:
        ok = status == 200 and reply == "ok"
        call = RecordedCall(
            method, args, status, ok, None if ok else reply, time.time()
        )
        with self.state.lock:
            self.state.calls.append(call)
        logger.debug("slack emulator answered %s with %s (%s)", method, status, reply)


class _QuietHandler(WSGIRequestHandler):
    """Log each request at DEBUG through our logger, not werkzeug's stderr lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("slack emulator: %s %s", self.requestline, code)


class ServerThread:
    """Serve a WSGI app on an ephemeral loopback port from a daemon thread."""

    def __init__(self, app: EmulatorApp) -> None:
        self._app = app
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """Return the bound port; the server must be running."""
        if self._server is None:
            raise RuntimeError("the Slack emulator is not running; call start() first")
        return self._server.server_port

    def start(self) -> None:
        """Bind to 127.0.0.1 on a free port and serve in the background."""
        if self._server is not None:
            raise RuntimeError("the Slack emulator is already running")
        self._server = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        # A short poll interval keeps stop() quick; tests start many emulators.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        logger.info("slack emulator listening on 127.0.0.1:%s", self.port)

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
        logger.info("slack emulator stopped")
