"""Resolve people named in the catalog (member id or e-mail) to Slack ids."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.catalog.model import Workload

logger = logging.getLogger(__name__)

ROLES = ("owner", "fallback_owner", "approver")


# A person Slack did not know may join later (a new hire, a fixed typo in the
# catalog); asking again after this long keeps that from lasting until a restart.
FORGET_MISSING_AFTER = 600.0


class Directory:
    """Looks up e-mail addresses with users.lookupByEmail and remembers answers."""

    def __init__(
        self, client: WebClient, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def resolve(self, person: str | None) -> str | None:
        """Return the Slack member id for `person`, or None if Slack has none."""
        if person is None or "@" not in person:
            return person
        with self._lock:
            cached = self._cache.get(person)
        if cached is not None:
            user_id, at = cached
            if user_id is not None or self._clock() - at < FORGET_MISSING_AFTER:
                return user_id
        try:
            response = self._client.users_lookupByEmail(email=person)
            user_id: str | None = response["user"]["id"]
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                raise
            # Logged without the address itself: it is personal data.
            logger.warning("a catalog e-mail address matches no Slack user")
            user_id = None
        with self._lock:
            self._cache[person] = (user_id, self._clock())
        return user_id

    def roles(self, workload: Workload | None) -> dict[str, str | None]:
        """Map owner, fallback_owner and approver to Slack ids (None if unknown)."""
        if workload is None:
            return dict.fromkeys(ROLES)
        return {role: self.resolve(getattr(workload, role)) for role in ROLES}
