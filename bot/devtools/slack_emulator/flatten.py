"""Turn Block Kit into plain lines a person can read in a transcript."""

from __future__ import annotations

from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return "" if value is None else str(value)


def _element(element: Any) -> str:
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind == "button":
        return f"[{_text(element.get('text'))}]"
    if kind == "image":
        return f"(image: {element.get('alt_text', '')})"
    if kind in ("plain_text", "mrkdwn"):
        return _text(element)
    placeholder = _text(element.get("placeholder"))
    return f"<{kind}{': ' + placeholder if placeholder else ''}>"


def _rich_text(elements: Any) -> str:
    """Collect the visible text of a rich_text tree, ignoring styling."""
    if not isinstance(elements, list):
        return ""
    parts: list[str] = []
    for item in elements:
        if not isinstance(item, dict):
            continue
        if "elements" in item:
            parts.append(_rich_text(item["elements"]))
        elif item.get("type") == "user":
            parts.append(f"<@{item.get('user_id', '')}>")
        elif item.get("type") == "link":
            parts.append(str(item.get("text") or item.get("url", "")))
        else:
            parts.append(str(item.get("text", "")))
    return "".join(parts)


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [f"== {_text(block.get('text'))} =="]
    if kind == "divider":
        return ["----"]
    if kind == "section":
        lines = [_text(block["text"])] if "text" in block else []
        # Slack lays fields out in two columns, each a label over a value; one
        # "label: value" line per field reads the same in a terminal.
        for item in block.get("fields", []):
            lines.append(" ".join(_text(item).split("\n")))
        if "accessory" in block:
            lines.append(_element(block["accessory"]))
        return lines
    if kind == "context":
        return [" · ".join(_element(item) for item in block.get("elements", []))]
    if kind == "actions":
        return [" ".join(_element(item) for item in block.get("elements", []))]
    if kind == "input":
        return [f"{_text(block.get('label'))}: {_element(block.get('element'))}"]
    if kind == "image":
        return [_element(block)]
    if kind == "markdown":
        return [str(block.get("text", ""))]
    if kind == "rich_text":
        return [_rich_text(block.get("elements"))]
    return [f"({kind} block)"]


def flatten(text: str, blocks: list[dict[str, Any]] | None) -> str:
    """Return readable text for a message: its blocks if any, else its text."""
    if not blocks:
        return text
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, dict):
            lines.extend(line for line in _block(block) if line)
    return "\n".join(lines)
