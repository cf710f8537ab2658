"""Durable timers: APScheduler on the bot's database, run by the lease holder only.

Every replica writes timers into the shared job store (its scheduler is
started paused); only the replica holding the lease runs them. Jobs are
module-level functions taking plain ids, because the job store pickles them;
each finds its app's context through a registry keyed by the database.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.exc import SQLAlchemyError

from bot.context import Context
from bot.escalation import climb, handoffs, pagerduty
from bot.escalation.leader import LeaderLease
from storage import escalation as store
from storage.db import normalize_url

logger = logging.getLogger(__name__)

JOBS_TABLE = "containbot_jobs"
# PagerDuty must not wait for the slower sweep: it is checked this often.
_PAGERDUTY_SECONDS = 5.0

_runtimes: dict[str, list[Escalation]] = {}
_registry_lock = threading.Lock()


def database_key(url: str) -> str:
    """A stable name for a database that carries no password into the job store."""
    return hashlib.sha256(normalize_url(url).encode()).hexdigest()[:16]


class Escalation:
    """One app's scheduler and lease: durable timers, run by one replica."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.key = database_key(ctx.settings.database_url)
        self.scheduler = BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=ctx.engine, tablename=JOBS_TABLE)
            },
            executors={"default": ThreadPoolExecutor(max_workers=8)},
            # A timer due while no replica ran must still fire when one is back
            # (APScheduler's default would drop it after one second), and fire
            # once however many runs it missed.
            job_defaults={"misfire_grace_time": None, "coalesce": True},
            timezone=UTC,
        )
        settings = ctx.settings
        self.lease = LeaderLease(
            ctx.engine,
            ttl=settings.lease_ttl_seconds,
            renew=settings.lease_renew_seconds,
            on_gain=self._lead,
            on_loss=self._follow,
            # Timers written by other replicas are noticed at the next renewal.
            on_renew=self.scheduler.wakeup,
        )

    @property
    def is_leader(self) -> bool:
        return self.lease.is_leader

    def start(self) -> None:
        """Open the job store (paused) and start contending for the lease."""
        try:
            self.scheduler.start(paused=True)
        except SQLAlchemyError:
            # Two replicas creating the job table at the same moment: the loser
            # finds it made on a second try.
            self.scheduler.start(paused=True)
        with _registry_lock:
            _runtimes.setdefault(self.key, []).append(self)
        self.lease.start()

    def stop(self) -> None:
        """Give up the lease, let running jobs finish, and stop."""
        self.lease.stop()
        with _registry_lock:
            peers = _runtimes.get(self.key, [])
            if self in peers:
                peers.remove(self)
        self.scheduler.shutdown(wait=True)

    def _lead(self) -> None:
        self.scheduler.add_job(
            sweep_job,
            "interval",
            seconds=self.ctx.settings.sweep_seconds,
            args=[self.key],
            id="sweep",
            replace_existing=True,
        )
        self.scheduler.add_job(
            pagerduty_job,
            "interval",
            seconds=min(_PAGERDUTY_SECONDS, self.ctx.settings.sweep_seconds),
            args=[self.key],
            id="pagerduty",
            replace_existing=True,
        )
        self.scheduler.resume()
        # Catch up at once on whatever fell due while no replica led.
        self.scheduler.add_job(
            sweep_job, args=[self.key], id="catch-up", replace_existing=True
        )

    def _follow(self) -> None:
        self.scheduler.pause()

    def at(
        self, job_id: str, func: Callable[..., None], when: datetime, incident_id: int
    ) -> None:
        """Write a one-shot timer into the shared store (idempotent per id)."""
        self.scheduler.add_job(
            func,
            "date",
            run_date=when,
            args=[self.key, incident_id],
            id=job_id,
            replace_existing=True,
        )

    def cancel(self, incident_id: int, prefix: str = "ladder") -> None:
        """Remove an incident's pending timers of one kind."""
        mark = f"{prefix}-{incident_id}-"
        for job in self.scheduler.get_jobs():
            if job.id.startswith(mark):
                try:
                    job.remove()
                except JobLookupError:
                    pass  # Fired or removed by another replica meanwhile.


def runtime_for(ctx: Context) -> Escalation | None:
    """The running scheduler of this app, if it has one."""
    with _registry_lock:
        for runtimes in _runtimes.values():
            for runtime in runtimes:
                if runtime.ctx is ctx:
                    return runtime
    return None


def _runtime(key: str) -> Escalation | None:
    with _registry_lock:
        found = list(_runtimes.get(key, []))
    leaders = [r for r in found if r.is_leader]
    return (leaders or found or [None])[0]


def climb_and_schedule(ctx: Context, incident_id: int) -> None:
    """Advance the ladder and set the timer for its next step."""
    upcoming = climb.advance(ctx, incident_id)
    runtime = runtime_for(ctx)
    if upcoming is not None and runtime is not None:
        step, due = upcoming
        runtime.at(f"ladder-{incident_id}-{step}", ladder_job, due, incident_id)


def check_approval_and_schedule(ctx: Context, incident_id: int) -> None:
    """Run the approval timer's check and set its next timer."""
    upcoming = handoffs.check_approval(ctx, incident_id)
    runtime = runtime_for(ctx)
    if upcoming is not None and runtime is not None:
        job_id = f"approval-{incident_id}-{int(upcoming.timestamp())}"
        runtime.at(job_id, approval_job, upcoming, incident_id)


def schedule_approval(ctx: Context, incident_id: int, opened_at: datetime) -> None:
    """Set the approval timer for a new incident's plan."""
    runtime = runtime_for(ctx)
    if runtime is None:
        return
    due = opened_at + timedelta(minutes=ctx.settings.approval_timeout_minutes)
    job_id = f"approval-{incident_id}-{int(due.timestamp())}"
    runtime.at(job_id, approval_job, due, incident_id)


def sweep(ctx: Context) -> None:
    """Run every check that is due by the context's clock; safe at any time.

    The leader runs it every `sweep_seconds` as a safety net (a failed page, a
    timer lost between a write and a crash); tests call it to run due timers
    without waiting for real minutes.
    """
    # Imported here: the room's setup pages through this module.
    from bot import incident_room

    for incident_id in store.open_incident_ids(ctx.engine):
        # A room whose setup met a Slack failure is finished here, so a page or
        # a plan is never lost waiting for another alert.
        incident_room.finish_room(ctx, incident_id)
        climb_and_schedule(ctx, incident_id)
        handoffs.retry_failed(ctx, incident_id)
        check_approval_and_schedule(ctx, incident_id)
    handoffs.check_stalled_steps(ctx)
    pagerduty.sweep(ctx)


def ladder_job(key: str, incident_id: int) -> None:
    """Timer: the next ladder step of an incident is due."""
    runtime = _runtime(key)
    if runtime is not None:
        climb_and_schedule(runtime.ctx, incident_id)
        handoffs.retry_failed(runtime.ctx, incident_id)


def approval_job(key: str, incident_id: int) -> None:
    """Timer: a plan's approval has waited its timeout."""
    runtime = _runtime(key)
    if runtime is not None:
        check_approval_and_schedule(runtime.ctx, incident_id)


def sweep_job(key: str) -> None:
    """Timer: the leader's periodic check of every open incident."""
    runtime = _runtime(key)
    if runtime is not None:
        sweep(runtime.ctx)


def pagerduty_job(key: str) -> None:
    """Timer: send PagerDuty events that are queued or called for."""
    runtime = _runtime(key)
    if runtime is not None:
        pagerduty.sweep(runtime.ctx)
