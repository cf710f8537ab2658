"""`containbot serve`: the bot in a real workspace, Socket Mode or HTTP."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app
from bot.catalog import load_catalog
from bot.errors import SettingsError
from bot.server import start_server
from bot.settings import Settings

logger = logging.getLogger(__name__)


def serve(*, http: bool, host: str, port: int) -> int:
    """Run until interrupted; the intake routes are served over HTTP either way."""
    settings = Settings.from_env()
    catalog = load_catalog(settings.catalog_path)
    app = create_app(settings, catalog)
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
            if settings.slack_app_token is None:
                raise SettingsError(
                    "SLACK_APP_TOKEN is not set: Socket Mode needs the app-level "
                    "token (xapp-...) with connections:write; or run with --http."
                )
            SocketModeHandler(
                app.bolt, settings.slack_app_token.get_secret_value()
            ).start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        app.close()
    return 0
