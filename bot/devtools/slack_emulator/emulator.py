"""`SlackEmulator`: a local Slack Web API that slack_sdk's WebClient can call."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from bot.devtools.slack_emulator.models import (
    BOT_USER_ID,
    EmulatedUser,
    RecordedCall,
    TranscriptEntry,
)
from bot.devtools.slack_emulator.ratelimit import Fault, FaultInjector, RateLimiter
from bot.devtools.slack_emulator.server import EmulatorApp, ServerThread
from bot.devtools.slack_emulator.state import ResponseTarget, WorkspaceState


class SlackEmulator:
    """Run an emulated workspace over real HTTP and let tests inspect it."""

    bot_user_id = BOT_USER_ID

    def __init__(
        self,
        bot_token: str = "xoxb-containbot-emulator",
        users: Iterable[EmulatedUser] = (),
        usergroups: dict[str, list[str]] | None = None,
        team_id: str = "T0CONTAIN",
        rate_limits: bool = True,
        rate_limit_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self._state = WorkspaceState(
            team_id=team_id, users=users, usergroups=usergroups or {}, clock=clock
        )
        self._faults = FaultInjector()
        limiter = RateLimiter(clock, scale=rate_limit_scale) if rate_limits else None
        app = EmulatorApp(self._state, bot_token, limiter, self._faults)
        self._server = ServerThread(app)

    # Lifecycle

    def start(self) -> SlackEmulator:
        """Start serving on 127.0.0.1 at an ephemeral port."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Return the base URL, such as `http://127.0.0.1:54321`."""
        return f"http://127.0.0.1:{self._server.port}"

    @property
    def api_url(self) -> str:
        """Return the URL to pass as `WebClient(base_url=...)`."""
        return f"{self.url}/api/"

    # Steering

    def inject(
        self,
        method: str,
        *,
        status: int = 500,
        error: str | None = None,
        retry_after: int = 1,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail with `status`."""
        if error is None:
            error = "ratelimited" if status == 429 else "internal_error"
        self._faults.add(method, Fault(status, error, retry_after), times)

    def new_response_url(
        self, channel_id: str, user_id: str, message_ts: str | None = None
    ) -> str:
        """Issue a response_url for an interaction by `user_id` in `channel_id`."""
        with self._state.lock:
            conversation = self._state.resolve(channel_id)
            if conversation is None:
                raise ValueError(f"no conversation {channel_id!r}; create it first")
            key = secrets.token_urlsafe(16)
            target = ResponseTarget(conversation.id, user_id, message_ts)
            self._state.response_targets[key] = target
        return f"{self.url}/response/{key}"

    def new_trigger_id(self, user_id: str) -> str:
        """Issue a trigger_id that `views.open` accepts once, for three seconds."""
        with self._state.lock:
            return self._state.issue_trigger(user_id)

    def remove_member(self, channel_id: str, user_id: str) -> None:
        """Take someone out of a conversation, as a person in Slack could."""
        with self._state.lock:
            found = self._state.conversations.get(channel_id)
            if found is None or user_id not in found.members:
                raise ValueError(f"{user_id} is not a member of {channel_id}")
            found.members.remove(user_id)
            self._state.note("leave", found, user_id, f"{user_id} left")

    def post_as(self, user_id: str, channel_id: str, text: str) -> str:
        """Post a message as a person; return its ts."""
        with self._state.lock:
            found = self._state.resolve(channel_id)
            if found is None or self._state.user(user_id) is None:
                raise ValueError(f"no conversation {channel_id} or user {user_id}")
            return self._state.post(found, text, [], user=user_id).ts

    # Inspection

    @property
    def calls(self) -> list[RecordedCall]:
        """Return every call answered so far, oldest first."""
        with self._state.lock:
            return list(self._state.calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        """Return the calls made to one method (`response_url` for those posts)."""
        return [call for call in self.calls if call.method == method]

    def user(self, user_id: str) -> EmulatedUser | None:
        """Return a workspace user by id."""
        with self._state.lock:
            return self._state.user(user_id)

    def conversation(self, channel_id: str) -> dict[str, Any] | None:
        """Return a conversation as `conversations.info` shows it to the bot."""
        with self._state.lock:
            found = self._state.conversations.get(channel_id)
            return found.to_api(BOT_USER_ID, num_members=True) if found else None

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """Return the channel called `name` (a leading `#` is ignored)."""
        with self._state.lock:
            found = self._state.channel_named(name.removeprefix("#"))
            return found.to_api(BOT_USER_ID, num_members=True) if found else None

    def dm_channel_for(self, user_id: str) -> str:
        """Return the id of the bot's DM with a user, opening it if needed."""
        with self._state.lock:
            if self._state.user(user_id) is None:
                raise ValueError(f"no user {user_id!r} in the emulated workspace")
            return self._state.open_im(user_id).id

    def members_of(self, channel_id: str) -> list[str]:
        """Return a conversation's member ids, in the order they joined."""
        with self._state.lock:
            found = self._state.conversations.get(channel_id)
            return list(found.members) if found else []

    def topic_of(self, channel_id: str) -> str:
        """Return a conversation's current topic."""
        with self._state.lock:
            found = self._state.conversations.get(channel_id)
            return found.topic if found else ""

    def messages_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Return each message in a conversation as it stands now, oldest first."""
        with self._state.lock:
            stored = self._state.messages.get(channel_id, {}).values()
            return [message.to_api(self.team_id) for message in stored]

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """Return one channel message as it stands now."""
        with self._state.lock:
            found = self._state.find_message(channel_id, ts)
            return found.to_api(self.team_id) if found else None

    def ephemerals_for(self, user_id: str) -> list[dict[str, Any]]:
        """Return the ephemeral messages one user was shown, oldest first."""
        with self._state.lock:
            return [
                {
                    "channel": item.channel,
                    "user": item.user,
                    "ts": item.ts,
                    "text": item.text,
                    "blocks": copy.deepcopy(item.blocks),
                }
                for item in self._state.ephemerals
                if item.user == user_id
            ]

    def pins_in(self, channel_id: str) -> list[dict[str, Any]]:
        """Return the pinned messages of a conversation, oldest pin first."""
        with self._state.lock:
            pinned = self._state.pins.get(channel_id, {})
            found = (self._state.find_message(channel_id, ts) for ts in pinned)
            return [message.to_api(self.team_id) for message in found if message]

    def views_for(self, user_id: str) -> list[dict[str, Any]]:
        """Return the modals opened for a user, oldest first."""
        with self._state.lock:
            views = self._state.views.values()
            return [copy.deepcopy(v) for v in views if v.get("user") == user_id]

    def transcript(self) -> list[TranscriptEntry]:
        """Return what people saw, in order: messages, DMs, ephemerals, changes."""
        with self._state.lock:
            return list(self._state.transcript)

    def transcript_text(self) -> str:
        """Render the transcript as readable text, times relative to the first entry."""
        entries = self.transcript()
        start = entries[0].at if entries else 0.0
        return "\n".join(entry.render(start) for entry in entries)
