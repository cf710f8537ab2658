"""Handlers for `views.open`, `views.push` and `views.update` (modals)."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from bot.devtools.slack_emulator.flatten import flatten
from bot.devtools.slack_emulator.methods.registry import (
    Args,
    MethodError,
    is_unparsed,
    method,
)
from bot.devtools.slack_emulator.models import APP_ID, BOT_ID
from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.rules import view_errors
from bot.devtools.slack_emulator.state import TRIGGER_LIFETIME, WorkspaceState


def _invalid(messages: list[str]) -> MethodError:
    # Slack reports a bad view as invalid_arguments, not invalid_blocks, with the
    # same "[ERROR] ... [json-pointer:/view/...]" messages.
    return MethodError("invalid_arguments", response_metadata={"messages": messages})


def _view_argument(args: Args) -> dict[str, Any]:
    view = args.json("view")
    if view is None:
        raise _invalid(["[ERROR] missing required field: view"])
    if is_unparsed(view):
        raise _invalid(["[ERROR] failed to parse JSON [json-pointer:/view]"])
    problems = view_errors(view)
    if problems:
        raise _invalid(problems)
    return view


def _spend_trigger(state: WorkspaceState, args: Args) -> str:
    """Check and use up a trigger_id; return the user it was issued for."""
    trigger_id = args.text("trigger_id")
    if not trigger_id:
        raise _invalid(["[ERROR] missing required field: trigger_id"])
    trigger = state.triggers.get(trigger_id)
    if trigger is None:
        raise MethodError("invalid_trigger_id")
    if trigger.used:
        raise MethodError("trigger_exchanged")
    if state.clock() - trigger.issued_at > TRIGGER_LIFETIME:
        raise MethodError("expired_trigger_id")
    trigger.used = True
    return trigger.user


def _store(
    state: WorkspaceState, view: dict[str, Any], user: str, view_id: str | None = None
) -> dict[str, Any]:
    stored = copy.deepcopy(view)
    stored.update(
        id=view_id or state.new_id("V"),
        team_id=state.team_id,
        app_id=APP_ID,
        bot_id=BOT_ID,
        hash=f"{int(state.clock())}.{secrets.token_hex(4)}",
        state={"values": {}},
        user=user,
    )
    stored.setdefault("private_metadata", "")
    stored.setdefault("callback_id", "")
    state.views[stored["id"]] = stored
    title = stored.get("title", {}).get("text", "")
    state.note(
        "modal", f"modal {title!r}", user, flatten("", stored.get("blocks")), [user]
    )
    return {key: value for key, value in stored.items() if key != "user"}


@method("views.open", Tier.TIER_4)
def open_(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Open a modal for the user whose interaction issued the trigger_id."""
    user = _spend_trigger(state, args)
    view = _view_argument(args)
    return {"ok": True, "view": _store(state, view, user)}


@method("views.push", Tier.TIER_4)
def push(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Push a modal on top of the open one."""
    user = _spend_trigger(state, args)
    view = _view_argument(args)
    return {"ok": True, "view": _store(state, view, user)}


@method("views.update", Tier.TIER_4)
def update(state: WorkspaceState, args: Args) -> dict[str, Any]:
    """Replace an open modal, refusing a stale `hash` as Slack does."""
    view_id = args.text("view_id")
    if not view_id and args.has("external_id"):
        wanted = args.text("external_id")
        view_id = next(
            (key for key, v in state.views.items() if v.get("external_id") == wanted),
            "",
        )
    current = state.views.get(view_id)
    if current is None:
        raise MethodError("not_found")
    if args.has("hash") and args.text("hash") != current["hash"]:
        raise MethodError("hash_conflict")
    view = _view_argument(args)
    return {"ok": True, "view": _store(state, view, current["user"], view_id)}
