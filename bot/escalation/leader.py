"""Hold the scheduler's lease so that exactly one replica runs the timers."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage import leases

logger = logging.getLogger(__name__)

LEASE_NAME = "containbot-scheduler"


def new_holder_id() -> str:
    """Name this process uniquely: host, pid and a random part for restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaderLease:
    """Renew the lease on a thread and say when leadership is gained or lost.

    A leader that cannot renew (the database is unreachable, or another replica
    took the expired row) steps down at its next renewal, and a replica that
    finds the row expired takes it: a dead leader is replaced within the
    lease's lifetime plus one renewal interval.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: float,
        renew: float,
        on_gain: Callable[[], None],
        on_loss: Callable[[], None],
        on_renew: Callable[[], None],
        holder: str | None = None,
    ) -> None:
        self.holder = holder or new_holder_id()
        self.is_leader = False
        self._engine = engine
        self._ttl = ttl
        self._renew = renew
        self._on_gain = on_gain
        self._on_loss = on_loss
        self._on_renew = on_renew
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="containbot-lease", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and give the lease up so a successor need not wait."""
        self._stopping.set()
        self._thread.join(timeout=self._renew + 10)
        if self.is_leader:
            self._step_down()
            try:
                leases.release(self._engine, LEASE_NAME, self.holder)
            except SQLAlchemyError:
                logger.warning("lease not released holder=%s", self.holder)

    def _run(self) -> None:
        wait = 0.0
        while not self._stopping.wait(wait):
            wait = self._renew
            try:
                held = leases.acquire(
                    self._engine,
                    LEASE_NAME,
                    self.holder,
                    ttl=self._ttl,
                    now=time.time(),
                )
            except SQLAlchemyError as exc:
                # Unable to renew means unable to prove leadership: step down
                # rather than risk two schedulers.
                logger.warning("lease renewal failed: %s", type(exc).__name__)
                held = False
            if held and not self.is_leader:
                self.is_leader = True
                logger.info("scheduler leader holder=%s", self.holder)
                self._call(self._on_gain)
            elif not held and self.is_leader:
                self._step_down()
            if held:
                self._call(self._on_renew)

    def _step_down(self) -> None:
        self.is_leader = False
        logger.info("scheduler leadership lost holder=%s", self.holder)
        self._call(self._on_loss)

    def _call(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            logger.exception("lease callback failed holder=%s", self.holder)
