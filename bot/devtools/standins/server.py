"""Serve a WSGI app on a free loopback port from a daemon thread."""

from __future__ import annotations

import logging
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

logger = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """Log each request at DEBUG through our logger, not werkzeug's stderr lines."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logger.debug("stand-in: %s %s", self.requestline, code)


class WsgiServer:
    """Run `app` on 127.0.0.1 with an OS-chosen port until `stop()`."""

    def __init__(self, app: Any, name: str) -> None:
        self._app = app
        self._name = name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Return the base URL; the server must be running."""
        if self._server is None:
            raise RuntimeError(f"the {self._name} stand-in is not running")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> str:
        """Bind to a free port, serve in the background and return the base URL."""
        if self._server is not None:
            raise RuntimeError(f"the {self._name} stand-in is already running")
        # Port 0 lets tests run in parallel without choosing ports.
        self._server = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"{self._name}-standin",
            daemon=True,
        )
        self._thread.start()
        logger.info("%s stand-in listening on %s", self._name, self.url)
        return self.url

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
