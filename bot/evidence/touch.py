"""What one caller did to one downstream service: counts, times, reads, probing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.evidence.records import ActivityRecord, ReadKind

# Five refusals within a minute is someone trying permissions, not a misconfigured
# client retrying once; this is the probing pattern of enumeration tools.
BURST_DENIED = 5
BURST_SECONDS = 60.0
# Caps that keep memory bounded by callers and services, not by records.
_NAMES_CAP = 200
_OPERATIONS_CAP = 200
_DENIED_CAP = 10_000


@dataclass(frozen=True)
class Burst:
    """A run of refused calls close enough together to be probing."""

    start: datetime
    end: datetime
    denied: int

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "denied": self.denied,
        }


@dataclass
class ServiceTouch:
    """One caller's calls to one downstream service."""

    service: str
    log: str
    calls: int = 0
    errors: int = 0
    denied: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    calls_since_alert: int = 0
    operations: Counter[str] = field(default_factory=Counter)
    secret_reads: int = 0
    data_reads: int = 0
    # Name of what was read -> kind of read; secrets among them are to rotate.
    read_names: dict[str, str] = field(default_factory=dict)
    names_left_out: int = 0
    bursts: list[Burst] = field(default_factory=list)
    _denied_at: list[float] = field(default_factory=list, repr=False)

    def add(self, record: ActivityRecord, since_alert: bool) -> None:
        """Count one call by this caller to this service."""
        self.add_call(
            record.time,
            since_alert,
            record.operation,
            record.error_code,
            record.denied,
            record.reads,
            record.read_names,
        )

    def add_call(
        self,
        time: datetime | None,
        since_alert: bool,
        operation: str,
        error_code: str | None,
        denied: bool,
        reads: ReadKind | None,
        read_names: tuple[str, ...],
    ) -> None:
        """Count one call given as its fields; the fast readers build no record."""
        self.calls += 1
        if time is not None:
            if self.first_seen is None or time < self.first_seen:
                self.first_seen = time
            if self.last_seen is None or time > self.last_seen:
                self.last_seen = time
        if since_alert:
            self.calls_since_alert += 1
        operations = self.operations
        if operation in operations or len(operations) < _OPERATIONS_CAP:
            operations[operation] += 1
        if error_code is not None:
            self.errors += 1
            if denied:
                self.denied += 1
                if time is not None and len(self._denied_at) < _DENIED_CAP:
                    self._denied_at.append(time.timestamp())
        if reads is not None:
            self._add_read(reads, read_names)

    def _add_read(self, reads: ReadKind, read_names: tuple[str, ...]) -> None:
        if reads is ReadKind.SECRET:
            self.secret_reads += 1
        else:
            self.data_reads += 1
        for name in read_names:
            if name in self.read_names or len(self.read_names) < _NAMES_CAP:
                self.read_names[name] = reads.value
            else:
                self.names_left_out += 1

    def finish(self) -> None:
        """Find probing bursts among the refused calls, whatever order they came in."""
        times = sorted(self._denied_at)
        self._denied_at = []
        bursts: list[list[float]] = []
        last = len(times) - BURST_DENIED
        for i in range(last + 1):
            j = i + BURST_DENIED - 1
            if times[j] - times[i] > BURST_SECONDS:
                continue
            if bursts and times[i] <= bursts[-1][1]:
                bursts[-1][1] = times[j]
            else:
                bursts.append([times[i], times[j]])
        self.bursts = [
            Burst(_at(start), _at(end), sum(start <= t <= end for t in times))
            for start, end in bursts
        ]

    def merge(self, other: ServiceTouch) -> None:
        """Add the counts of `other`, the same caller and service read elsewhere.

        Merging the parts of an input in their order gives what one pass over it
        gives, as long as no part filled a cap (operations, names, refusal
        times); past a cap, which entries are kept may differ.
        """
        self.calls += other.calls
        self.errors += other.errors
        self.denied += other.denied
        self.calls_since_alert += other.calls_since_alert
        self.secret_reads += other.secret_reads
        self.data_reads += other.data_reads
        self.names_left_out += other.names_left_out
        for time in (other.first_seen, other.last_seen):
            if time is not None:
                if self.first_seen is None or time < self.first_seen:
                    self.first_seen = time
                if self.last_seen is None or time > self.last_seen:
                    self.last_seen = time
        operations = self.operations
        for operation, count in other.operations.items():
            if operation in operations or len(operations) < _OPERATIONS_CAP:
                operations[operation] += count
        for name, kind in other.read_names.items():
            if name in self.read_names or len(self.read_names) < _NAMES_CAP:
                self.read_names[name] = kind
            else:
                self.names_left_out += 1
        room = _DENIED_CAP - len(self._denied_at)
        self._denied_at.extend(other._denied_at[:room])

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "log": self.log,
            "calls": self.calls,
            "errors": self.errors,
            "denied": self.denied,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "calls_since_alert": self.calls_since_alert,
            "operations": dict(self.operations.most_common()),
            "secret_reads": self.secret_reads,
            "data_reads": self.data_reads,
            "read_names": dict(self.read_names),
            "names_left_out": self.names_left_out,
            "probing_bursts": [b.to_json() for b in self.bursts],
        }


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
