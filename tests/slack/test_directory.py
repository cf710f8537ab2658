"""People named by e-mail are looked up once, and a miss is asked again later."""

from __future__ import annotations

from bot.devtools.slack_emulator import EmulatedUser, SlackEmulator
from bot.people import FORGET_MISSING_AFTER, Directory
from bot.slack.client import make_client


def test_lookups_are_cached_and_misses_expire() -> None:
    now = [0.0]
    bo = EmulatedUser("U02BO", "bo", "Bo", "bo@example.com")
    with SlackEmulator(bot_token="xoxb-t", users=[bo]) as emulator:
        directory = Directory(
            make_client("xoxb-t", base_url=emulator.api_url), clock=lambda: now[0]
        )

        assert directory.resolve("bo@example.com") == "U02BO"
        assert directory.resolve("bo@example.com") == "U02BO"
        assert directory.resolve("new@example.com") is None
        assert directory.resolve("new@example.com") is None
        lookups = len(emulator.calls_to("users.lookupByEmail"))
        now[0] = FORGET_MISSING_AFTER + 1
        assert directory.resolve("new@example.com") is None
        assert directory.resolve("U03CAM") == "U03CAM"

    assert lookups == 2
    assert len(emulator.calls_to("users.lookupByEmail")) == 3
