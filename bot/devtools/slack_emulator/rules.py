"""Slack's channel-name rules and the Block Kit limits the Web API enforces."""

from __future__ import annotations

import re
from typing import Any

MAX_CHANNEL_NAME = 80
MAX_TOPIC = 250
MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100

_NAME_CHARS = re.compile(r"^[a-z0-9_-]+$")
_BLOCK_TYPES = {
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "markdown",
    "rich_text",
    "section",
    "video",
}


def channel_name_error(name: str) -> str | None:
    """Return Slack's error code for an unusable channel name, or None."""
    if not name:
        return "invalid_name_required"
    if len(name) > MAX_CHANNEL_NAME:
        return "invalid_name_maxlength"
    if not _NAME_CHARS.match(name):
        return "invalid_name_specials"
    # Slack refuses names made only of punctuation, such as "--" or "_".
    if not re.search(r"[a-z0-9]", name):
        return "invalid_name_punctuation"
    return None


class _Checker:
    """Walk a block list and collect Slack-style `[ERROR] ... [json-pointer:…]`."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def fail(self, pointer: str, problem: str) -> None:
        self.messages.append(f"[ERROR] {problem} [json-pointer:{pointer}]")

    def length(self, value: Any, pointer: str, limit: int, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self.fail(pointer, "must be a string")
        elif len(value) > limit:
            self.fail(pointer, f"must be less than {limit + 1} characters")
        elif len(value) < minimum:
            self.fail(pointer, f"must be more than {minimum - 1} characters")

    def text_object(
        self, value: Any, pointer: str, limit: int, *, plain_only: bool = False
    ) -> None:
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if not isinstance(value, dict) or value.get("type") not in allowed:
            kinds = " or ".join(allowed)
            self.fail(pointer, f"must be a text object of type {kinds}")
            return
        self.length(value.get("text"), f"{pointer}/text", limit, minimum=1)

    def items(self, value: Any, pointer: str, limit: int) -> list[Any]:
        if not isinstance(value, list) or not value:
            self.fail(pointer, "must be a non-empty array")
            return []
        if len(value) > limit:
            self.fail(pointer, f"no more than {limit} items allowed")
        return value

    def element(self, element: Any, pointer: str) -> None:
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            self.fail(pointer, "failed to match all allowed schemas")
            return
        if "action_id" in element:
            self.length(element["action_id"], f"{pointer}/action_id", 255, minimum=1)
        if element["type"] == "button":
            self.text_object(
                element.get("text"), f"{pointer}/text", 75, plain_only=True
            )
            if "value" in element:
                self.length(element["value"], f"{pointer}/value", 2000)
            if "url" in element:
                self.length(element["url"], f"{pointer}/url", 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(f"{pointer}/style", "must be one of primary, danger")
        if "confirm" in element:
            self.confirm(element["confirm"], f"{pointer}/confirm")

    def confirm(self, dialog: Any, pointer: str) -> None:
        if not isinstance(dialog, dict):
            self.fail(pointer, "must be a confirmation dialog object")
            return
        self.text_object(dialog.get("title"), f"{pointer}/title", 100, plain_only=True)
        self.text_object(dialog.get("text"), f"{pointer}/text", 300)
        self.text_object(dialog.get("confirm"), f"{pointer}/confirm", 30)
        self.text_object(dialog.get("deny"), f"{pointer}/deny", 30)

    def block(self, block: Any, pointer: str, seen_ids: set[str]) -> None:
        if not isinstance(block, dict) or block.get("type") not in _BLOCK_TYPES:
            self.fail(pointer, "failed to match all allowed schemas")
            return
        if "block_id" in block:
            block_id = block["block_id"]
            self.length(block_id, f"{pointer}/block_id", 255, minimum=1)
            if block_id in seen_ids:
                self.fail(f"{pointer}/block_id", "block_id must be unique")
            seen_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            self.section(block, pointer)
        elif kind == "header":
            self.text_object(block.get("text"), f"{pointer}/text", 150, plain_only=True)
        elif kind == "actions":
            for index, item in enumerate(
                self.items(block.get("elements"), f"{pointer}/elements", 25)
            ):
                self.element(item, f"{pointer}/elements/{index}")
        elif kind == "context":
            for index, item in enumerate(
                self.items(block.get("elements"), f"{pointer}/elements", 10)
            ):
                if isinstance(item, dict) and item.get("type") == "image":
                    continue
                self.text_object(item, f"{pointer}/elements/{index}", 3000)
        elif kind == "markdown":
            self.length(block.get("text"), f"{pointer}/text", 12_000, minimum=1)
        elif kind == "input":
            self.text_object(
                block.get("label"), f"{pointer}/label", 2000, plain_only=True
            )
            self.element(block.get("element"), f"{pointer}/element")

    def section(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail(pointer, "must provide either text or fields")
        if "text" in block:
            self.text_object(block["text"], f"{pointer}/text", 3000)
        if "fields" in block:
            for index, item in enumerate(
                self.items(block["fields"], f"{pointer}/fields", 10)
            ):
                self.text_object(item, f"{pointer}/fields/{index}", 2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{pointer}/accessory")


def block_errors(
    blocks: Any, *, limit: int = MAX_MESSAGE_BLOCKS, root: str = "/blocks"
) -> list[str]:
    """Check a block list against Block Kit's limits; return Slack's messages."""
    checker = _Checker()
    if not isinstance(blocks, list):
        checker.fail(root, "must be an array")
        return checker.messages
    if len(blocks) > limit:
        checker.fail(root, f"no more than {limit} items allowed")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        checker.block(block, f"{root}/{index}", seen_ids)
    return checker.messages


def view_errors(view: Any) -> list[str]:
    """Check a modal or Home tab view; pointers start at `/view` as Slack's do."""
    checker = _Checker()
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        checker.fail("/view/type", "must be one of modal, home")
        return checker.messages
    if view["type"] == "modal":
        checker.text_object(view.get("title"), "/view/title", 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                checker.text_object(view[key], f"/view/{key}", 24, plain_only=True)
        blocks = view.get("blocks", [])
        has_input = any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and "submit" not in view:
            checker.fail("/view", "must provide submit when the view has input blocks")
    for key, limit in (
        ("callback_id", 255),
        ("private_metadata", 3000),
        ("external_id", 255),
    ):
        if key in view:
            checker.length(view[key], f"/view/{key}", limit)
    checker.messages.extend(
        block_errors(view.get("blocks"), limit=MAX_MODAL_BLOCKS, root="/view/blocks")
    )
    return checker.messages
