"""The table of evidence loads, apart from its queries so storage.db can register it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class IncidentEvidence(SQLModel, table=True):
    # One row per load: logs can be attached more than once as they arrive, and
    # the latest load is what the channel shows.
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    origin: str
    records: int
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
