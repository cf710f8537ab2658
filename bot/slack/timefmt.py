"""Durations as people read them in a channel."""

from __future__ import annotations

from datetime import timedelta


def duration(delta: timedelta) -> str:
    """Render a duration like `3d 4h`, `12m 5s` or `850ms`."""
    seconds = delta.total_seconds()
    if seconds < 0:
        return "-" + duration(-delta)
    if seconds < 1:
        return f"{int(seconds * 1000)}ms"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
