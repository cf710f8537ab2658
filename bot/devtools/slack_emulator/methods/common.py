"""Checks several handlers share: finding conversations and vetting content."""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_emulator.methods.registry import Args, MethodError, is_unparsed
from bot.devtools.slack_emulator.models import BOT_USER_ID, Conversation
from bot.devtools.slack_emulator.rules import MAX_MESSAGE_TEXT, block_errors
from bot.devtools.slack_emulator.state import WorkspaceState


def conversation(
    state: WorkspaceState, args: Args, name: str = "channel"
) -> Conversation:
    """Find the conversation an argument names, hiding ones the bot cannot see."""
    found = state.resolve(args.text(name))
    # Slack answers channel_not_found, not a permission error, for private
    # conversations the caller is not in, so their existence does not leak.
    if found is None or (found.is_private and BOT_USER_ID not in found.members):
        raise MethodError("channel_not_found")
    return found


def bot_member(found: Conversation) -> None:
    """Insist that the bot is in the conversation."""
    if BOT_USER_ID not in found.members:
        raise MethodError("not_in_channel")


def not_archived(found: Conversation) -> None:
    """Refuse to change an archived conversation."""
    if found.is_archived:
        raise MethodError("is_archived")


def content(
    args: Args, *, required: bool = True
) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Read `text` and `blocks`, applying Slack's length and Block Kit limits."""
    text = args.text("text") if args.has("text") else None
    blocks = args.json("blocks") if args.has("blocks") else None
    if required and not text and not blocks and not args.has("attachments"):
        raise MethodError("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise MethodError("msg_too_long")
    if blocks is not None:
        if is_unparsed(blocks) or not isinstance(blocks, list):
            raise MethodError("invalid_blocks_format")
        problems = block_errors(blocks)
        if problems:
            raise MethodError(
                "invalid_blocks",
                errors=[problem.removeprefix("[ERROR] ") for problem in problems],
                response_metadata={"messages": problems},
            )
    return text, blocks


def page(
    items: list[Any], args: Args, default_limit: int = 100
) -> tuple[list[Any], str]:
    """Cut one page from `items`; the cursor is the offset, as an opaque string."""
    try:
        limit = int(args.text("limit") or default_limit) or default_limit
    except ValueError:
        raise MethodError("invalid_limit") from None
    cursor = args.text("cursor")
    start = 0
    if cursor:
        offset = cursor.removeprefix("offset_")
        if not cursor.startswith("offset_") or not offset.isdigit():
            raise MethodError("invalid_cursor")
        start = int(offset)
    end = start + limit
    return items[start:end], (f"offset_{end}" if end < len(items) else "")
