"""Handlers for `conversations.*`: create, invite, topic, join, archive, read."""

from __future__ import annotations

import time
from typing import Any

from bot.devtools.slack_emulator.methods.common import (
    bot_member,
    conversation,
    not_archived,
    page,
)
from bot.devtools.slack_emulator.methods.registry import Args, MethodError, method
from bot.devtools.slack_emulator.models import BOT_USER_ID, Conversation
from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.rules import MAX_TOPIC, channel_name_error
from bot.devtools.slack_emulator.state import WorkspaceState


def _channel_only(found: Conversation) -> None:
    if found.kind != "channel":
        raise MethodError("method_not_supported_for_channel_type")


def _rendered(state: WorkspaceState, found: Conversation) -> dict[str, Any]:
    return {"ok": True, "channel": found.to_api(BOT_USER_ID)}


@method("conversations.create", Tier.TIER_2)
def create(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Create a channel; the bot, as creator, becomes its first member."""
    name = args.text("name")
    problem = channel_name_error(name)
    if problem:
        raise MethodError(problem)
    if state.channel_named(name) is not None:
        raise MethodError("name_taken")

    created = Conversation(
        id=state.new_id("C"),
        name=name,
        kind="channel",
        is_private=args.flag("is_private"),
        created=int(time.time()),
        creator=BOT_USER_ID,
        members=[BOT_USER_ID],
    )
    state.conversations[created.id] = created
    state.note("created", created, BOT_USER_ID, f"created {created.label}")
    return _rendered(state, created)


@method("conversations.invite", Tier.TIER_3)
def invite(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Invite users; without `force`, one bad id means nobody is invited."""
    found = conversation(state, args)
    _channel_only(found)
    not_archived(found)
    bot_member(found)
    users = args.id_list("users")
    if not users:
        raise MethodError("no_user")

    errors: list[dict[str, Any]] = []
    for user in users:
        problem = None
        if user == BOT_USER_ID:
            problem = "cant_invite_self"
        elif state.user(user) is None:
            problem = "user_not_found"
        elif user in found.members:
            problem = "already_in_channel"
        if problem:
            errors.append({"user": user, "ok": False, "error": problem})
    if errors and not args.flag("force"):
        raise MethodError(errors[0]["error"], errors=errors)

    refused = {entry["user"] for entry in errors}
    added = [user for user in dict.fromkeys(users) if user not in refused]
    found.members.extend(added)
    if added:
        names = ", ".join(state.users[user].name for user in added)
        state.note("invite", found, BOT_USER_ID, f"added {names}")
    answer = _rendered(state, found)
    if errors:
        answer["errors"] = errors
    return answer


@method("conversations.kick", Tier.TIER_3)
def kick(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Remove a user from a channel."""
    found = conversation(state, args)
    _channel_only(found)
    bot_member(found)
    user = args.text("user")
    if user == BOT_USER_ID:
        raise MethodError("cant_kick_self")
    if state.user(user) is None:
        raise MethodError("user_not_found")
    if user not in found.members:
        raise MethodError("not_in_channel")

    found.members.remove(user)
    state.note("kick", found, BOT_USER_ID, f"removed {state.users[user].name}")
    return {"ok": True}


@method("conversations.join", Tier.TIER_3)
def join(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Join a public channel; joining twice is a warning, not an error."""
    found = conversation(state, args)
    _channel_only(found)
    not_archived(found)
    if found.is_private:
        raise MethodError("method_not_supported_for_channel_type")

    if BOT_USER_ID in found.members:
        answer = _rendered(state, found)
        answer["warning"] = "already_in_channel"
        answer["response_metadata"] = {"warnings": ["already_in_channel"]}
        return answer
    found.members.append(BOT_USER_ID)
    state.note("join", found, BOT_USER_ID, "containbot joined")
    return _rendered(state, found)


@method("conversations.setTopic", Tier.TIER_2)
def set_topic(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Set a channel topic of at most 250 characters."""
    found = conversation(state, args)
    not_archived(found)
    bot_member(found)
    topic = args.text("topic")
    if len(topic) > MAX_TOPIC:
        raise MethodError("too_long")

    found.topic, found.topic_set_by = topic, BOT_USER_ID
    found.topic_set_at = int(time.time())
    state.note("topic", found, BOT_USER_ID, topic)
    return _rendered(state, found)


@method("conversations.setPurpose", Tier.TIER_2)
def set_purpose(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Set a channel purpose of at most 250 characters."""
    found = conversation(state, args)
    not_archived(found)
    bot_member(found)
    purpose = args.text("purpose")
    if len(purpose) > MAX_TOPIC:
        raise MethodError("too_long")

    found.purpose = purpose
    state.note("purpose", found, BOT_USER_ID, purpose)
    return _rendered(state, found)


@method("conversations.rename", Tier.TIER_2)
def rename(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Rename a channel under the same name rules as creation."""
    found = conversation(state, args)
    _channel_only(found)
    not_archived(found)
    bot_member(found)
    name = args.text("name")
    problem = channel_name_error(name)
    if problem:
        raise MethodError(problem)
    if name != found.name and state.channel_named(name) is not None:
        raise MethodError("name_taken")

    old = found.label
    found.name = name
    state.note("rename", found, BOT_USER_ID, f"renamed {old} to {found.label}")
    return _rendered(state, found)


@method("conversations.archive", Tier.TIER_2)
def archive(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Archive a channel the bot is in."""
    found = conversation(state, args)
    _channel_only(found)
    if found.is_archived:
        raise MethodError("already_archived")
    bot_member(found)

    found.is_archived = True
    state.note("archive", found, BOT_USER_ID, f"archived {found.label}")
    return {"ok": True}


@method("conversations.info", Tier.TIER_3)
def info(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Describe one conversation."""
    found = conversation(state, args)
    rendered = found.to_api(BOT_USER_ID, num_members=args.flag("include_num_members"))
    return {"ok": True, "channel": rendered}


@method("conversations.members", Tier.TIER_4)
def members(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List a conversation's members a page at a time."""
    found = conversation(state, args)
    chunk, cursor = page(list(found.members), args)
    return {"ok": True, "members": chunk, "response_metadata": {"next_cursor": cursor}}


@method("conversations.list", Tier.TIER_2)
def list_(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List channels the bot can see, filtered by `types`."""
    types = set(args.text("types", "public_channel").split(","))
    visible = []
    for found in state.conversations.values():
        if found.is_archived and args.flag("exclude_archived"):
            continue
        kind = {"im": "im", "mpim": "mpim"}.get(found.kind)
        kind = kind or ("private_channel" if found.is_private else "public_channel")
        if kind in types and (not found.is_private or BOT_USER_ID in found.members):
            visible.append(found.to_api(BOT_USER_ID))
    chunk, cursor = page(visible, args)
    return {"ok": True, "channels": chunk, "response_metadata": {"next_cursor": cursor}}


@method("conversations.history", Tier.TIER_3)
def history(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List messages newest first; the bot must be in the conversation."""
    found = conversation(state, args)
    bot_member(found)
    stored = reversed(list(state.messages.get(found.id, {}).values()))
    rendered = [message.to_api(state.team_id) for message in stored]
    chunk, cursor = page(rendered, args)
    return {
        "ok": True,
        "messages": chunk,
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.open", Tier.TIER_3)
def open_(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Open (or reopen) the bot's DM with one user, or a group DM with several."""
    if args.has("channel"):
        found = conversation(state, args)
        return {"ok": True, "channel": {"id": found.id}}
    users = [user for user in args.id_list("users") if user != BOT_USER_ID]
    if not users:
        raise MethodError("users_list_not_supplied")
    if any(state.user(user) is None for user in users):
        raise MethodError("user_not_found")
    if len(users) > 8:
        raise MethodError("too_many_users")

    existed = len(users) == 1 and users[0] in state.ims
    found = state.open_im(users[0]) if len(users) == 1 else state.open_mpim(users)
    rendered = found.to_api(BOT_USER_ID) if args.flag("return_im") else {"id": found.id}
    answer: dict[str, Any] = {"ok": True, "channel": rendered}
    if existed:
        answer.update(no_op=True, already_open=True)
    return answer
