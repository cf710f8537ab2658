"""`POST /incidents/<id>/evidence`: attach an activity log to an open incident."""

from __future__ import annotations

import hmac
import logging
import tempfile
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from bot import touched
from bot.context import Context
from bot.evidence import EvidenceError
from storage import evidence, incidents

logger = logging.getLogger(__name__)

# Logs are bigger than alerts; a day of one workload's CloudTrail fits easily.
MAX_LOG = 256 * 1024 * 1024
_CHUNK = 1024 * 1024


def blueprint(ctx: Context) -> Blueprint:
    routes = Blueprint("evidence", __name__)

    @routes.post("/incidents/<int:incident_id>/evidence")
    def attach(incident_id: int) -> tuple[Response, int]:
        refusal = _authenticate(ctx)
        if refusal:
            logger.warning("evidence upload unauthorized incident=%s", incident_id)
            return jsonify(error=refusal), 401
        if incidents.get_incident(ctx.engine, incident_id) is None:
            return jsonify(error=f"no incident {incident_id}"), 404
        request.max_content_length = MAX_LOG
        length = request.content_length
        if length is None or length > MAX_LOG:
            return jsonify(
                error=f"send the log with a length of at most {MAX_LOG}"
            ), 413

        # Spooled to disk so the streaming readers see a file (gzip is detected
        # by its magic bytes) and a large log never sits in memory.
        name = Path(request.args.get("name", "upload.json")).name or "upload.json"
        with tempfile.TemporaryDirectory(prefix="containbot-evidence-") as folder:
            path = Path(folder) / name
            with path.open("wb") as out:
                while chunk := request.stream.read(_CHUNK):
                    out.write(chunk)
            try:
                touched.attach(
                    ctx,
                    incident_id,
                    [str(path)],
                    origin=f"upload:{name}",
                    lookback=False,
                )
            except EvidenceError as exc:
                return jsonify(error=str(exc)), 400
        loaded = evidence.latest(ctx.engine, incident_id)
        assert loaded is not None
        return jsonify(
            records=loaded.records, services=len(loaded.summary.get("services", []))
        ), 200

    return routes


def _authenticate(ctx: Context) -> str | None:
    expected = ctx.settings.evidence_secret
    if expected is None:
        return "evidence upload is disabled: set CONTAINBOT_INTAKE_SECRET_EVIDENCE"
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.encode(), expected.get_secret_value().encode()
    ):
        return "missing or wrong bearer token"
    return None
