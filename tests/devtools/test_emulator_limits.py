"""Authentication, rate-limit tiers and injected faults, seen through WebClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.devtools.slack_emulator import SlackEmulator
from bot.devtools.slack_emulator.ratelimit import RateLimiter, Tier
from tests.devtools.conftest import ALICE, FakeClock


@pytest.fixture
def limited(clock: FakeClock) -> Iterator[SlackEmulator]:
    # At a tenth of Slack's limits Tier 2 allows two calls, then one every 30 s.
    with SlackEmulator(users=[ALICE], rate_limit_scale=0.1, clock=clock) as running:
        yield running


def test_missing_and_wrong_tokens(emulator: SlackEmulator) -> None:
    for token, error in ((None, "not_authed"), ("xoxb-wrong", "invalid_auth")):
        client = WebClient(token=token, base_url=emulator.api_url)
        with pytest.raises(SlackApiError) as raised:
            client.auth_test()
        assert raised.value.response["error"] == error
        assert raised.value.response.status_code == 200


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("conversations.teleport")
    assert raised.value.response["error"] == "unknown_method"


def test_calls_are_recorded_without_the_token(
    client: WebClient, emulator: SlackEmulator
) -> None:
    client.api_call("auth.test", params={"token": emulator.bot_token})
    [call] = emulator.calls_to("auth.test")
    assert call.ok and call.status == 200 and call.error is None
    assert "token" not in call.args


def test_tier_limit_answers_429_with_retry_after(
    limited: SlackEmulator, clock: FakeClock
) -> None:
    client = WebClient(token=limited.bot_token, base_url=limited.api_url)
    client.conversations_create(name="a")
    client.conversations_create(name="b")
    with pytest.raises(SlackApiError) as raised:
        client.conversations_create(name="c")

    assert raised.value.response.status_code == 429
    assert raised.value.response["error"] == "ratelimited"
    assert raised.value.response.headers["Retry-After"] == "30"
    assert limited.calls_to("conversations.create")[-1].error == "ratelimited"

    clock.advance(30)
    assert client.conversations_create(name="c")["ok"]


def test_post_message_is_limited_per_channel(limited: SlackEmulator) -> None:
    client = WebClient(token=limited.bot_token, base_url=limited.api_url)
    first = client.conversations_create(name="one")["channel"]["id"]
    second = client.conversations_create(name="two")["channel"]["id"]
    client.chat_postMessage(channel=first, text="1")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel=first, text="2")

    assert raised.value.response.status_code == 429
    assert client.chat_postMessage(channel=second, text="1")["ok"]


def test_rate_limiter_tiers_at_full_scale(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    allowed = 0
    while limiter.check("pins.add", Tier.TIER_2) == 0:
        allowed += 1
    assert allowed == 20
    assert limiter.check("auth.test", Tier.TIER_1) == 0
    assert limiter.check("auth.test", Tier.TIER_1) == 60


def test_injected_429_is_recovered_by_the_rate_limit_retry_handler(
    emulator: SlackEmulator,
) -> None:
    emulator.inject("chat.postMessage", status=429, retry_after=0, times=1)
    client = WebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )

    posted = client.chat_postMessage(channel=ALICE.id, text="made it")

    assert posted["ok"]
    assert [c.status for c in emulator.calls_to("chat.postMessage")] == [429, 200]


def test_injected_500_is_recovered_by_the_server_error_retry_handler(
    emulator: SlackEmulator,
) -> None:
    emulator.inject("users.info", status=500, times=2)
    client = WebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[
            ServerErrorRetryHandler(
                max_retry_count=2,
                interval_calculator=FixedValueRetryIntervalCalculator(0.01),
            )
        ],
    )

    assert client.users_info(user=ALICE.id)["user"]["id"] == ALICE.id
    assert [c.status for c in emulator.calls_to("users.info")] == [500, 500, 200]


def test_injected_error_without_a_retry_handler_surfaces(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.inject("auth.test", status=200, error="fatal_error")
    with pytest.raises(SlackApiError) as raised:
        client.auth_test()
    assert raised.value.response["error"] == "fatal_error"
    assert client.auth_test()["ok"]
