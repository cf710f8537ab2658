"""Messages, Block Kit limits, ephemerals, pins and modals via WebClient."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.devtools.slack_emulator import BOT_USER_ID, SlackEmulator
from tests.devtools.conftest import ALICE, BOB, FakeClock


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **extra}


@pytest.fixture
def channel(client: WebClient) -> str:
    created = client.conversations_create(name="inc-chat")["channel"]["id"]
    client.conversations_invite(channel=created, users=ALICE.id)
    return created


def _post_error(client: WebClient, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(**kwargs)
    return raised.value.response.data


def test_post_returns_unique_ts_and_keeps_blocks(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    first = client.chat_postMessage(channel=channel, text="one")
    second = client.chat_postMessage(
        channel=channel, text="two", blocks=[_section("*two*")]
    )

    assert first["ts"] != second["ts"]
    assert second["message"]["blocks"][0]["text"]["text"] == "*two*"
    stored = emulator.messages_in(channel)
    assert [m["text"] for m in stored] == ["one", "two"]
    # Slack gives every block a block_id when the app sent none.
    assert stored[1]["blocks"][0]["block_id"]


def test_post_to_a_user_id_lands_in_their_dm(
    client: WebClient, emulator: SlackEmulator
) -> None:
    posted = client.chat_postMessage(channel=BOB.id, text="you own this")

    assert posted["channel"] == emulator.dm_channel_for(BOB.id)
    assert emulator.messages_in(posted["channel"])[0]["text"] == "you own this"


def test_post_accepts_blocks_as_a_json_string_in_a_form_body(
    emulator: SlackEmulator, channel: str
) -> None:
    client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
    response = client.api_call(
        "chat.postMessage",
        params={"channel": channel, "blocks": '[{"type": "divider"}]'},
    )
    assert response["message"]["blocks"][0]["type"] == "divider"
    assert (
        emulator.calls_to("chat.postMessage")[-1].args["blocks"][0]["type"] == "divider"
    )


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C0MISSING", "text": "x"}, "channel_not_found"),
        ({"channel": "", "text": "x"}, "channel_not_found"),
        ({"text": ""}, "no_text"),
        ({"text": "x" * 40_001}, "msg_too_long"),
    ],
)
def test_post_errors(
    client: WebClient, channel: str, kwargs: dict[str, Any], error: str
) -> None:
    kwargs.setdefault("channel", channel)
    assert _post_error(client, **kwargs)["error"] == error


def test_post_needs_the_bot_in_the_channel(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    client.conversations_archive(channel=channel)
    assert _post_error(client, channel=channel, text="x")["error"] == "is_archived"

    other = client.conversations_create(name="inc-other")["channel"]["id"]
    emulator.remove_member(other, BOT_USER_ID)
    assert _post_error(client, channel=other, text="x")["error"] == "not_in_channel"


LIMITS = [
    (
        [_section("x" * 3001)],
        "must be less than 3001 characters",
        "/blocks/0/text/text",
    ),
    ([_section("ok")] * 51, "no more than 50 items allowed", "/blocks"),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
        "no more than 10 items allowed",
        "/blocks/0/fields",
    ),
    (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "must be less than 2001 characters",
        "/blocks/0/fields/0/text",
    ),
    (
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "must be less than 151 characters",
        "/blocks/0/text/text",
    ),
    (
        [{"type": "actions", "elements": [_button("b" * 76, action_id="a")]}],
        "must be less than 76 characters",
        "/blocks/0/elements/0/text/text",
    ),
    (
        [{"type": "actions", "elements": [_button("b", value="v" * 2001)]}],
        "must be less than 2001 characters",
        "/blocks/0/elements/0/value",
    ),
    (
        [{"type": "actions", "elements": [_button("b", action_id="a" * 256)]}],
        "must be less than 256 characters",
        "/blocks/0/elements/0/action_id",
    ),
    (
        [{"type": "divider", "block_id": "b" * 256}],
        "must be less than 256",
        "/blocks/0/block_id",
    ),
    (
        [{"type": "actions", "elements": [_button(str(n)) for n in range(26)]}],
        "no more than 25 items allowed",
        "/blocks/0/elements",
    ),
    (
        [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
        "no more than 10 items allowed",
        "/blocks/0/elements",
    ),
]


@pytest.mark.parametrize(("blocks", "problem", "pointer"), LIMITS)
def test_block_kit_limits_answer_invalid_blocks_with_a_pointer(
    client: WebClient, channel: str, blocks: list[Any], problem: str, pointer: str
) -> None:
    data = _post_error(client, channel=channel, text="fallback", blocks=blocks)

    assert data["error"] == "invalid_blocks"
    messages = data["response_metadata"]["messages"]
    assert any(
        m.startswith("[ERROR] " + problem) and m.endswith(f"[json-pointer:{pointer}]")
        for m in messages
    ), messages


def test_block_limit_message_matches_slacks_wording(
    client: WebClient, channel: str
) -> None:
    data = _post_error(client, channel=channel, text="t", blocks=[_section("x" * 3001)])
    assert data["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
    ]


def test_update_replaces_a_bot_message(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    ts = client.chat_postMessage(
        channel=channel, text="pending", blocks=[_section("a")]
    )["ts"]
    client.chat_update(channel=channel, ts=ts, text="approved")

    [message] = emulator.messages_in(channel)
    assert message["text"] == "approved"
    assert message["blocks"][0]["text"]["text"] == "a"  # omitted blocks are kept
    assert "edited" in message

    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=channel, ts="1.000001", text="x")
    assert raised.value.response["error"] == "message_not_found"


def test_update_refuses_someone_elses_message(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    human_ts = emulator.post_as(ALICE.id, channel, "mine")
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(channel=channel, ts=human_ts, text="x")
    assert raised.value.response["error"] == "cant_update_message"


def test_ephemeral_reaches_members_only(
    client: WebClient, emulator: SlackEmulator, channel: str
) -> None:
    client.chat_postEphemeral(channel=channel, user=ALICE.id, text="only you")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postEphemeral(channel=channel, user=BOB.id, text="not you")

    assert raised.value.response["error"] == "user_not_in_channel"
    assert [e["text"] for e in emulator.ephemerals_for(ALICE.id)] == ["only you"]
    assert emulator.ephemerals_for(BOB.id) == []


def test_pins(client: WebClient, emulator: SlackEmulator, channel: str) -> None:
    ts = client.chat_postMessage(channel=channel, text="status")["ts"]
    client.pins_add(channel=channel, timestamp=ts)

    with pytest.raises(SlackApiError) as again:
        client.pins_add(channel=channel, timestamp=ts)
    with pytest.raises(SlackApiError) as missing:
        client.pins_add(channel=channel, timestamp="1.000001")

    assert again.value.response["error"] == "already_pinned"
    assert missing.value.response["error"] == "message_not_found"
    assert [m["ts"] for m in emulator.pins_in(channel)] == [ts]
    assert client.pins_list(channel=channel)["items"][0]["message"]["text"] == "status"


def test_views_open_needs_a_fresh_trigger(
    client: WebClient, emulator: SlackEmulator
) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Contain"},
        "blocks": [_section("Are you sure?")],
    }
    with pytest.raises(SlackApiError) as missing:
        client.api_call("views.open", json={"view": view})
    assert missing.value.response["error"] == "invalid_arguments"

    trigger = emulator.new_trigger_id(ALICE.id)
    opened = client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError) as reused:
        client.views_open(trigger_id=trigger, view=view)

    assert opened["view"]["id"].startswith("V")
    assert reused.value.response["error"] == "trigger_exchanged"
    assert emulator.views_for(ALICE.id)[0]["title"]["text"] == "Contain"


def test_views_open_reports_limits_under_view(
    client: WebClient, emulator: SlackEmulator
) -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "t" * 25},
        "blocks": [_section("ok")] * 101,
    }
    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=emulator.new_trigger_id(ALICE.id), view=view)

    messages = raised.value.response["response_metadata"]["messages"]
    assert raised.value.response["error"] == "invalid_arguments"
    assert "[json-pointer:/view/title/text]" in messages[0]
    assert messages[-1].endswith("[json-pointer:/view/blocks]")


def test_blocks_that_are_not_json_answer_invalid_blocks_format(
    client: WebClient, channel: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call(
            "chat.postMessage", params={"channel": channel, "blocks": "[{not json"}
        )
    assert raised.value.response["error"] == "invalid_blocks_format"


def test_trigger_expires_after_three_seconds(
    client: WebClient, emulator: SlackEmulator, clock: FakeClock
) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Late"}}
    trigger = emulator.new_trigger_id(ALICE.id)
    clock.advance(3.5)

    with pytest.raises(SlackApiError) as raised:
        client.views_open(trigger_id=trigger, view=view)
    assert raised.value.response["error"] == "expired_trigger_id"


def test_concurrent_posts_get_distinct_timestamps(
    emulator: SlackEmulator, channel: str
) -> None:
    def post(n: int) -> str:
        client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
        return client.chat_postMessage(channel=channel, text=str(n))["ts"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        stamps = list(pool.map(post, range(40)))

    assert len(set(stamps)) == 40
    assert len(emulator.messages_in(channel)) == 40
