"""What an identity touched, from CloudTrail, Kubernetes audit and mesh logs."""

from __future__ import annotations

from bot.evidence.records import ActivityRecord, LogKind, ReadKind
from bot.evidence.report import EvidenceReport, load_evidence
from bot.evidence.sources import EvidenceError
from bot.evidence.summary import TouchedSummary, summarize
from bot.evidence.touch import Burst, ServiceTouch

__all__ = [
    "ActivityRecord",
    "Burst",
    "EvidenceError",
    "EvidenceReport",
    "LogKind",
    "ReadKind",
    "ServiceTouch",
    "TouchedSummary",
    "load_evidence",
    "summarize",
]
