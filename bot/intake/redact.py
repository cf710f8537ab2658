"""Strip secret values from a body before it is stored for inspection."""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "[redacted]"

# A field holds a credential when its name says so (`secret`, `client_secret`,
# `aws_secret_access_key`, `api_key`, `access_token`, `privateKey`), unless the
# name only describes one (`secret_type`, `token_url`, `key_id`).
_SECRET_NAME = re.compile(
    r"(secret|passw(or)?d|token|private_?key|api_?key|credential|auth)", re.I
)
_DESCRIBES = re.compile(
    r"(type|name|url|_id|ids|_at|prefix|count|location|scheme|method)$", re.I
)
# Credential formats recognisable anywhere in text, inside a field or not.
_TOKENS = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)",
    re.S,
)
# `"name": "value"` pairs in text that is not (or no longer) whole JSON, such as
# a body cut at the storage limit.
_PAIR = re.compile(r'"([^"\\]{1,100})"\s*:\s*"((?:[^"\\]|\\.)*)("|$)')


def redact_body(body: bytes) -> bytes:
    """Return `body` with credential values replaced wherever they can be told.

    A document nested too deeply to search is dropped (an empty body comes
    back): it cannot be shown to hold no secret.
    """
    text = body.decode("utf-8", errors="surrogateescape")
    try:
        document = json.loads(text)
        cleaned, changed = _redact(document)
    except (ValueError, UnicodeDecodeError):
        return _redact_text(text)
    except RecursionError:
        return b""
    if changed:
        text = json.dumps(cleaned)
    return _TOKENS.sub(REDACTED, text).encode("utf-8", errors="surrogateescape")


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name)) and not _DESCRIBES.search(name)


def _redact_text(text: str) -> bytes:
    def pair(match: re.Match[str]) -> str:
        name, value, close = match.group(1), match.group(2), match.group(3)
        if value and is_secret_name(name):
            return f'"{name}": "{REDACTED}{close}'
        return match.group(0)

    text = _PAIR.sub(pair, text)
    return _TOKENS.sub(REDACTED, text).encode("utf-8", errors="surrogateescape")


def _redact(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret_name(str(key)) and isinstance(item, str) and item:
                out[key], changed = REDACTED, True
                continue
            out[key], inner = _redact(item)
            changed = changed or inner
        return out, changed
    if isinstance(value, list):
        items = [_redact(item) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False
