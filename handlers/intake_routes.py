"""HTTP routes that detectors post alerts to: `POST /alerts/<source>`."""

from __future__ import annotations

import hmac
import logging
from typing import IO

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot.context import Context
from bot.errors import AlertRejected
from bot.intake import service
from bot.intake.github import SIGNATURE_HEADER, verify_github_signature
from bot.settings import INTAKE_SOURCES
from storage import rejected

logger = logging.getLogger(__name__)

# Large enough for a GuardDuty finding list or a falcosidekick batch; anything
# bigger is refused before it is read in full.
MAX_BODY = 1024 * 1024


def blueprint(ctx: Context) -> Blueprint:
    routes = Blueprint("intake", __name__)

    @routes.post("/alerts/<source>")
    def receive(source: str) -> tuple[Response, int]:
        if source not in INTAKE_SOURCES:
            return _error(
                f"unknown source {source!r}; use one of {', '.join(INTAKE_SOURCES)}",
                404,
            )
        if source == "github" and request.headers.get("X-GitHub-Event") == "ping":
            # GitHub's first delivery checks the hook is reachable; it is no alert.
            return jsonify(ok=True), 200
        refusal = _authenticate(ctx, source)
        if refusal:
            # Logged without the body: an unauthenticated sender's text is noise.
            logger.warning("intake unauthorized source=%s reason=%s", source, refusal)
            return _error(refusal, 401)

        length = request.content_length
        if length is not None and length > MAX_BODY:
            # Read the head straight from the socket: the request's own stream
            # refuses a body over the limit before giving a byte of it.
            head = request.environ["wsgi.input"].read(rejected.KEEP_BYTES)
            return _too_large(ctx, source, head, f"body is {length} bytes")
        if length is not None:
            # Known and within the limit (GitHub's signature check cached it).
            body: bytes | None = request.get_data(cache=True)
        else:
            body = _read_capped(request.stream)
        if body is None:
            # A chunked body states no length; it is cut off at the limit.
            return _too_large(ctx, source, b"", "chunked body runs past the limit")
        try:
            results = service.receive(
                ctx, source, body, content_type=request.content_type
            )
        except AlertRejected as exc:
            return _error(exc.reason, exc.status)
        return jsonify(
            alerts=[
                {
                    "incident_id": r.incident_id,
                    "alert_id": r.alert_id,
                    "opened": r.opened,
                    "repeat": r.repeat,
                }
                for r in results
            ]
        ), 202

    @routes.get("/healthz")
    def health() -> tuple[Response, int]:
        return jsonify(ok=True), 200

    return routes


def _read_capped(stream: IO[bytes]) -> bytes | None:
    """Read the body, or return None as soon as it runs past MAX_BODY."""
    parts: list[bytes] = []
    total = 0
    try:
        while chunk := stream.read(64 * 1024):
            total += len(chunk)
            if total > MAX_BODY:
                return None
            parts.append(chunk)
    except RequestEntityTooLarge:
        return None
    return b"".join(parts)


def _too_large(
    ctx: Context, source: str, head: bytes, what: str
) -> tuple[Response, int]:
    reason = f"{what}; the limit is {MAX_BODY} bytes"
    rejected.keep(
        ctx.engine,
        source=source,
        body=head,
        reason=reason,
        content_type=request.content_type,
        now=ctx.clock(),
    )
    return _error(reason, 413)


def _authenticate(ctx: Context, source: str) -> str | None:
    expected = ctx.settings.intake_secrets.get(source)
    if expected is None:
        return (
            f"intake for {source} is disabled: "
            f"set CONTAINBOT_INTAKE_SECRET_{source.upper()}"
        )
    secret = expected.get_secret_value()
    if source == "github":
        # GitHub cannot send an Authorization header; it signs the body instead.
        # So the body is read before it is trusted, but never past the limit.
        if request.content_length is None or request.content_length > MAX_BODY:
            return f"a signed body must state its length, at most {MAX_BODY} bytes"
        body = request.get_data(cache=True)
        signature = request.headers.get(SIGNATURE_HEADER)
        if not verify_github_signature(body, signature, secret):
            return f"missing or wrong {SIGNATURE_HEADER} signature"
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return "missing bearer token in the Authorization header"
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return "wrong bearer token"
    return None


def _error(reason: str, status: int) -> tuple[Response, int]:
    return jsonify(error=reason), status
