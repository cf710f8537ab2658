"""Work that runs after Slack or a detector has had its answer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from typing import Any

logger = logging.getLogger(__name__)


class Background(Executor):
    """A thread pool that knows what is still running.

    Bolt runs listeners on it too (its `listener_executor`), so `drain` can wait
    for a click's whole consequence: the listener and the work it hands off.
    """

    def __init__(self, workers: int = 16) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cb")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        future = self._pool.submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def run(self, name: str, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Submit `fn(*args)`; a failure is logged once, with the task's name."""
        return self.submit(_logged, name, fn, *args)

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 60.0) -> None:
        """Wait for submitted work, including work that submits more work."""
        while True:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            wait(pending, timeout=timeout)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def _logged(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:
        logger.exception("background task %s failed", name)
        raise
