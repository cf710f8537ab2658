"""The emulated workspace: people, conversations, messages and what was seen."""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.devtools.slack_emulator.flatten import flatten
from bot.devtools.slack_emulator.models import (
    BOT_USER_ID,
    Conversation,
    EmulatedUser,
    Ephemeral,
    Message,
    RecordedCall,
    TranscriptEntry,
)

# Slack accepts a trigger_id for three seconds after the interaction.
TRIGGER_LIFETIME = 3.0


@dataclass
class ResponseTarget:
    """Where a response_url posts: the conversation, the user, the source message."""

    channel: str
    user: str
    message_ts: str | None


@dataclass
class Trigger:
    """A trigger_id handed out with an interaction; usable once, briefly."""

    user: str
    issued_at: float
    used: bool = False


def stamped(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copy blocks, giving each a block_id as Slack does when the app sent none."""
    copies = copy.deepcopy(blocks)
    for block in copies:
        if isinstance(block, dict) and "block_id" not in block:
            block["block_id"] = secrets.token_urlsafe(4)
    return copies


class WorkspaceState:
    """Hold every record of the workspace; callers hold `lock` while they work."""

    def __init__(
        self,
        *,
        team_id: str,
        users: Iterable[EmulatedUser],
        usergroups: dict[str, list[str]],
        clock: Callable[[], float],
    ) -> None:
        self.lock = threading.RLock()
        self.team_id = team_id
        self.clock = clock
        bot = EmulatedUser(BOT_USER_ID, "containbot", "containbot", "", is_bot=True)
        self.users: dict[str, EmulatedUser] = {bot.id: bot}
        self.users.update((user.id, user) for user in users)
        self.usergroups = {key: list(value) for key, value in usergroups.items()}
        self.conversations: dict[str, Conversation] = {}
        self.messages: dict[str, dict[str, Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.pins: dict[str, dict[str, tuple[int, str]]] = {}
        self.ims: dict[str, str] = {}
        self.mpims: dict[frozenset[str], str] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_targets: dict[str, ResponseTarget] = {}
        self.transcript: list[TranscriptEntry] = []
        self.calls: list[RecordedCall] = []
        self._ids = itertools.count(1)
        self._last_ts = 0.0

    def new_id(self, prefix: str) -> str:
        """Return a fresh Slack-looking id such as `C0000000007`."""
        return f"{prefix}{next(self._ids):010d}"

    def new_ts(self) -> str:
        """Return a message timestamp, strictly later than any handed out."""
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def user(self, user_id: str) -> EmulatedUser | None:
        """Return the user with this id, if the workspace has one."""
        return self.users.get(user_id)

    def channel_named(self, name: str) -> Conversation | None:
        """Return the channel called `name`, archived ones included."""
        for conversation in self.conversations.values():
            if conversation.kind == "channel" and conversation.name == name:
                return conversation
        return None

    def resolve(self, ref: str) -> Conversation | None:
        """Find a conversation by id, by `#name`, or open a DM for a user id."""
        if ref in self.conversations:
            return self.conversations[ref]
        if ref.startswith(("U", "W")) and ref in self.users:
            return self.open_im(ref)
        return self.channel_named(ref.removeprefix("#"))

    def open_im(self, user_id: str) -> Conversation:
        """Return the bot's DM with `user_id`, creating it on first use."""
        if user_id in self.ims:
            return self.conversations[self.ims[user_id]]
        user = self.users[user_id]
        conversation = Conversation(
            id=self.new_id("D"),
            name=f"DM with {user.name}",
            kind="im",
            is_private=True,
            created=int(time.time()),
            creator=BOT_USER_ID,
            members=[BOT_USER_ID, user_id],
            im_user=user_id,
        )
        self.conversations[conversation.id] = conversation
        self.ims[user_id] = conversation.id
        return conversation

    def open_mpim(self, user_ids: list[str]) -> Conversation:
        """Return the group DM between the bot and `user_ids`."""
        key = frozenset([BOT_USER_ID, *user_ids])
        if key in self.mpims:
            return self.conversations[self.mpims[key]]
        names = sorted(self.users[user].name for user in key)
        conversation = Conversation(
            id=self.new_id("G"),
            name="mpdm-" + "--".join(names),
            kind="mpim",
            is_private=True,
            created=int(time.time()),
            creator=BOT_USER_ID,
            members=sorted(key),
        )
        self.conversations[conversation.id] = conversation
        self.mpims[key] = conversation.id
        return conversation

    def find_message(self, channel: str, ts: str) -> Message | None:
        """Return the current version of a channel message, if it exists."""
        return self.messages.get(channel, {}).get(ts)

    def find_ephemeral(self, channel: str, ts: str) -> Ephemeral | None:
        """Return an ephemeral message by conversation and ts."""
        for ephemeral in self.ephemerals:
            if ephemeral.channel == channel and ephemeral.ts == ts:
                return ephemeral
        return None

    def post(
        self,
        conversation: Conversation,
        text: str,
        blocks: list[dict[str, Any]],
        *,
        user: str = BOT_USER_ID,
        thread_ts: str | None = None,
    ) -> Message:
        """Store a new message and note who saw it."""
        ts = self.new_ts()
        message = Message(conversation.id, ts, user, text, stamped(blocks), thread_ts)
        self.messages.setdefault(conversation.id, {})[message.ts] = message
        kind = "dm" if conversation.kind == "im" else "message"
        if thread_ts:
            kind = "reply"
        self.note(kind, conversation, user, flatten(text, blocks))
        return message

    def post_ephemeral(
        self,
        conversation: Conversation,
        user: str,
        text: str,
        blocks: list[dict[str, Any]],
    ) -> Ephemeral:
        """Store a message only `user` sees, and note it."""
        ephemeral = Ephemeral(
            conversation.id, user, self.new_ts(), text, stamped(blocks)
        )
        self.ephemerals.append(ephemeral)
        self.note("ephemeral", conversation, BOT_USER_ID, flatten(text, blocks), [user])
        return ephemeral

    def audience(self, conversation: Conversation) -> list[str]:
        """Return the people (not bots) who see what happens in a conversation."""
        return [
            member
            for member in conversation.members
            if member in self.users and not self.users[member].is_bot
        ]

    def issue_trigger(self, user: str) -> str:
        """Hand out a trigger_id, as Slack does with each interaction."""
        trigger_id = f"{int(time.time())}.{next(self._ids)}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(user, self.clock())
        return trigger_id

    def note(
        self,
        kind: str,
        where: Conversation | str,
        actor: str,
        text: str,
        audience: list[str] | None = None,
    ) -> None:
        """Append a transcript entry; audience defaults to the members now."""
        if audience is None:
            if not isinstance(where, Conversation):
                raise TypeError("note() needs an audience when `where` is a label")
            audience = self.audience(where)
        label = where.label if isinstance(where, Conversation) else where
        names = tuple(self._name(user) for user in audience)
        self.transcript.append(
            TranscriptEntry(
                at=time.time(),
                kind=kind,
                channel=label,
                audience=tuple(audience),
                audience_names=names,
                actor=self._name(actor),
                text=text,
            )
        )

    def _name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user else user_id
