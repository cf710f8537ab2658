"""Send a Bolt app the requests Slack would send, signed as Slack signs them."""

from __future__ import annotations

import json
import logging
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.devtools.slack_emulator import SlackEmulator
from bot.devtools.slack_emulator.models import APP_ID

logger = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"


class ButtonNotFound(LookupError):
    """The message has no button matching what the test asked to click."""


class SlackDriver:
    """Play the part of Slack's servers towards a Bolt app's events URL."""

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        team_id: str | None = None,
        *,
        team_domain: str = "containbot-demo",
        api_app_id: str = APP_ID,
        verification_token: str = "emulated-verification-token",
        timeout: float = 10.0,
    ) -> None:
        self.events_url = events_url
        self.emulator = emulator
        self.team_id = team_id or emulator.team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self.last_trigger_id: str | None = None
        self._verifier = SignatureVerifier(signing_secret)
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def slash_command(
        self,
        user_id: str,
        text: str,
        command: str = "/contain",
        channel_id: str | None = None,
    ) -> httpx.Response:
        """Run a slash command; without `channel_id` it runs in the user's DM."""
        channel_id = channel_id or self.emulator.dm_channel_for(user_id)
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.emulator.new_response_url(channel_id, user_id),
            "trigger_id": self._trigger(user_id),
        }
        logger.debug("driver sends %s from %s in %s", command, user_id, channel_id)
        return self.send_raw(urlencode(fields).encode(), FORM)

    def click(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        ticks: dict[str, list[str]] | None = None,
    ) -> httpx.Response:
        """Click a button that is really in the emulator's copy of the message."""
        payload = self.click_payload(
            user_id, channel_id, message_ts, action_id, value, block_id, ticks
        )
        return self.send_payload(payload)

    def click_payload(
        self,
        user_id: str,
        channel_id: str,
        message_ts: str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        ticks: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """Build the `block_actions` payload Slack would send for a click.

        Sending one payload twice is what a double click or a retry looks like.
        `ticks` maps a checkboxes block_id to the option values the person left
        ticked; boxes not named keep their initial options, as in Slack.
        """
        message, is_ephemeral = self._find_message(user_id, channel_id, message_ts)
        found_block_id, button = _find_button(message, action_id, value, block_id)
        action = {
            "action_id": action_id,
            "block_id": found_block_id,
            "text": button.get("text"),
            "value": button.get("value"),
            "type": button.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if "style" in button:
            action["style"] = button["style"]
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            },
            "trigger_id": self._trigger(user_id),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "state": {"values": _state_of(message, ticks or {})},
            "response_url": self.emulator.new_response_url(
                channel_id, user_id, message_ts
            ),
            "actions": [action],
        }
        # Slack leaves the message out of the payload when it was ephemeral.
        if not is_ephemeral:
            payload["message"] = message
        logger.debug("driver clicks %s for %s in %s", action_id, user_id, channel_id)
        return payload

    def view_submission(
        self, user_id: str, view_id: str, values: dict[str, Any]
    ) -> httpx.Response:
        """Submit an open modal with `values` shaped like Slack's `state.values`."""
        views = [v for v in self.emulator.views_for(user_id) if v["id"] == view_id]
        if not views:
            raise LookupError(f"no modal {view_id!r} is open for {user_id}")
        view = {key: value for key, value in views[-1].items() if key != "user"}
        view["state"] = {"values": values}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(user_id),
            "view": view,
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self.send_payload(payload)

    def send_raw(
        self,
        body: bytes,
        content_type: str,
        *,
        signature: str | None = None,
        timestamp: str | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST `body` signed for now, unless a signature or timestamp is forced."""
        timestamp = timestamp or str(int(time.time()))
        if signature is None:
            signature = self._verifier.generate_signature(
                timestamp=timestamp, body=body
            )
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature or "",
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        }
        headers.update(extra_headers or {})
        return self._http.post(self.events_url, content=body, headers=headers)

    def send_payload(self, payload: dict[str, Any]) -> httpx.Response:
        """Send an interactivity payload, form-encoded and signed."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.send_raw(body, FORM)

    def _trigger(self, user_id: str) -> str:
        self.last_trigger_id = self.emulator.new_trigger_id(user_id)
        return self.last_trigger_id

    def _user(self, user_id: str) -> dict[str, str]:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _user_name(self, user_id: str) -> str:
        user = self.emulator.user(user_id)
        if user is None:
            raise LookupError(f"no user {user_id!r} in the emulated workspace")
        return user.name

    def _channel_name(self, channel_id: str) -> str:
        conversation = self.emulator.conversation(channel_id)
        if conversation is None:
            raise LookupError(f"no conversation {channel_id!r} in the emulator")
        # Slack hides the names of DMs and private channels in these payloads.
        if conversation["is_im"]:
            return "directmessage"
        if conversation["is_private"] and not conversation["is_mpim"]:
            return "privategroup"
        return str(conversation["name"])

    def _find_message(
        self, user_id: str, channel_id: str, ts: str
    ) -> tuple[dict[str, Any], bool]:
        message = self.emulator.message(channel_id, ts)
        if message is not None:
            return message, False
        for ephemeral in self.emulator.ephemerals_for(user_id):
            if ephemeral["channel"] == channel_id and ephemeral["ts"] == ts:
                return ephemeral, True
        raise ButtonNotFound(
            f"no message {ts} in {channel_id} that {user_id} can see; "
            "post it first or check the ts"
        )


def _find_button(
    message: dict[str, Any],
    action_id: str,
    value: str | None,
    block_id: str | None,
) -> tuple[str, dict[str, Any]]:
    """Return the block_id and element of the matching button in a message."""
    for block in message.get("blocks") or []:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        elements = (
            list(block.get("elements") or []) if block["type"] == "actions" else []
        )
        if "accessory" in block:
            elements.append(block["accessory"])
        for element in elements:
            if element.get("action_id") != action_id:
                continue
            if value is not None and element.get("value") != value:
                continue
            return str(block.get("block_id", "")), element
    wanted = action_id if value is None else f"{action_id} with value {value!r}"
    raise ButtonNotFound(f"the message at {message.get('ts')} has no button {wanted}")


def _state_of(message: dict[str, Any], ticks: dict[str, list[str]]) -> dict[str, Any]:
    """The values of a message's checkboxes, as Slack sends them with a click."""
    values: dict[str, Any] = {}
    for block in message.get("blocks", []):
        for element in block.get("elements", []):
            if element.get("type") != "checkboxes":
                continue
            block_id = block["block_id"]
            options = element.get("options", [])
            if block_id in ticks:
                chosen = [o for o in options if o["value"] in ticks[block_id]]
            else:
                chosen = list(element.get("initial_options", []))
            values.setdefault(block_id, {})[element["action_id"]] = {
                "type": "checkboxes",
                "selected_options": chosen,
            }
    return values
