"""Handlers for `auth.test`, `users.*` and `usergroups.users.list`."""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_emulator.methods.common import page
from bot.devtools.slack_emulator.methods.registry import Args, MethodError, method
from bot.devtools.slack_emulator.models import BOT_ID, BOT_USER_ID
from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.state import WorkspaceState


# Slack lists auth.test as "special" (thousands an hour); Tier 4 is close.
@method("auth.test", Tier.TIER_4)
def auth_test(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Describe the token's workspace and bot user."""
    return {
        "ok": True,
        "url": "https://containbot-demo.slack.com/",
        "team": "containbot demo",
        "user": "containbot",
        "team_id": state.team_id,
        "user_id": BOT_USER_ID,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


@method("users.info", Tier.TIER_4)
def info(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Describe one user."""
    user = state.user(args.text("user"))
    if user is None:
        raise MethodError("user_not_found")
    return {"ok": True, "user": user.to_api(state.team_id)}


@method("users.lookupByEmail", Tier.TIER_3)
def lookup_by_email(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Find a user by email; Slack matches case-insensitively."""
    wanted = args.text("email").strip().lower()
    for user in state.users.values():
        if user.email and user.email.lower() == wanted:
            return {"ok": True, "user": user.to_api(state.team_id)}
    raise MethodError("users_not_found")


@method("users.list", Tier.TIER_2)
def list_(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List every user a page at a time."""
    everyone = [user.to_api(state.team_id) for user in state.users.values()]
    chunk, cursor = page(everyone, args, default_limit=200)
    return {"ok": True, "members": chunk, "response_metadata": {"next_cursor": cursor}}


@method("usergroups.users.list", Tier.TIER_2)
def usergroup_users(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """List the members of a user group."""
    group = state.usergroups.get(args.text("usergroup"))
    if group is None:
        raise MethodError("no_such_subteam")
    return {"ok": True, "users": list(group)}
