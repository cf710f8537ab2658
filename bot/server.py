"""Serve the WSGI app on a thread: for `serve --http`, the demo and the tests."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

logger = logging.getLogger(__name__)


@dataclass
class RunningServer:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def start_server(web: Flask, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Start a threaded HTTP server; port 0 picks a free port."""
    server = make_server(host, port, web, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    thread.start()
    running = RunningServer(server, thread)
    logger.info("serving HTTP on %s", running.url)
    return running
