"""Take one detector delivery: parse, match, store, and hand Slack work off."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.context import Context
from bot.errors import AlertRejected
from bot.incident_room import open_room
from bot.intake.match import Match
from bot.intake.model import ParsedAlert
from bot.intake.parse import parse_alerts
from bot.summary_refresh import refresher_for
from storage import incidents, rejected
from storage.incidents import Intake

logger = logging.getLogger(__name__)


def receive(
    ctx: Context, source: str, body: bytes, *, content_type: str | None = None
) -> list[Intake]:
    """Store every alert in `body`; raise AlertRejected (after keeping it) if bad.

    Slack is never called here: the detector gets its answer as soon as the
    alerts are stored, and channel work runs in the background.
    """
    now = ctx.clock()
    try:
        alerts = _parse(source, body, now)
    except AlertRejected as exc:
        kept = rejected.keep(
            ctx.engine,
            source=source,
            body=body,
            reason=exc.reason,
            content_type=content_type,
            now=now,
        )
        logger.warning(
            "alert rejected source=%s rejected_id=%s reason=%s",
            source,
            kept,
            exc.reason,
        )
        raise

    results = [_store(ctx, alert) for alert in alerts]
    return results


def _parse(source: str, body: bytes, now: datetime) -> list[ParsedAlert]:
    """Parse, turning the decoder's own limits into a refusal with a reason."""
    try:
        return parse_alerts(source, body, received_at=now)
    except RecursionError as exc:
        # json.loads recurses once per nesting level; hostile input can go
        # deeper than the interpreter allows.
        raise AlertRejected("body nests arrays or objects too deeply") from exc
    except ValueError as exc:
        # Python refuses to convert integers of thousands of digits.
        raise AlertRejected(f"body holds a value that cannot be read: {exc}") from exc


def _store(ctx: Context, alert: ParsedAlert) -> Intake:
    match = ctx.index.match(alert)
    workload = match.workload.name if match.workload else None
    intake = incidents.record_alert(
        ctx.engine,
        alert,
        slot=_slot(alert, match),
        workload=workload,
        matched_by=str(match.matched_by) if match.matched_by else None,
        now=ctx.clock(),
    )
    logger.info(
        "alert stored source=%s incident=%s workload=%s opened=%s repeat=%s",
        alert.source,
        intake.incident_id,
        workload,
        intake.opened,
        intake.repeat,
    )
    if intake.opened:
        ctx.background.run("open-room", _open_room, ctx, intake.incident_id)
    elif not intake.repeat:
        # Coalesced: a storm edits the pinned summary once a window, not per alert.
        refresher_for(ctx).request(intake.incident_id)
    return intake


def _open_room(ctx: Context, incident_id: int) -> None:
    """Open the room, then catch the summary up with alerts that came meanwhile."""
    open_room(ctx, incident_id)
    # Alerts stored while the room was being made found no summary to edit;
    # one coalesced refresh shows them.
    refresher_for(ctx).request(incident_id)


def _slot(alert: ParsedAlert, match: Match) -> str:
    """The open-incident key: the workload, or for unowned alerts their identity."""
    if match.workload is not None:
        return match.workload.name
    # Alerts about the same unknown identity still belong together.
    strongest = min(
        alert.keys, key=lambda k: list(type(k.kind)).index(k.kind), default=None
    )
    return f"unowned:{strongest}" if strongest else f"unowned:{alert.fingerprint}"
