"""Incident channel names that Slack accepts and people can predict."""

from __future__ import annotations

import re

# Slack: lowercase letters, digits, hyphens and underscores; at most 80 characters.
MAX_CHANNEL_NAME = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def channel_name(incident_id: int, workload: str | None, *, attempt: int = 0) -> str:
    """Return `contain-<workload>-<id>`, made valid; `attempt` adds a suffix."""
    slug = _DASHES.sub("-", _INVALID.sub("-", (workload or "unowned").lower()))
    slug = slug.strip("-_") or "unowned"
    suffix = f"-{incident_id}" + (f"-{attempt + 1}" if attempt else "")
    room = MAX_CHANNEL_NAME - len("contain-") - len(suffix)
    return f"contain-{slug[:room].rstrip('-_')}{suffix}"
