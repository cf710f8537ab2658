"""Aggregate activity records per workload (or per caller when none matches).

One pass over the records; memory grows with the distinct callers, services and
source addresses seen, never with the number of records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.evidence.attribute import Attributor
from bot.evidence.records import ActivityRecord, LogKind, ReadKind
from bot.evidence.touch import ServiceTouch
from bot.intake.match import WorkloadIndex
from bot.intake.model import IdentityKey

_CALLERS_CAP = 100
_IPS_CAP = 10_000


@dataclass
class AddressSeen:
    """When a caller first and last used one source address, and how often."""

    first_seen: datetime | None
    last_seen: datetime | None
    calls: int = 0


@dataclass
class TouchedSummary:
    """What one workload, or one unmatched caller, touched downstream."""

    key: str
    workload: str | None
    alert_at: datetime | None = None
    callers: Counter[str] = field(default_factory=Counter)
    services: dict[str, ServiceTouch] = field(default_factory=dict)
    addresses: dict[str, AddressSeen] = field(default_factory=dict)
    calls: int = 0

    @property
    def first_seen(self) -> datetime | None:
        return min((t.first_seen for t in self._timed()), default=None)

    @property
    def last_seen(self) -> datetime | None:
        return max((t.last_seen for t in self._timed()), default=None)

    @property
    def new_addresses(self) -> list[str]:
        """Source addresses never used by this caller before the alert."""
        if self.alert_at is None:
            return []
        return sorted(
            ip
            for ip, seen in self.addresses.items()
            if seen.first_seen is not None and seen.first_seen >= self.alert_at
        )

    @property
    def new_services(self) -> list[str]:
        """Services first called at or after the alert."""
        if self.alert_at is None:
            return []
        return sorted(
            t.service
            for t in self._timed()
            if t.first_seen is not None and t.first_seen >= self.alert_at
        )

    @property
    def rotation_candidates(self) -> list[str]:
        """Names of secrets this caller read successfully: rotate them."""
        return sorted(
            name
            for touch in self.services.values()
            for name, kind in touch.read_names.items()
            if kind == "secret"
        )

    @property
    def probing(self) -> bool:
        return any(t.bursts for t in self.services.values())

    def add_address(self, ip: str, time: datetime | None, calls: int = 1) -> None:
        """Count `calls` calls from source address `ip`, the latest at `time`."""
        seen = self.addresses.get(ip)
        if seen is None:
            if len(self.addresses) >= _IPS_CAP:
                return
            seen = self.addresses[ip] = AddressSeen(time, time)
        seen.calls += calls
        if time is not None:
            if seen.first_seen is None or time < seen.first_seen:
                seen.first_seen = time
            if seen.last_seen is None or time > seen.last_seen:
                seen.last_seen = time

    def merge(self, other: TouchedSummary) -> None:
        """Add the counts of `other`, the same key read over a later part of input.

        As with `ServiceTouch.merge`, the result is the one-pass result unless a
        part filled a cap (callers, addresses).
        """
        self.calls += other.calls
        callers = self.callers
        for caller, count in other.callers.items():
            if caller in callers or len(callers) < _CALLERS_CAP:
                callers[caller] += count
        for service, part in other.services.items():
            touch = self.services.get(service)
            if touch is None:
                self.services[service] = part
            else:
                touch.merge(part)
        for ip, seen in other.addresses.items():
            self.add_address(ip, seen.first_seen, seen.calls)
            if seen.last_seen is not None:
                self.add_address(ip, seen.last_seen, 0)

    def _timed(self) -> list[ServiceTouch]:
        return [t for t in self.services.values() if t.first_seen is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "workload": self.workload,
            "callers": dict(self.callers.most_common()),
            "calls": self.calls,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "services": [
                t.to_json()
                for t in sorted(self.services.values(), key=lambda t: -t.calls)
            ],
            "source_addresses": {
                ip: {
                    "first_seen": _iso(seen.first_seen),
                    "last_seen": _iso(seen.last_seen),
                    "calls": seen.calls,
                }
                for ip, seen in sorted(self.addresses.items())
            },
            "new_addresses_since_alert": self.new_addresses,
            "new_services_since_alert": self.new_services,
            "rotation_candidates": self.rotation_candidates,
            "probing": self.probing,
        }


class Summarizer:
    """Fold records one at a time into per-workload summaries."""

    def __init__(
        self,
        index: WorkloadIndex | None,
        *,
        since: datetime | None = None,
        alert_at: datetime | None = None,
    ) -> None:
        self._attributor = Attributor(index)
        self._since = since
        self._alert_at = alert_at
        self.summaries: dict[str, TouchedSummary] = {}
        self.before_since = 0

    def add(self, record: ActivityRecord) -> None:
        """Count one record towards the summary of whoever made the call."""
        self.add_call(
            record.log,
            record.time,
            record.caller,
            record.keys,
            record.service,
            record.operation,
            record.source_ip,
            record.error_code,
            record.denied,
            record.reads,
            record.read_names,
        )

    def add_call(
        self,
        log: LogKind,
        time: datetime | None,
        caller: str,
        keys: tuple[IdentityKey, ...],
        service: str,
        operation: str,
        source_ip: str | None,
        error_code: str | None,
        denied: bool,
        reads: ReadKind | None,
        read_names: tuple[str, ...],
    ) -> None:
        """Count one call given as its fields; the fast readers build no record."""
        # This runs once per record: locals and no calls that can be avoided.
        since = self._since
        if since is not None and time is not None and time < since:
            self.before_since += 1
            return
        workload = self._attributor.workload(keys)
        key = workload or caller
        summary = self.summaries.get(key)
        if summary is None:
            summary = TouchedSummary(key, workload, self._alert_at)
            self.summaries[key] = summary
        summary.calls += 1
        callers = summary.callers
        if caller in callers or len(callers) < _CALLERS_CAP:
            callers[caller] += 1

        touch = summary.services.get(service)
        if touch is None:
            touch = summary.services[service] = ServiceTouch(service, log.value)
        alert_at = self._alert_at
        touch.add_call(
            time,
            alert_at is not None and time is not None and time >= alert_at,
            operation,
            error_code,
            denied,
            reads,
            read_names,
        )

        if source_ip is None:
            return
        seen = summary.addresses.get(source_ip)
        if seen is None:
            summary.add_address(source_ip, time)
            return
        seen.calls += 1
        if time is not None:
            if seen.first_seen is None or time < seen.first_seen:
                seen.first_seen = time
            if seen.last_seen is None or time > seen.last_seen:
                seen.last_seen = time

    def merge(self, other: Summarizer) -> None:
        """Add what `other` counted over the part of the input that follows ours."""
        self.before_since += other.before_since
        for key, part in other.summaries.items():
            summary = self.summaries.get(key)
            if summary is None:
                self.summaries[key] = part
            else:
                summary.merge(part)

    def finish(self) -> dict[str, TouchedSummary]:
        """Close the pass: find probing bursts, and return the summaries."""
        for summary in self.summaries.values():
            for touch in summary.services.values():
                touch.finish()
        return self.summaries


def summarize(
    records: Iterable[ActivityRecord],
    index: WorkloadIndex | None,
    *,
    since: datetime | None = None,
    alert_at: datetime | None = None,
) -> dict[str, TouchedSummary]:
    """Return what each workload, or unmatched caller, touched, keyed by its name."""
    summarizer = Summarizer(index, since=since, alert_at=alert_at)
    for record in records:
        summarizer.add(record)
    return summarizer.finish()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
