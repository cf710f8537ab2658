"""The driver feeds a real Bolt app signed requests; it answers via the emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from werkzeug.serving import make_server

from bot.devtools.slack_driver import ButtonNotFound, SlackDriver
from bot.devtools.slack_emulator import SlackEmulator
from tests.devtools.conftest import ALICE

SECRET = "test-signing-secret"
CONFIRM_VIEW = {
    "type": "modal",
    "callback_id": "confirm",
    "title": {"type": "plain_text", "text": "Confirm"},
    "submit": {"type": "plain_text", "text": "Contain"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Reason"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


def _build_app(emulator: SlackEmulator, seen_headers: list[dict[str, Any]]) -> App:
    client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
    # process_before_response keeps listeners synchronous, so tests need not wait.
    app = App(signing_secret=SECRET, client=client, process_before_response=True)

    @app.middleware
    def remember_headers(req: Any, resp: Any, next: Any) -> Any:
        seen_headers.append(dict(req.headers))
        return next()

    @app.command("/contain")
    def contain(
        ack: Ack, respond: Respond, command: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        if command["text"] == "form":
            client.views_open(trigger_id=command["trigger_id"], view=CONFIRM_VIEW)
            return
        respond(f"Containing {command['text']}")
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Approve"},
            "action_id": "approve",
            "value": command["text"],
        }
        client.chat_postMessage(
            channel=command["channel_id"],
            text="Approve containment?",
            blocks=[{"type": "actions", "elements": [button]}],
        )

    @app.action("approve")
    def approve(ack: Ack, respond: Respond, body: dict[str, Any]) -> None:
        ack()
        respond(
            replace_original=True,
            text=f"Approved {body['actions'][0]['value']} by {body['user']['name']}",
        )

    @app.view("confirm")
    def confirm(
        ack: Ack, view: dict[str, Any], body: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        reason = view["state"]["values"]["reason"]["text"]["value"]
        client.chat_postMessage(channel=body["user"]["id"], text=f"Reason: {reason}")

    return app


@pytest.fixture
def seen_headers() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def driver(
    emulator: SlackEmulator, seen_headers: list[dict[str, Any]]
) -> Iterator[SlackDriver]:
    handler = SlackRequestHandler(_build_app(emulator, seen_headers))
    server = make_server("127.0.0.1", 0, handler, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"
    with SlackDriver(url, SECRET, emulator) as running:
        yield running
    server.shutdown()
    server.server_close()


@pytest.fixture
def channel(emulator: SlackEmulator) -> str:
    client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
    created = client.conversations_create(name="inc-drive")["channel"]["id"]
    client.conversations_invite(channel=created, users=ALICE.id)
    return created


def test_signed_slash_command_reaches_the_app(
    driver: SlackDriver, emulator: SlackEmulator, channel: str
) -> None:
    response = driver.slash_command(ALICE.id, "payments-api", channel_id=channel)

    assert response.status_code == 200
    assert emulator.ephemerals_for(ALICE.id)[0]["text"] == "Containing payments-api"
    assert emulator.messages_in(channel)[0]["text"] == "Approve containment?"


def test_signed_click_on_the_posted_button(
    driver: SlackDriver, emulator: SlackEmulator, channel: str
) -> None:
    driver.slash_command(ALICE.id, "payments-api", channel_id=channel)
    ts = emulator.messages_in(channel)[0]["ts"]

    response = driver.click(ALICE.id, channel, ts, "approve", value="payments-api")

    assert response.status_code == 200
    assert emulator.messages_in(channel)[0]["text"] == "Approved payments-api by alice"
    with pytest.raises(ButtonNotFound):
        driver.click(ALICE.id, channel, ts, "approve", value="other-workload")


def test_modal_opened_from_a_command_and_submitted(
    driver: SlackDriver, emulator: SlackEmulator
) -> None:
    assert driver.slash_command(ALICE.id, "form").status_code == 200
    [view] = emulator.views_for(ALICE.id)

    values = {"reason": {"text": {"type": "plain_text_input", "value": "leaked key"}}}
    response = driver.view_submission(ALICE.id, view["id"], values)

    assert response.status_code == 200
    dm = emulator.dm_channel_for(ALICE.id)
    assert emulator.messages_in(dm)[-1]["text"] == "Reason: leaked key"


def test_forged_or_stale_signatures_are_refused(driver: SlackDriver) -> None:
    body = b"command=%2Fcontain&text=x"
    form = "application/x-www-form-urlencoded"
    stale = str(int(time.time()) - 600)

    forged = driver.send_raw(body, form, signature="v0=" + "0" * 64)
    too_old = driver.send_raw(body, form, timestamp=stale)

    assert forged.status_code == 401
    assert too_old.status_code == 401


def test_retry_headers_are_passed_through(
    driver: SlackDriver, emulator: SlackEmulator, seen_headers: list[dict[str, Any]]
) -> None:
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    body = b"token=t&command=%2Funknown&text=&user_id=" + ALICE.id.encode()

    driver.send_raw(body, "application/x-www-form-urlencoded", extra_headers=retry)

    assert seen_headers[-1]["x-slack-retry-num"] == ["1"]
    assert seen_headers[-1]["x-slack-retry-reason"] == ["http_timeout"]
