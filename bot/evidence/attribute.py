"""Match the identity keys of a log record to a catalog workload."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.intake.match import Match, WorkloadIndex
from bot.intake.model import IdentityKey, ParsedAlert

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CACHE_LIMIT = 50_000


def match_keys(index: WorkloadIndex, keys: tuple[IdentityKey, ...]) -> Match:
    """Return the workload `keys` point at, by the same rules as an alert."""
    # The index matches alerts; a record's keys are wrapped in a bare alert so
    # that logs and alerts are attributed by exactly the same precedence rules.
    probe = ParsedAlert(
        source="evidence",
        title="",
        severity="",
        detected_at=_EPOCH,
        summary="",
        keys=keys,
    )
    return index.match(probe)


class Attributor:
    """Remember which workload each distinct set of keys matched."""

    def __init__(self, index: WorkloadIndex | None) -> None:
        self._index = index
        self._seen: dict[tuple[IdentityKey, ...], str | None] = {}
        # Parsers hand out one shared tuple per caller, so the tuple's identity
        # is a cheaper cache key than its hash; the tuple is kept in the entry so
        # its id cannot be reused by another object while cached.
        self._by_id: dict[int, tuple[tuple[IdentityKey, ...], str | None]] = {}

    def workload(self, keys: tuple[IdentityKey, ...]) -> str | None:
        """Return the name of the workload `keys` identify, or None."""
        if self._index is None or not keys:
            return None
        entry = self._by_id.get(id(keys))
        if entry is not None and entry[0] is keys:
            return entry[1]
        if len(self._seen) >= _CACHE_LIMIT:
            self._seen.clear()
            self._by_id.clear()
        if keys in self._seen:
            name = self._seen[keys]
        else:
            match = match_keys(self._index, keys)
            name = match.workload.name if match.workload is not None else None
            self._seen[keys] = name
        self._by_id[id(keys)] = (keys, name)
        return name
