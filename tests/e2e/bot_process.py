"""A whole bot in its own process, for tests that run several on one database.

Run as `python -m tests.e2e.bot_process`: it reads its settings from the
environment (Slack emulator URL, database, catalog, AWS endpoint), builds the
connectors those settings allow, serves HTTP on a free port, writes that URL as
its first line of output, and runs until it is terminated.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from bot.app import create_app
from bot.catalog import load_catalog
from bot.connectors.registry import Connectors
from bot.server import start_server
from bot.settings import Settings

REPO = Path(__file__).resolve().parents[2]


class BotProcess:
    """A started bot process, its URL and the file its log goes to."""

    def __init__(self, env: Mapping[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.bot_process"],
            cwd=REPO,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.url = ""

    def wait_ready(self) -> str:
        """Block until the process prints its URL; return it."""
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            raise RuntimeError(f"the bot did not start:\n{self.log_tail()}")
        return self.url

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the process's log, for a failing assertion."""
        self._log.flush()
        return "\n".join(self.log_path.read_text().splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the process and wait for it; kill it if it hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def serve_until_terminated(connectors: Connectors | None = None) -> None:
    """Start the bot from the environment, print its URL, stop on SIGTERM.

    With `connectors` None, the bot builds those its settings allow.
    """
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    settings = Settings.from_env(dotenv=False)
    app = create_app(
        settings, load_catalog(settings.catalog_path), connectors=connectors
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
    serve_until_terminated()
