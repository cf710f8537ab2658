"""Read the loose JSON that detectors send: labelled items, text, objects, details."""

from __future__ import annotations

from typing import Any

DETAIL_LIMIT = 200


def labelled_items(where: str, document: Any) -> list[tuple[str, Any]]:
    """Return a list document's items, or the document alone, each with its place.

    `where` is the document's place in the body ("" for the whole body). One level
    only: a list inside a list stays a list, for the parser to refuse.
    """
    label = where or "body"
    if isinstance(document, list):
        return [(f"{label}, item {n}", item) for n, item in enumerate(document, 1)]
    return [(label, document)]


def text(value: Any) -> str:
    """Return `value` stripped if it is a string, else an empty string."""
    return value.strip() if isinstance(value, str) else ""


def json_object(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object; detectors write null for absent parts."""
    return value if isinstance(value, dict) else {}


def short(value: str) -> str:
    """Cut `value` to the length a detail may have, marking the cut with "…"."""
    return value if len(value) <= DETAIL_LIMIT else value[: DETAIL_LIMIT - 1] + "…"


def put(details: dict[str, str], name: str, value: Any) -> None:
    """Set detail `name` from a scalar `value` unless it is empty or already set."""
    if value is None or value == "" or isinstance(value, dict | list):
        return
    details.setdefault(name, short(str(value)))
