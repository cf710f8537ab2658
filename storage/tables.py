"""The tables. Uniqueness rules here are what make intake and approval exactly-once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


def _when(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


def _json() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Incident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workload: str | None = Field(default=None, index=True)
    # Holds the workload name (or the unowned identity key) while the incident is
    # open and NULL once resolved; the unique index makes "one open incident per
    # workload" hold even when two first alerts race on different replicas.
    open_slot: str | None = Field(default=None, unique=True)
    status: str = Field(default="open", index=True)
    title: str
    severity: str
    opened_at: datetime = _when(nullable=False)
    opened_by: str
    acknowledged_at: datetime | None = _when(nullable=True)
    contained_at: datetime | None = _when(nullable=True)
    resolved_at: datetime | None = _when(nullable=True)
    alert_count: int = 1
    channel_id: str | None = None
    channel_name: str | None = None
    summary_ts: str | None = None
    scope_ts: str | None = None
    plan_ts: str | None = None
    # The live message showing each approved step's status.
    progress_ts: str | None = None
    # Until when one replica holds the room's setup, so two never post it twice.
    setup_until: datetime | None = _when(nullable=True)


class Alert(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("incident_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    source: str
    fingerprint: str
    external_id: str | None = None
    title: str
    severity: str
    summary: str = Field(sa_column=Column(Text, nullable=False))
    detected_at: datetime = _when(nullable=False)
    received_at: datetime = _when(nullable=False)
    last_seen_at: datetime = _when(nullable=False)
    # Exact repeats (the same event from several detector nodes) fold into a count.
    repeats: int = 0
    matched_by: str | None = None
    keys: dict[str, Any] = _json()
    details: dict[str, Any] = _json()


class RejectedAlert(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    source: str
    received_at: datetime = _when(nullable=False)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    size: int
    # Kept so an operator can inspect and replay it; capped at intake.
    raw: str = Field(sa_column=Column(Text, nullable=False))
    content_type: str | None = None


class Page(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("incident_id", "rung"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    rung: int
    target: str
    channel_id: str | None = None
    message_ts: str | None = None
    sent_at: datetime | None = _when(nullable=True)
    error: str | None = None


class Acknowledgement(SQLModel, table=True):
    # The first acknowledgement wins; later ones are answered, not stored twice.
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    user_id: str
    at: datetime = _when(nullable=False)


class Approval(SQLModel, table=True):
    # One approval per incident plan: a double click or a retried request loses
    # the insert and runs nothing.
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True)
    user_id: str
    decision: str
    at: datetime = _when(nullable=False)
    step_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON))


class Refusal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    user_id: str
    action: str
    reason: str
    at: datetime = _when(nullable=False)


class ContainmentStep(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("incident_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    key: str
    position: int
    spec: dict[str, Any] = _json()
    # proposed -> pending (approved) | skipped (deselected)
    # pending -> running -> succeeded | failed; failed -> pending on retry.
    status: str = Field(default="proposed", index=True)
    attempts: int = 0
    started_at: datetime | None = _when(nullable=True)
    finished_at: datetime | None = _when(nullable=True)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    evidence: dict[str, Any] = _json()


class AuditEvent(SQLModel, table=True):
    # Append-only: storage.audit refuses updates and deletes at the session level.
    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, index=True)
    at: datetime = _when(nullable=False)
    actor: str
    action: str
    detail: dict[str, Any] = _json()


class Lease(SQLModel, table=True):
    # One row per lease name; the holder renews `expires_at` with a conditional
    # update, and anyone may take the row once it has expired.
    name: str = Field(primary_key=True)
    holder: str
    # Seconds since the epoch on the writer's clock: replicas' clocks must agree
    # to well within the lease's lifetime (NTP does).
    expires_at: float


class PagerDutyEvent(SQLModel, table=True):
    # One trigger, acknowledge and resolve per incident; PagerDuty's dedup key
    # makes a resend harmless, the unique key keeps resends rare.
    __table_args__ = (UniqueConstraint("incident_id", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    action: str
    attempts: int = 0
    sent_at: datetime | None = _when(nullable=True)
    error: str | None = Field(default=None, sa_column=Column(Text))
