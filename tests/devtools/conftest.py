"""Fixtures: a running emulator with a few people, and a WebClient for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.devtools.slack_emulator import EmulatedUser, SlackEmulator

ALICE = EmulatedUser("U0ALICE", "alice", "Alice Ops", "alice@example.com")
BOB = EmulatedUser("U0BOB", "bob", "Bob Owner", "Bob@Example.com")
CAROL = EmulatedUser("U0CAROL", "carol", "Carol Sec", "carol@example.com")


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[SlackEmulator]:
    with SlackEmulator(
        users=[ALICE, BOB, CAROL],
        usergroups={"S0SECOPS": [ALICE.id, CAROL.id]},
        rate_limits=False,
        clock=clock,
    ) as running:
        yield running


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=emulator.bot_token, base_url=emulator.api_url)
