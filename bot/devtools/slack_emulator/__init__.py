"""A local Slack Web API for the demo and the tests; see `SlackEmulator`."""

from __future__ import annotations

from bot.devtools.slack_emulator.emulator import SlackEmulator
from bot.devtools.slack_emulator.models import (
    BOT_USER_ID,
    EmulatedUser,
    RecordedCall,
    TranscriptEntry,
)
from bot.devtools.slack_emulator.ratelimit import Tier

__all__ = [
    "BOT_USER_ID",
    "EmulatedUser",
    "RecordedCall",
    "SlackEmulator",
    "Tier",
    "TranscriptEntry",
]
