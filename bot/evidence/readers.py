"""Stream activity records out of log files, counting what could not be used."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.evidence import cloudtrail, k8s_audit, mesh
from bot.evidence.jsonstream import BadJson, JsonValues
from bot.evidence.records import ActivityRecord
from bot.evidence.sources import Source, open_text

logger = logging.getLogger(__name__)

_CONVERT_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError)
READ_ERRORS = (OSError, EOFError, UnicodeError)


@dataclass
class SourceStats:
    """What one file gave: records per log kind, and what was skipped and why."""

    name: str
    records: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    # Distinct reasons for skipping, with how often each occurred.
    problems: Counter[str] = field(default_factory=Counter)
    refused: str | None = None

    @property
    def total(self) -> int:
        return sum(self.records.values())

    def skip(self, problem: str) -> None:
        self.skipped += 1
        # A few distinct reasons say enough; a broken file must not fill memory.
        if problem in self.problems or len(self.problems) < 5:
            self.problems[problem] += 1

    def merge(self, other: SourceStats) -> None:
        """Add what `other` found in a later part of the same file."""
        self.records.update(other.records)
        self.skipped += other.skipped
        for problem, count in other.problems.items():
            if problem in self.problems or len(self.problems) < 5:
                self.problems[problem] += count

    def finish(self) -> None:
        """Refuse the file, with the reason, when it held nothing usable."""
        if self.total == 0 and self.refused is None:
            detail = "; ".join(
                f"{problem} (x{count})" if count > 1 else problem
                for problem, count in self.problems.items()
            )
            self.refused = (
                "no CloudTrail, Kubernetes audit or mesh access log records "
                f"found ({detail or 'the file is empty'})"
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "records": dict(self.records),
            "skipped": self.skipped,
            "problems": dict(self.problems),
            "refused": self.refused,
        }


def read_source(source: Source, stats: SourceStats) -> Iterator[ActivityRecord]:
    """Yield the activity records of one file, updating `stats` as it goes."""
    try:
        with open_text(source.open_binary()) as text:
            yield from read_text(text, stats)
    except READ_ERRORS as error:
        read_stopped(source, stats, error)
    stats.finish()


def read_text(
    text: TextIO, stats: SourceStats, *, offset: int = 0
) -> Iterator[ActivityRecord]:
    """Yield the records of `text`, which starts `offset` characters into its file.

    A stream that starts inside its file continues JSON values read one after
    another; one that starts at the beginning is told apart by its head.
    """
    values = JsonValues(text, offset=offset, documents=offset > 0)
    if values.shape == "text":
        yield from _text_records(values.text(), stats)
    else:
        for value in values:
            yield from value_records(value, stats)


def read_stopped(source: Source, stats: SourceStats, error: Exception) -> None:
    """Note that `source` could not be read to the end, and why."""
    # A gzip member cut short or an S3 read that failed midway: keep what was
    # read, and say why the rest is missing.
    logger.warning("Evidence file %s could not be read to the end", source.name)
    stats.skip(f"read stopped: {error}")


def value_records(value: Any, stats: SourceStats) -> Iterator[ActivityRecord]:
    """Yield the records of one decoded JSON value, or note why it has none."""
    if isinstance(value, BadJson):
        stats.skip(f"not valid JSON at character {value.offset}: {value.message}")
        return
    if not isinstance(value, dict):
        stats.skip(f"a JSON {type(value).__name__} is not a log record")
        return
    try:
        if "eventSource" in value and "eventName" in value:
            record = cloudtrail.to_record(value)
        elif (detail := cloudtrail.unwrap_eventbridge(value)) is not None:
            record = cloudtrail.to_record(detail)
        elif isinstance(records := value.get("Records"), list):
            for item in records:
                yield from value_records(item, stats)
            return
        elif (event := k8s_audit.unwrap(value)) is not None:
            record = k8s_audit.to_record(event)
        elif k8s_audit.is_gke(value):
            record = k8s_audit.gke_to_record(value)
        elif mesh.is_envoy(value):
            record = mesh.envoy_to_record(value)
        else:
            stats.skip("a JSON object of no known log kind")
            return
    except _CONVERT_ERRORS as error:
        stats.skip(f"a record could not be read: {error!r}")
        return
    stats.records[record.log] += 1
    yield record


def _text_records(lines: Iterator[str], stats: SourceStats) -> Iterator[ActivityRecord]:
    entry: list[str] = []
    # ztunnel entries are one line each, but documentation wraps them for
    # readability; an indented line continues the entry before it.
    for line in lines:
        if line[:1].isspace() and entry:
            entry.append(line.strip())
            continue
        yield from _text_entry(entry, stats)
        entry = [line.strip()] if line.strip() else []
    yield from _text_entry(entry, stats)


def _text_entry(entry: list[str], stats: SourceStats) -> Iterator[ActivityRecord]:
    if not entry:
        return
    line = " ".join(entry)
    if not mesh.is_ztunnel(line):
        stats.skip("a text line that is not a ztunnel access log entry")
        return
    record = mesh.ztunnel_to_record(line)
    stats.records[record.log] += 1
    yield record
