"""Apply what an app posts to a response_url, the way Slack shows it."""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_emulator.flatten import flatten
from bot.devtools.slack_emulator.models import BOT_USER_ID
from bot.devtools.slack_emulator.rules import MAX_MESSAGE_TEXT, block_errors
from bot.devtools.slack_emulator.state import (
    ResponseTarget,
    WorkspaceState,
    stamped,
)


def apply_response(
    state: WorkspaceState, target: ResponseTarget, body: dict[str, Any]
) -> tuple[int, str]:
    """Post, replace or delete per `body`; return Slack's status and plain reply."""
    conversation = state.conversations[target.channel]
    ts = target.message_ts
    if body.get("delete_original"):
        return _delete(state, target)

    text = body.get("text")
    blocks = body.get("blocks")
    if not text and not blocks:
        return 400, "no_text"
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        return 400, "msg_too_long"
    if blocks is not None and (not isinstance(blocks, list) or block_errors(blocks)):
        return 400, "invalid_blocks"
    text, blocks = str(text or ""), blocks or []

    if body.get("replace_original") and ts:
        message = state.find_message(conversation.id, ts)
        if message is not None:
            message.text, message.blocks = text, stamped(blocks)
            message.edited_ts = state.new_ts()
            state.note("update", conversation, BOT_USER_ID, flatten(text, blocks))
            return 200, "ok"
        ephemeral = state.find_ephemeral(conversation.id, ts)
        if ephemeral is not None and ephemeral.user == target.user:
            ephemeral.text, ephemeral.blocks = text, stamped(blocks)
            state.note(
                "ephemeral update",
                conversation,
                BOT_USER_ID,
                flatten(text, blocks),
                [target.user],
            )
            return 200, "ok"
        return 404, "message_not_found"
    # A response_url reaches the conversation even when the bot is not a member;
    # that is the point of it for slash commands run anywhere.
    if body.get("response_type") == "in_channel":
        state.post(conversation, text, blocks, thread_ts=body.get("thread_ts"))
    else:
        state.post_ephemeral(conversation, target.user, text, blocks)
    return 200, "ok"


def _delete(state: WorkspaceState, target: ResponseTarget) -> tuple[int, str]:
    ts = target.message_ts or ""
    conversation = state.conversations[target.channel]
    if state.messages.get(conversation.id, {}).pop(ts, None) is not None:
        state.note("delete", conversation, BOT_USER_ID, "(message deleted)")
        return 200, "ok"
    ephemeral = state.find_ephemeral(conversation.id, ts)
    if ephemeral is not None and ephemeral.user == target.user:
        state.ephemerals.remove(ephemeral)
        note = "(ephemeral message dismissed)"
        state.note("ephemeral delete", conversation, BOT_USER_ID, note, [target.user])
        return 200, "ok"
    return 404, "message_not_found"
