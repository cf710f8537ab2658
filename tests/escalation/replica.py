"""One bot replica in its own process, for the two-replica test.

Run as `python -m tests.escalation.replica`; it reads its settings from the
environment, serves HTTP on a free port, writes that URL on its first line of
output, and runs until it is terminated.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading

from bot.app import create_app
from bot.catalog import load_catalog
from bot.connectors.registry import Connectors
from bot.server import start_server
from bot.settings import Settings


def main() -> None:
    """Start the bot and its scheduler, and stop cleanly on SIGTERM."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    settings = Settings.from_env(dotenv=False)
    app = create_app(
        settings, load_catalog(settings.catalog_path), connectors=Connectors({})
    )
    server = start_server(app.web)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    sys.stdout.write(server.url + "\n")
    sys.stdout.flush()
    stopping.wait()
    server.stop()
    app.close()


if __name__ == "__main__":
    main()
