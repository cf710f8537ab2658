"""Turn a detector's HTTP body into parsed alerts, refusing a body it cannot use.

A body is one JSON document (an object or a list) or newline-delimited JSON, one
document a line, which is what Falco's `json_output` and most log shippers write.
The body size cap is enforced by the HTTP layer before this runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake import falco, generic, github, guardduty, securityhub
from bot.intake.model import ParsedAlert

# Where a document sat in the body ("" for a whole-body document, "line 3" for
# NDJSON) and the decoded value; parsers put the place into their refusals.
Document = tuple[str, Any]
Parser = Callable[[list[Document], datetime], list[ParsedAlert]]

PARSERS: dict[str, Parser] = {
    "falco": falco.alerts_from,
    "generic": generic.alerts_from,
    "github": github.alerts_from,
    "guardduty": guardduty.alerts_from,
    "securityhub": securityhub.alerts_from,
}

_JSON_TYPES = {str: "string", int: "number", float: "number", bool: "boolean"}


def parse_alerts(
    source: str, body: bytes, *, received_at: datetime
) -> list[ParsedAlert]:
    """Parse `body` sent by detector `source` into one alert per finding or event."""
    parser = PARSERS.get(source)
    if parser is None:
        known = ", ".join(sorted(PARSERS))
        raise AlertRejected(
            f"unknown alert source {source!r}; known sources are {known}", status=404
        )

    alerts = parser(decode_documents(body), received_at)

    if not alerts:
        raise AlertRejected(f"the {source} body holds no findings or events")
    return alerts


def decode_documents(body: bytes) -> list[Document]:
    """Decode `body` as one JSON document or as newline-delimited JSON."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AlertRejected(
            f"body is not UTF-8 text (invalid byte at position {exc.start})"
        ) from exc
    if not text.strip():
        raise AlertRejected("body is empty; expected a JSON object or list")

    try:
        documents = [("", json.loads(text))]
    except json.JSONDecodeError as exc:
        # "Extra data" means a first document parsed and more followed: NDJSON.
        if exc.msg != "Extra data":
            raise AlertRejected(
                f"body is not JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno} (character {exc.pos})"
            ) from exc
        documents = _decode_lines(text)

    for where, value in documents:
        if not isinstance(value, dict | list):
            raise AlertRejected(
                f"{where or 'body'} is a JSON {json_type(value)}, "
                "not an object or a list"
            )
    return documents


def _decode_lines(text: str) -> list[Document]:
    """Decode newline-delimited JSON, skipping blank lines."""
    documents: list[Document] = []
    # Split on "\n" only: str.splitlines() also breaks at U+2028 and other
    # separators that JSON allows unescaped inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            documents.append((f"line {number}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise AlertRejected(
                f"line {number} is not JSON ({exc.msg} at column {exc.colno}); "
                "send one JSON document, or one JSON object per line"
            ) from exc
    return documents


def json_type(value: Any) -> str:
    """Name the JSON type of a decoded value, for refusal messages."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return _JSON_TYPES.get(type(value), type(value).__name__)
