"""Keep the live progress message current as steps change status."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from slack_sdk.errors import SlackApiError

from bot.containment.steps import StepSpec
from bot.context import Context
from bot.slack import plan_blocks
from storage import incidents, steps

logger = logging.getLogger(__name__)

# Steps finish on several threads at once; rendering and updating under one lock
# per incident keeps an older picture from overwriting a newer one.
_locks: defaultdict[int, threading.Lock] = defaultdict(threading.Lock)
# Which incidents (per app) have a refresh running, and which changed since.
_pumps_lock = threading.Lock()
_pumping: set[tuple[int, int]] = set()
_stale: set[tuple[int, int]] = set()


def post(ctx: Context, incident_id: int) -> None:
    """Post the progress message once, right after the approval."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or not incident.channel_id or incident.progress_ts:
        return
    with _locks[incident_id]:
        text, blocks = plan_blocks.progress(_rows(ctx, incident_id))
        response = ctx.slack.chat_postMessage(
            channel=incident.channel_id, text=text, blocks=blocks
        )
        incidents.update_incident(ctx.engine, incident_id, progress_ts=response["ts"])


def request(ctx: Context, incident_id: int) -> None:
    """Ask for a refresh without waiting for Slack.

    Steps call this as they change status, so no connector call ever queues
    behind a chat.update (or behind its rate-limit retries). At most one refresh
    per incident is in flight, and one more follows if anything changed
    meanwhile, so the message always ends on the latest state.
    """
    key = (id(ctx), incident_id)
    with _pumps_lock:
        if key in _pumping:
            _stale.add(key)
            return
        _pumping.add(key)
    ctx.background.run("progress-refresh", _pump, ctx, incident_id)


def _pump(ctx: Context, incident_id: int) -> None:
    key = (id(ctx), incident_id)
    while True:
        try:
            refresh(ctx, incident_id)
        except Exception:
            # Keep the bookkeeping right, or no later refresh would ever run.
            logger.exception("progress refresh failed incident=%s", incident_id)
        with _pumps_lock:
            if key not in _stale:
                _pumping.discard(key)
                return
            _stale.discard(key)


def refresh(ctx: Context, incident_id: int) -> None:
    """Re-render the progress message from the database."""
    with _locks[incident_id]:
        incident = incidents.get_incident(ctx.engine, incident_id)
        if incident is None or not (incident.channel_id and incident.progress_ts):
            return
        text, blocks = plan_blocks.progress(_rows(ctx, incident_id))
        try:
            ctx.slack.chat_update(
                channel=incident.channel_id,
                ts=incident.progress_ts,
                text=text,
                blocks=blocks,
            )
        except SlackApiError as exc:
            # The database holds the truth; the next change re-renders it all.
            logger.warning(
                "progress not updated incident=%s error=%s",
                incident_id,
                exc.response.get("error"),
            )


def _rows(
    ctx: Context, incident_id: int
) -> list[tuple[int, StepSpec, str, str | None]]:
    rows = []
    for row in steps.steps_of(ctx.engine, incident_id):
        assert row.id is not None
        rows.append((row.id, StepSpec.from_json(row.spec), row.status, row.detail))
    return rows
