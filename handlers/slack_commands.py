"""The `/contain` slash command."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import commands
from bot.context import Context

logger = logging.getLogger(__name__)


def register(app: App, ctx: Context) -> None:
    @app.command("/contain")
    def contain(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        # Slack wants an answer within 3 seconds: say something at once, then work.
        ack()
        reply = commands.dispatch(
            ctx,
            text=command.get("text", ""),
            user_id=command["user_id"],
            channel_id=command.get("channel_id", ""),
        )
        respond(text=reply, response_type="ephemeral")
