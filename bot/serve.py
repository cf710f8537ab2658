"""`containbot serve`: the bot in a real workspace, Socket Mode or HTTP."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.catalog import load_catalog
from bot.errors import SettingsError
from bot.server import start_server
from bot.settings import Settings

logger = logging.getLogger(__name__)


def serve(*, http: bool, host: str, port: int) -> int:
    """Run until interrupted; the intake routes are served over HTTP either way."""
    settings = Settings.from_env()
    if not http and settings.slack_app_token is None:
        raise SettingsError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs the app-level token "
            "(xapp-...) with connections:write; or run with --http."
        )
    catalog = load_catalog(settings.catalog_path)
    try:
        # Bolt checks the bot token with auth.test as it starts.
        app = create_app(settings, catalog)
    except (SlackApiError, BoltError) as exc:
        raise SettingsError(
            f"Slack refused the bot token ({exc}): check SLACK_BOT_TOKEN"
        ) from exc
    except OSError as exc:
        raise SettingsError(
            f"cannot reach Slack's Web API ({exc}); check the network or SLACK_API_URL"
        ) from exc

    server = start_server(app.web, host=host, port=port)
    logger.warning(
        "containbot serving on %s (%s)",
        server.url,
        "HTTP events" if http else "Socket Mode",
    )
    try:
        if http:
            server.thread.join()
        else:
            assert settings.slack_app_token is not None
            SocketModeHandler(
                app.bolt, settings.slack_app_token.get_secret_value()
            ).start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        app.close()
    return 0
