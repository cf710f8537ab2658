"""response_url posts and the transcript of what each person saw."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.devtools.slack_emulator import SlackEmulator
from tests.devtools.conftest import ALICE, BOB


@pytest.fixture
def channel(client: WebClient) -> str:
    created = client.conversations_create(name="inc-log")["channel"]["id"]
    client.conversations_invite(channel=created, users=ALICE.id)
    return created


def test_response_url_defaults_to_an_ephemeral_for_the_user(
    emulator: SlackEmulator, channel: str
) -> None:
    url = emulator.new_response_url(channel, ALICE.id)

    reply = WebhookClient(url).send(text="only alice sees this")

    assert reply.status_code == 200
    assert [e["text"] for e in emulator.ephemerals_for(ALICE.id)] == [
        "only alice sees this"
    ]
    assert emulator.messages_in(channel) == []
    [call] = emulator.calls_to("response_url")
    assert call.ok and call.args["text"] == "only alice sees this"


def test_response_url_in_channel_and_replace_original(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    ts = client.chat_postMessage(channel=channel, text="Approve?")["ts"]
    url = emulator.new_response_url(channel, ALICE.id, message_ts=ts)

    WebhookClient(url).send(text="Approved by alice", replace_original=True)
    WebhookClient(url).send(text="Everyone sees this", response_type="in_channel")

    assert [m["text"] for m in emulator.messages_in(channel)] == [
        "Approved by alice",
        "Everyone sees this",
    ]


def test_response_url_delete_original_and_bad_urls(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    ts = client.chat_postMessage(channel=channel, text="soon gone")["ts"]
    url = emulator.new_response_url(channel, ALICE.id, message_ts=ts)

    deleted = httpx.post(url, json={"delete_original": True})
    empty = httpx.post(url, json={})
    unknown = httpx.post(f"{emulator.url}/response/nope", json={"text": "x"})

    assert deleted.status_code == 200 and emulator.messages_in(channel) == []
    assert (empty.status_code, empty.text) == (400, "no_text")
    assert (unknown.status_code, unknown.text) == (404, "expired_url")


def test_transcript_lists_what_each_person_saw_in_order(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Incident 7"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*payments-api* key leaked"},
            "fields": [
                {"type": "mrkdwn", "text": "*Owner* bob"},
                {"type": "mrkdwn", "text": "*Sev* high"},
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "from GuardDuty"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "action_id": "approve",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Deny"},
                    "action_id": "deny",
                },
            ],
        },
    ]
    client.conversations_setTopic(channel=channel, topic="Containing payments-api")
    ts = client.chat_postMessage(channel=channel, text="Incident 7", blocks=blocks)[
        "ts"
    ]
    client.pins_add(channel=channel, timestamp=ts)
    client.chat_postMessage(channel=BOB.id, text="You own payments-api")
    client.chat_postEphemeral(channel=channel, user=ALICE.id, text="Only you")
    client.chat_update(channel=channel, ts=ts, text="Approved", blocks=[])

    entries = emulator.transcript()

    kinds = [entry.kind for entry in entries]
    assert kinds == [
        "created",
        "invite",
        "topic",
        "message",
        "pin",
        "dm",
        "ephemeral",
        "update",
    ]
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    message = entries[3]
    assert message.channel == "#inc-log"
    assert message.audience == (ALICE.id,)
    assert message.text.splitlines() == [
        "== Incident 7 ==",
        "*payments-api* key leaked",
        "*Owner* bob",
        "*Sev* high",
        "from GuardDuty",
        "[Approve] [Deny]",
    ]
    assert entries[5].audience_names == ("bob",)
    assert entries[5].channel == "DM with bob"
    assert entries[6].audience == (ALICE.id,)
    assert entries[7].text == "Approved"
    rendered = emulator.transcript_text()
    assert "#inc-log [message] seen by alice" in rendered
    assert "    [Approve] [Deny]" in rendered
