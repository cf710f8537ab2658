"""One error handler for every Slack listener."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App

from bot.errors import ContainbotError
from bot.slack import messages

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    @app.error
    def handle(error: Exception, body: dict[str, Any], respond: Any) -> None:
        if isinstance(error, ContainbotError):
            reply = str(error)
            logger.warning("request refused: %s", reply)
        else:
            reference = uuid.uuid4().hex[:12]
            reply = messages.INTERNAL_ERROR.format(reference=reference)
            # The body is not logged: it can hold alert text and user data.
            logger.error(
                "unhandled error reference=%s type=%s",
                reference,
                body.get("type") or body.get("command"),
                exc_info=error,
            )
        if respond is not None and body.get("response_url"):
            respond(text=reply, response_type="ephemeral", replace_original=False)
