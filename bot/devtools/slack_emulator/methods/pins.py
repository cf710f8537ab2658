"""Handlers for `pins.*`."""

from __future__ import annotations

import time
from typing import Any

from bot.devtools.slack_emulator.flatten import flatten
from bot.devtools.slack_emulator.methods.common import bot_member, conversation
from bot.devtools.slack_emulator.methods.registry import Args, MethodError, method
from bot.devtools.slack_emulator.models import BOT_USER_ID
from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.state import WorkspaceState


@method("pins.add", Tier.TIER_2)
def add(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Pin a message to its conversation."""
    found = conversation(state, args)
    bot_member(found)
    message = state.find_message(found.id, args.text("timestamp"))
    if message is None:
        raise MethodError("message_not_found")
    pinned = state.pins.setdefault(found.id, {})
    if message.ts in pinned:
        raise MethodError("already_pinned")

    pinned[message.ts] = (int(time.time()), BOT_USER_ID)
    headline = flatten(message.text, message.blocks).splitlines() or [""]
    state.note("pin", found, BOT_USER_ID, f"pinned: {headline[0]}")
    return {"ok": True}


@method("pins.remove", Tier.TIER_2)
def remove(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Unpin a message."""
    found = conversation(state, args)
    bot_member(found)
    if state.pins.get(found.id, {}).pop(args.text("timestamp"), None) is None:
        raise MethodError("no_pin")
    state.note("unpin", found, BOT_USER_ID, "unpinned a message")
    return {"ok": True}


@method("pins.list", Tier.TIER_2)
def list_(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List a conversation's pinned messages, oldest pin first."""
    found = conversation(state, args)
    items = []
    for ts, (created, created_by) in state.pins.get(found.id, {}).items():
        message = state.find_message(found.id, ts)
        if message is None:
            continue
        items.append(
            {
                "type": "message",
                "created": created,
                "created_by": created_by,
                "channel": found.id,
                "message": message.to_api(state.team_id),
            }
        )
    return {"ok": True, "items": items}
