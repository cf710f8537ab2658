"""Load activity logs from files, folders or S3; report what each caller touched."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.evidence import parallel
from bot.evidence.fold import fold_source
from bot.evidence.readers import SourceStats
from bot.evidence.sources import Source, find_sources
from bot.evidence.summary import Summarizer, TouchedSummary
from bot.intake.match import WorkloadIndex

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 10_000


@dataclass
class EvidenceReport:
    """Per-workload summaries plus, per file, what was read and what was refused."""

    summaries: dict[str, TouchedSummary]
    sources: list[SourceStats]
    since: datetime | None = None
    alert_at: datetime | None = None
    before_since: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(s.total for s in self.sources)

    @property
    def refused(self) -> list[SourceStats]:
        return [s for s in self.sources if s.refused]

    @property
    def unattributed(self) -> list[TouchedSummary]:
        """Summaries of callers that matched no catalog workload."""
        return [s for s in self.summaries.values() if s.workload is None]

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data, largest callers first."""
        ordered = sorted(self.summaries.values(), key=lambda s: -s.calls)
        return {
            "since": self.since.isoformat() if self.since else None,
            "alert_at": self.alert_at.isoformat() if self.alert_at else None,
            "records": self.records,
            "before_since": self.before_since,
            "sources": [s.to_json() for s in self.sources],
            "summaries": [s.to_json() for s in ordered],
            "notes": list(self.notes),
        }


def load_evidence(
    paths: list[str],
    index: WorkloadIndex | None,
    *,
    progress: Callable[[int], None] | None = None,
    s3_client: Any = None,
    since: datetime | None = None,
    alert_at: datetime | None = None,
    workers: int = 1,
) -> EvidenceReport:
    """Read every log under `paths` and summarize it, in parallel when asked.

    With `workers` above 1, local files adding up to more than
    `parallel.MIN_PARALLEL_BYTES` are read by that many processes, with the same
    result. One process is the default because it keeps memory within about
    150 MB; each worker adds its own. Progress is reported after each file in one
    process, and only once, at the end, in parallel.
    """
    sources = [s for path in paths for s in find_sources(path, s3_client)]
    stretches = parallel.plan(sources, workers)
    if stretches is not None:
        summarizer, stats = parallel.run(sources, stretches, index, since, alert_at)
    else:
        summarizer, stats = _read_here(sources, index, since, alert_at, progress)
    count = sum(s.total for s in stats)
    for found in stats:
        if found.refused:
            logger.warning("Evidence file %s refused: %s", found.name, found.refused)
    if progress is not None:
        progress(count)

    report = EvidenceReport(
        summaries=summarizer.finish(),
        sources=stats,
        since=since,
        alert_at=alert_at,
        before_since=summarizer.before_since,
    )
    report.notes.extend(_notes(report))
    logger.info(
        "Evidence loaded: %d records from %d files, %d callers, %d files refused",
        count,
        len(stats),
        len(report.summaries),
        len(report.refused),
    )
    return report


def _read_here(
    sources: list[Source],
    index: WorkloadIndex | None,
    since: datetime | None,
    alert_at: datetime | None,
    progress: Callable[[int], None] | None,
) -> tuple[Summarizer, list[SourceStats]]:
    summarizer = Summarizer(index, since=since, alert_at=alert_at)
    stats: list[SourceStats] = []
    count = 0
    next_report = PROGRESS_EVERY
    for source in sources:
        found = SourceStats(source.name)
        stats.append(found)
        fold_source(source, found, summarizer)
        found.finish()
        count += found.total
        if progress is not None and count >= next_report:
            progress(count)
            next_report = count + PROGRESS_EVERY
    return summarizer, stats


def _notes(report: EvidenceReport) -> list[str]:
    notes = []
    blind = [
        s.key
        for s in report.unattributed
        if all(t.log == "mesh" for t in s.services.values())
        and s.key.startswith(("address ", "no identity"))
    ]
    if blind:
        notes.append(
            f"{len(blind)} mesh caller(s) carry no identity in the log (Istio's "
            "default access log has no peer certificate field); they are listed by "
            "source address only and cannot be matched to a workload."
        )
    return notes
