"""Coalesce pinned-summary refreshes: at most one chat.update per incident a window.

An alert storm would otherwise edit the pinned summary once per alert, which
spends Slack's chat.update allowance (about 50 a minute for the whole workspace)
on frames nobody reads. A request marks the incident's summary stale; one pump
task on the background pool refreshes each stale summary when its window allows,
reading the incident as it is then, so the last alert of a burst is always shown
(trailing edge) and a lone alert after a quiet spell is shown at once.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable

from bot.background import Background
from bot.context import Context
from bot.incident_room import refresh_summary

logger = logging.getLogger(__name__)

# Seconds between two chat.update calls on one incident's summary. With Slack's
# Tier 3 limit shared by the workspace, a few busy incidents stay under it.
WINDOW_SECONDS = 5.0

Refresh = Callable[[int], None]


class SummaryRefresher:
    """Refresh each incident's summary at most once per `window` seconds."""

    def __init__(
        self,
        background: Background,
        refresh: Refresh,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._background = background
        self._refresh = refresh
        self._window = window
        self._clock = clock
        self._due: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._pumping = False
        self._wake = threading.Condition()

    def request(self, incident_id: int) -> None:
        """Mark the incident's summary stale; it is refreshed within the window."""
        with self._wake:
            if incident_id in self._due:
                # A refresh not yet started reads the incident when it runs, so
                # it will already show whatever this request is about.
                return
            last = self._last.get(incident_id)
            now = self._clock()
            self._due[incident_id] = (
                now if last is None else max(now, last + self._window)
            )
            if not self._pumping:
                self._pumping = True
                self._background.run("summary-refresh", self._pump)
            else:
                self._wake.notify()

    def _pump(self) -> None:
        """Refresh stale summaries as they fall due; return when none is left."""
        while True:
            with self._wake:
                if not self._due:
                    self._pumping = False
                    return
                incident_id, due = min(self._due.items(), key=lambda item: item[1])
                wait = due - self._clock()
                if wait > 0:
                    self._wake.wait(timeout=wait)
                    continue
                del self._due[incident_id]
                self._last[incident_id] = self._clock()
            # One refresh at a time: chat.update's limit is per workspace, so
            # running them in parallel would only queue them at Slack.
            try:
                self._refresh(incident_id)
            except Exception:
                logger.exception("summary refresh failed incident=%s", incident_id)


_refreshers: weakref.WeakKeyDictionary[Background, SummaryRefresher] = (
    weakref.WeakKeyDictionary()
)
_registry_lock = threading.Lock()


def refresher_for(ctx: Context) -> SummaryRefresher:
    """Return the app's refresher, made on first use (one per background pool)."""
    with _registry_lock:
        found = _refreshers.get(ctx.background)
        if found is None:
            # A weak reference, so the registry does not keep a closed app alive.
            context = weakref.ref(ctx)

            def refresh(incident_id: int) -> None:
                alive = context()
                if alive is not None:
                    refresh_summary(alive, incident_id)

            found = _refreshers[ctx.background] = SummaryRefresher(
                ctx.background, refresh, window=WINDOW_SECONDS
            )
        return found
