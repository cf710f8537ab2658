"""Channel creation, invites, topics and DMs through slack_sdk's WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.devtools.slack_emulator import BOT_USER_ID, SlackEmulator
from tests.devtools.conftest import ALICE, BOB, CAROL


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Inc-42", "invalid_name_specials"),
        ("inc 42", "invalid_name_specials"),
        ("inc#42", "invalid_name_specials"),
        ("--", "invalid_name_punctuation"),
    ],
)
def test_create_refuses_names_slack_refuses(
    client: WebClient, name: str, error: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.conversations_create(name=name)
    assert raised.value.response["error"] == error


def test_create_accepts_slack_names_and_makes_the_bot_a_member(
    client: WebClient, emulator: SlackEmulator
) -> None:
    created = client.conversations_create(name="inc-42_" + "a" * 73)["channel"]

    assert len(created["name"]) == 80
    assert created["is_member"] is True
    assert emulator.members_of(created["id"]) == [BOT_USER_ID]
    assert emulator.channel_by_name("#" + created["name"])["id"] == created["id"]


def test_create_refuses_a_taken_name(client: WebClient) -> None:
    client.conversations_create(name="inc-1")
    with pytest.raises(SlackApiError) as raised:
        client.conversations_create(name="inc-1")
    assert raised.value.response["error"] == "name_taken"


def test_invite_adds_users_and_reports_each_refusal(
    client: WebClient, emulator: SlackEmulator
) -> None:
    channel = client.conversations_create(name="inc-2")["channel"]["id"]
    client.conversations_invite(channel=channel, users=f"{ALICE.id},{BOB.id}")
    assert emulator.members_of(channel) == [BOT_USER_ID, ALICE.id, BOB.id]

    with pytest.raises(SlackApiError) as raised:
        client.conversations_invite(channel=channel, users=f"{ALICE.id},{CAROL.id}")
    assert raised.value.response["error"] == "already_in_channel"
    assert raised.value.response["errors"][0]["user"] == ALICE.id
    # Like Slack without force=true: one refusal means nobody is invited.
    assert CAROL.id not in emulator.members_of(channel)

    forced = client.conversations_invite(
        channel=channel, users=f"{ALICE.id},{CAROL.id}", force=True
    )
    assert forced["errors"][0]["error"] == "already_in_channel"
    assert CAROL.id in emulator.members_of(channel)


@pytest.mark.parametrize(
    ("users", "error"),
    [
        ("U0NOBODY", "user_not_found"),
        (BOT_USER_ID, "cant_invite_self"),
        ("", "no_user"),
    ],
)
def test_invite_errors(client: WebClient, users: str, error: str) -> None:
    channel = client.conversations_create(name="inc-3")["channel"]["id"]
    with pytest.raises(SlackApiError) as raised:
        client.conversations_invite(channel=channel, users=users)
    assert raised.value.response["error"] == error


def test_invite_needs_a_real_channel_the_bot_is_in(
    client: WebClient, emulator: SlackEmulator
) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.conversations_invite(channel="C0MISSING", users=ALICE.id)
    assert raised.value.response["error"] == "channel_not_found"

    channel = client.conversations_create(name="inc-4")["channel"]["id"]
    emulator.remove_member(channel, BOT_USER_ID)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_invite(channel=channel, users=ALICE.id)
    assert raised.value.response["error"] == "not_in_channel"

    client.conversations_join(channel=channel)
    joined_again = client.conversations_join(channel=channel)
    assert joined_again["warning"] == "already_in_channel"


def test_set_topic_limits_length_and_needs_membership(
    client: WebClient, emulator: SlackEmulator
) -> None:
    channel = client.conversations_create(name="inc-5")["channel"]["id"]
    client.conversations_setTopic(channel=channel, topic="t" * 250)
    assert emulator.topic_of(channel) == "t" * 250

    with pytest.raises(SlackApiError) as raised:
        client.conversations_setTopic(channel=channel, topic="t" * 251)
    assert raised.value.response["error"] == "too_long"

    client.conversations_archive(channel=channel)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_setTopic(channel=channel, topic="late")
    assert raised.value.response["error"] == "is_archived"


def test_info_and_members_page_through(client: WebClient) -> None:
    channel = client.conversations_create(name="inc-6", is_private=True)["channel"]
    client.conversations_invite(channel=channel["id"], users=f"{ALICE.id},{BOB.id}")

    info = client.conversations_info(channel=channel["id"], include_num_members=True)
    first = client.conversations_members(channel=channel["id"], limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_members(channel=channel["id"], limit=2, cursor=cursor)

    assert info["channel"]["is_private"] is True
    assert info["channel"]["num_members"] == 3
    assert first["members"] + rest["members"] == [BOT_USER_ID, ALICE.id, BOB.id]
    assert rest["response_metadata"]["next_cursor"] == ""


def test_open_gives_one_stable_dm_per_user(
    client: WebClient, emulator: SlackEmulator
) -> None:
    first = client.conversations_open(users=ALICE.id)
    second = client.conversations_open(users=ALICE.id)
    other = client.conversations_open(users=BOB.id)

    assert first["channel"]["id"].startswith("D")
    assert second["channel"]["id"] == first["channel"]["id"]
    assert second["already_open"] is True
    assert other["channel"]["id"] != first["channel"]["id"]
    assert emulator.dm_channel_for(ALICE.id) == first["channel"]["id"]


def test_users_and_usergroups(client: WebClient) -> None:
    assert client.users_info(user=ALICE.id)["user"]["profile"]["email"] == ALICE.email
    found = client.users_lookupByEmail(email="bob@example.com")
    assert found["user"]["id"] == BOB.id
    members = client.usergroups_users_list(usergroup="S0SECOPS")["users"]
    assert members == [ALICE.id, CAROL.id]

    for call, error in (
        (lambda: client.users_info(user="U0NOBODY"), "user_not_found"),
        (lambda: client.users_lookupByEmail(email="x@y.z"), "users_not_found"),
        (lambda: client.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam"),
    ):
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response["error"] == error
