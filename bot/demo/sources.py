"""Tell which detector wrote an alert file, so `--source` can be left out."""

from __future__ import annotations

import json
from typing import Any

from bot.errors import ContainbotError


def guess_source(body: bytes) -> str:
    """Return the intake source whose format `body` is in."""
    text = body.decode("utf-8", errors="replace").lstrip()
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError:
        # Falco's json_output is one object per line.
        first = text.splitlines()[0] if text else ""
        try:
            document = json.loads(first)
        except json.JSONDecodeError as exc:
            raise ContainbotError(
                "the alert file is not JSON; pass --source to say what it is"
            ) from exc
    if isinstance(document, list) and document:
        document = document[0]
    if isinstance(document, dict):
        if "GuardDuty" in str(document.get("detail-type", "")):
            return "guardduty"
        findings = document.get("findings") or document.get("Findings")
        if isinstance(findings, list) or {"schemaVersion", "type"} <= document.keys():
            return "guardduty"
        if {"rule", "output"} <= document.keys():
            return "falco"
    raise ContainbotError(
        "cannot tell which detector wrote the alert file; pass --source guardduty|falco"
    )
