"""Parse a detector's body as the intake route does, for the parser tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import AlertRejected
from bot.intake.model import KeyKind, ParsedAlert
from bot.intake.parse import parse_alerts

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)

Body = bytes | dict[str, Any] | list[Any]


def parse_as(source: str, body: Body) -> list[ParsedAlert]:
    """Parse `body` (JSON-encoded first unless it is bytes) as `source` sends it."""
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return parse_alerts(source, body, received_at=NOW)


def rejection(source: str, body: Body) -> str:
    """Return the reason `body` is refused, failing the test if it is accepted."""
    with pytest.raises(AlertRejected) as caught:
        parse_as(source, body)
    return caught.value.reason


def keys(alert: ParsedAlert) -> list[tuple[KeyKind, str]]:
    """Return an alert's identity keys as (kind, value) pairs, in order."""
    return [(key.kind, key.value) for key in alert.keys]
