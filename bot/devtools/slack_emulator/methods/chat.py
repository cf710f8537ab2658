"""Handlers for `chat.*`: post, update, ephemeral, delete, permalink."""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_emulator.flatten import flatten
from bot.devtools.slack_emulator.methods.common import (
    bot_member,
    content,
    conversation,
    not_archived,
)
from bot.devtools.slack_emulator.methods.registry import Args, MethodError, method
from bot.devtools.slack_emulator.models import BOT_USER_ID, Message
from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.state import WorkspaceState, stamped


def _message(state: WorkspaceState, channel: str, ts: str) -> Message:
    found = state.find_message(channel, ts)
    if found is None:
        raise MethodError("message_not_found")
    return found


@method("chat.postMessage", Tier.POST_MESSAGE, limit_by="channel")
def post_message(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Post to a channel, a DM, or a user id (which means the bot's DM with them)."""
    found = conversation(state, args)
    not_archived(found)
    bot_member(found)
    text, blocks = content(args)

    thread_ts = args.text("thread_ts") or None
    message = state.post(found, text or "", blocks or [], thread_ts=thread_ts)
    return {
        "ok": True,
        "channel": found.id,
        "ts": message.ts,
        "message": message.to_api(state.team_id),
    }


@method("chat.update", Tier.TIER_3)
def update(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Replace a bot message's text or blocks; an omitted field is kept."""
    found = conversation(state, args)
    message = _message(state, found.id, args.text("ts"))
    if message.user != BOT_USER_ID:
        raise MethodError("cant_update_message")
    text, blocks = content(args)

    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = stamped(blocks)
    message.edited_ts = state.new_ts()
    state.note("update", found, BOT_USER_ID, flatten(message.text, message.blocks))
    return {
        "ok": True,
        "channel": found.id,
        "ts": message.ts,
        "text": message.text,
        "message": message.to_api(state.team_id),
    }


@method("chat.postEphemeral", Tier.TIER_4)
def post_ephemeral(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Show a message to one member of a conversation."""
    found = conversation(state, args)
    not_archived(found)
    bot_member(found)
    user = args.text("user")
    if user not in found.members:
        raise MethodError("user_not_in_channel")
    text, blocks = content(args)

    ephemeral = state.post_ephemeral(found, user, text or "", blocks or [])
    return {"ok": True, "message_ts": ephemeral.ts}


@method("chat.delete", Tier.TIER_3)
def delete(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Delete a bot message, and its pin if it had one."""
    found = conversation(state, args)
    message = _message(state, found.id, args.text("ts"))
    if message.user != BOT_USER_ID:
        raise MethodError("cant_delete_message")

    del state.messages[found.id][message.ts]
    state.pins.get(found.id, {}).pop(message.ts, None)
    state.note("delete", found, BOT_USER_ID, "(message deleted)")
    return {"ok": True, "channel": found.id, "ts": message.ts}


@method("chat.getPermalink", Tier.TIER_4)
def get_permalink(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Return a permalink in the shape Slack uses."""
    found = conversation(state, args)
    message = _message(state, found.id, args.text("message_ts"))
    link = (
        f"https://containbot-demo.slack.com/archives/{found.id}/p"
        + message.ts.replace(".", "")
    )
    return {"ok": True, "channel": found.id, "permalink": link}
