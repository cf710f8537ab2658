"""Serve the WSGI app on a thread: for `serve --http`, the demo and the tests."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

logger = logging.getLogger(__name__)

# Request threads. Handlers only store and answer (Slack work runs on the
# background pool), so a few threads keep the process busy; more would only
# queue on the interpreter lock.
THREADS = 8
# waitress reads a whole body before the app sees it, spooling large ones to a
# temporary file rather than memory, and answers 413 itself past this limit.
# It is the largest upload a route takes (an activity log attached to an
# incident); the alert intake refuses anything over 1 MiB with its reason.
BUFFER_LIMIT = 256 * 1024 * 1024


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{self.server.effective_host}:{self.server.effective_port}"

    def stop(self) -> None:
        # Close every socket from the server's own loop thread; the loop ends
        # once nothing is left to watch.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()


def start_server(web: Flask, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start waitress on a thread; port 0 picks a free port."""
    server = create_server(
        web,
        host=host,
        port=port,
        threads=THREADS,
        max_request_body_size=BUFFER_LIMIT,
        ident="containbot",
    )
    assert isinstance(server, BaseWSGIServer)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    running = RunningServer(server, thread)
    logger.info("serving HTTP on %s", running.url)
    return running
