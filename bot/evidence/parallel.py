"""Read local log files in parallel, one process per core, and merge in order.

The input, all files one after another, is cut into one stretch per worker of
about equal size; a stretch may end inside a JSON-lines file, between two lines
holding whole objects. Each worker summarizes its stretch alone and the parent
merges the parts in input order, so that every count, time and order is the one
a single pass gives (unless a cap was filled, see `ServiceTouch.merge`).
"""

from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.evidence.fold import LINES_HEAD, RECORDS_HEAD, fold_source
from bot.evidence.readers import SourceStats
from bot.evidence.sources import Source, file_source
from bot.evidence.summary import Summarizer, TouchedSummary
from bot.intake.match import WorkloadIndex

# Below this much input, starting processes costs more than it saves.
MIN_PARALLEL_BYTES = 32 << 20
_HEAD_BYTES = 64 << 10
_SCAN_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# Only between these can a JSON-lines file be cut: in valid JSON a closing
# brace is never followed by an opening one inside a value, and a line break
# cannot occur inside a string.
_CUTS = (b"}\n{", b"}\r\n{")


@dataclass(frozen=True)
class Part:
    """Bytes `start` to `end` (None: to the end) of source number `index`."""

    index: int
    path: Path
    start: int = 0
    end: int | None = None


@dataclass
class PartResult:
    """What one worker counted over its stretch of the input."""

    summaries: dict[str, TouchedSummary]
    before_since: int
    stats: list[tuple[int, SourceStats]]


def plan(sources: list[Source], workers: int) -> list[list[Part]] | None:
    """Cut local `sources` into `workers` stretches, or None when not worth it."""
    if workers < 2 or any(s.path is None for s in sources):
        return None
    sizes = [s.path.stat().st_size for s in sources]  # type: ignore[union-attr]
    total = sum(sizes)
    if total < MIN_PARALLEL_BYTES:
        return None

    stretches: list[list[Part]] = [[]]
    filled = 0  # bytes of the input before the current file
    for index, (source, size) in enumerate(zip(sources, sizes, strict=True)):
        path = source.path
        assert path is not None
        start = 0
        while len(stretches) < workers:
            # Where the current stretch should end, counted inside this file.
            boundary = total * len(stretches) // workers - filled
            if boundary >= size:
                break
            cut = _cut(path, max(boundary, start)) if start < size else None
            if cut is None:
                break
            stretches[-1].append(Part(index, path, start, cut))
            stretches.append([])
            start = cut
        stretches[-1].append(Part(index, path, start))
        filled += size
        if len(stretches) < workers and filled >= total * len(stretches) // workers:
            stretches.append([])
    stretches = [s for s in stretches if s]
    return stretches if len(stretches) > 1 else None


def run(
    sources: list[Source],
    stretches: list[list[Part]],
    index: WorkloadIndex | None,
    since: datetime | None,
    alert_at: datetime | None,
) -> tuple[Summarizer, list[SourceStats]]:
    """Summarize every stretch in its own process; merge the parts in order."""
    context = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(len(stretches), mp_context=context) as pool:
        futures = [
            pool.submit(_summarize, stretch, index, since, alert_at)
            for stretch in stretches
        ]
        summarizer = Summarizer(index, since=since, alert_at=alert_at)
        stats: list[SourceStats | None] = [None] * len(sources)
        for future in futures:
            part = future.result()
            merged = Summarizer(None, since=since, alert_at=alert_at)
            merged.summaries, merged.before_since = part.summaries, part.before_since
            summarizer.merge(merged)
            for number, found in part.stats:
                if stats[number] is None:
                    stats[number] = found
                else:
                    stats[number].merge(found)  # type: ignore[union-attr]
    done = [s for s in stats if s is not None]
    for found in done:
        found.finish()
    return summarizer, done


def _summarize(
    stretch: list[Part],
    index: WorkloadIndex | None,
    since: datetime | None,
    alert_at: datetime | None,
) -> PartResult:
    # A worker only adds to its summaries, and they hold no cycles to collect;
    # the collector would walk them again and again for nothing.
    gc.disable()
    summarizer = Summarizer(index, since=since, alert_at=alert_at)
    stats: list[tuple[int, SourceStats]] = []
    for part in stretch:
        found = SourceStats(str(part.path))
        source = file_source(part.path)
        fold_source(source, found, summarizer, start=part.start, end=part.end)
        stats.append((part.index, found))
    return PartResult(summarizer.summaries, summarizer.before_since, stats)


def _cut(path: Path, at: int) -> int | None:
    """Return where a JSON-lines file can be cut at or after `at`, if it can."""
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
        if (
            head.startswith(_GZIP_MAGIC)
            or RECORDS_HEAD.match(head)
            or not LINES_HEAD.match(head)
        ):
            return None
        file.seek(at)
        carry = b""
        while block := file.read(_SCAN_BYTES):
            data = carry + block
            found = [i + len(c) - 1 for c in _CUTS if (i := data.find(c)) >= 0]
            if found:
                return at - len(carry) + min(found)
            carry = data[-3:]
            at += len(block)
    return None


def _start_method() -> str:
    # The bot runs handlers on threads; forking a threaded process can leave a
    # lock held in the child, so workers come from a clean server process.
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"
