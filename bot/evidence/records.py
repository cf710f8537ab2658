"""The normalized shape every activity log line becomes: who called what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.intake.model import IdentityKey


class ReadKind(StrEnum):
    """What a successful call handed back to the caller, when it matters."""

    SECRET = "secret"  # a secret value, password or token: rotate it
    DATA = "data"  # stored data (an object, item, user data): it may have left


class LogKind(StrEnum):
    CLOUDTRAIL = "cloudtrail"
    K8S_AUDIT = "k8s_audit"
    MESH = "mesh"


@dataclass(slots=True)
class ActivityRecord:
    """One API call or connection made by one caller, from any activity log."""

    log: LogKind
    time: datetime | None
    # The caller as a person would name it: a role or user ARN, `ns/name` of a
    # service account, a SPIFFE ID, or `address 10.0.0.1` when nothing better exists.
    caller: str
    keys: tuple[IdentityKey, ...]
    service: str
    operation: str
    resource: str | None = None
    source_ip: str | None = None
    error_code: str | None = None
    denied: bool = False
    reads: ReadKind | None = None
    # Names of what was read (secret ids, object keys); candidates for rotation.
    read_names: tuple[str, ...] = ()


_last_text: str | None = None
_last_time: datetime | None = None


def parse_time(text: Any) -> datetime | None:
    """Read an ISO 8601 timestamp as an aware datetime, or None when it is not one."""
    global _last_text, _last_time
    # Consecutive records share a second often enough that remembering the last
    # one halves the parsing cost of a large CloudTrail file.
    if text == _last_text:
        return _last_time
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    _last_text, _last_time = text, value
    return value
