"""Records the emulator keeps: users, conversations, messages, calls, transcript."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = "U0CONTAINBOT"
BOT_ID = "B0CONTAINBOT"
APP_ID = "A0CONTAINBOT"


@dataclass(frozen=True)
class EmulatedUser:
    """A person (or bot) in the emulated workspace."""

    id: str
    name: str
    real_name: str
    email: str
    is_bot: bool = False

    def to_api(self, team_id: str) -> dict[str, Any]:
        """Render the user as `users.info` returns it."""
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": False,
            "is_bot": self.is_bot,
            "is_admin": False,
            "tz": "Etc/UTC",
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "email": self.email,
                "team": team_id,
            },
        }


@dataclass
class Conversation:
    """A public or private channel, a DM (`im`) or a group DM (`mpim`)."""

    id: str
    name: str
    kind: str
    is_private: bool
    created: int
    creator: str
    members: list[str] = field(default_factory=list)
    topic: str = ""
    topic_set_by: str = ""
    topic_set_at: int = 0
    purpose: str = ""
    is_archived: bool = False
    im_user: str | None = None

    @property
    def label(self) -> str:
        """Name a person would read: `#name` for channels, `DM` otherwise."""
        return f"#{self.name}" if self.kind == "channel" else self.name

    def to_api(self, viewer: str, *, num_members: bool = False) -> dict[str, Any]:
        """Render the conversation as `conversations.info` returns it."""
        rendered: dict[str, Any] = {
            "id": self.id,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_im": self.kind == "im",
            "is_mpim": self.kind == "mpim",
            "is_private": self.is_private,
        }
        if self.kind == "im":
            rendered.update(user=self.im_user, is_open=True)
            return rendered
        rendered.update(
            name=self.name,
            name_normalized=self.name,
            is_channel=self.kind == "channel",
            is_group=self.kind == "mpim",
            is_general=False,
            creator=self.creator,
            is_member=viewer in self.members,
            topic={
                "value": self.topic,
                "creator": self.topic_set_by,
                "last_set": self.topic_set_at,
            },
            purpose={"value": self.purpose, "creator": "", "last_set": 0},
        )
        if num_members:
            rendered["num_members"] = len(self.members)
        return rendered


@dataclass
class Message:
    """A message as it stands now; updates overwrite text and blocks."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    edited_ts: str | None = None

    def to_api(self, team_id: str) -> dict[str, Any]:
        """Render the message as Slack returns it in `message` fields."""
        rendered: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "text": self.text,
            "ts": self.ts,
            "team": team_id,
        }
        if self.user == BOT_USER_ID:
            rendered.update(bot_id=BOT_ID, app_id=APP_ID)
        if self.blocks:
            rendered["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts:
            rendered["thread_ts"] = self.thread_ts
        if self.edited_ts:
            rendered["edited"] = {"user": self.user, "ts": self.edited_ts}
        return rendered


@dataclass
class Ephemeral:
    """A message shown to one user only, kept so a later click can find it."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]


@dataclass(frozen=True)
class RecordedCall:
    """One request the emulator answered; `args` never holds the token."""

    method: str
    args: dict[str, Any]
    status: int
    ok: bool
    error: str | None
    at: float


@dataclass(frozen=True)
class TranscriptEntry:
    """One thing people saw, in the order it happened."""

    at: float
    kind: str
    channel: str
    audience: tuple[str, ...]
    audience_names: tuple[str, ...]
    actor: str
    text: str

    def render(self, start: float = 0.0) -> str:
        """Render the entry as one readable block of text."""
        who = ", ".join(self.audience_names) or "nobody"
        head = f"+{self.at - start:7.2f}s {self.channel} [{self.kind}] seen by {who}"
        body = "\n".join(f"    {row}" for row in self.text.splitlines() or [""])
        return f"{head}\n{body}"
