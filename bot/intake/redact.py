"""Strip secret values from a body before it is stored for inspection."""

from __future__ import annotations

import json
from typing import Any

# Field names whose values are credentials in the formats containbot takes (a
# GitHub secret-scanning alert's `secret`, an AWS session's keys); matched
# exactly, case-insensitively, so `secret_type` and `tokenPrefix` stay.
_SECRET_FIELDS = frozenset(
    {
        "secret",
        "password",
        "token",
        "private_key",
        "secretaccesskey",
        "secret_access_key",
        "sessiontoken",
        "session_token",
    }
)
REDACTED = "[redacted]"


def redact_body(body: bytes) -> bytes:
    """Return `body` with secret fields replaced, or unchanged if it is not JSON.

    A document nested too deeply to search is dropped (an empty body comes
    back): it cannot be shown to hold no secret.
    """
    try:
        document = json.loads(body)
        cleaned, changed = _redact(document)
    except (ValueError, UnicodeDecodeError):
        return body
    except RecursionError:
        return b""
    return json.dumps(cleaned).encode() if changed else body


def _redact(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if str(key).lower() in _SECRET_FIELDS and isinstance(item, str) and item:
                out[key], changed = REDACTED, True
                continue
            out[key], inner = _redact(item)
            changed = changed or inner
        return out, changed
    if isinstance(value, list):
        items = [_redact(item) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False
