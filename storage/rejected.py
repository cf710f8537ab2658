"""Alerts that were refused, kept for an operator to inspect and replay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.intake.redact import redact_body
from storage.db import session_scope
from storage.tables import RejectedAlert

# Enough to see what a sender got wrong; a flood of huge bodies cannot fill the disk.
KEEP_BYTES = 64 * 1024


def keep(
    engine: Engine,
    *,
    source: str,
    body: bytes,
    reason: str,
    content_type: str | None,
    now: datetime,
) -> int:
    """Store a refused body (cut to KEEP_BYTES) with its reason; return its id.

    Secret values are replaced first: a refused delivery can still carry one,
    such as the token a GitHub secret-scanning alert reports.
    """
    size = len(body)
    body = redact_body(body)
    with session_scope(engine) as session:
        row = RejectedAlert(
            source=source,
            received_at=now,
            reason=reason,
            size=size,
            raw=_as_text(body[:KEEP_BYTES]),
            content_type=content_type,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def _as_text(body: bytes) -> str:
    """Return the body as text a reader can trace back to the bytes sent.

    Invalid UTF-8 shows as `\\xNN` and NUL as `\\x00` (PostgreSQL text cannot
    hold NUL); a body kept this way replays as that text, not the bytes.
    """
    text = body.decode("utf-8", errors="backslashreplace")
    return text.replace("\x00", "\\x00")


def listing(engine: Engine, limit: int = 50) -> list[RejectedAlert]:
    with session_scope(engine) as session:
        query = select(RejectedAlert).order_by(col(RejectedAlert.id).desc())
        return list(session.exec(query.limit(limit)))


def get(engine: Engine, rejected_id: int) -> RejectedAlert | None:
    with session_scope(engine) as session:
        return session.get(RejectedAlert, rejected_id)
