"""Two bot processes on one PostgreSQL database: one scheduler, pages sent once."""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.catalog import parse_catalog
from bot.demo.workspace import workspace_for
from bot.devtools.slack_driver import SlackDriver
from bot.devtools.slack_emulator import SlackEmulator
from bot.escalation.leader import LEASE_NAME
from storage import decisions, incidents, leases
from storage.db import make_engine
from tests.conftest import REPO
from tests.escalation.conftest import CATALOG, FALLBACK_APPROVER, ON_CALL, wait_for

logger = logging.getLogger(__name__)

OWNER, APPROVER = "U01AOWNER", "U03CAPPROV"
# Rungs 3, 6 and 9 seconds apart, so the whole ladder runs in the test.
LADDER = "0.05,0.1,0.15"
LEASE_TTL = 3.0


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _replica(env: dict[str, str], started: list[subprocess.Popen[str]]) -> str:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.escalation.replica"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    assert url.startswith("http://"), "the replica did not start"
    return url


def test_the_leader_dies_and_the_other_replica_finishes_the_ladder(
    postgres_url: str, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    # Several replicas share PostgreSQL; SQLite serves a single process.
    database_url = postgres_url
    catalog_path = tmp_path / "catalog.yml"
    catalog_path.write_text(CATALOG)
    workspace = workspace_for(parse_catalog(CATALOG))
    token, signing = "xoxb-rep-" + secrets.token_hex(6), secrets.token_hex(16)
    emulator = SlackEmulator(
        bot_token=token,
        users=[*workspace.users, FALLBACK_APPROVER],
        usergroups={"S0SECOPS": list(ON_CALL)},
        rate_limits=False,
    ).start()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": signing,
        "SLACK_API_URL": emulator.api_url,
        "CONTAINBOT_DATABASE_URL": database_url,
        "CONTAINBOT_CATALOG": str(catalog_path),
        "CONTAINBOT_SECURITY_ONCALL": "S0SECOPS",
        "CONTAINBOT_ESCALATION_MINUTES": LADDER,
        "CONTAINBOT_ESCALATION_REPEATS": "0",
        "CONTAINBOT_APPROVAL_TIMEOUT_MINUTES": "600",
        "CONTAINBOT_LEASE_TTL_SECONDS": str(LEASE_TTL),
        "CONTAINBOT_LEASE_RENEW_SECONDS": "0.5",
        "CONTAINBOT_SWEEP_SECONDS": "2",
    }
    engine = make_engine(database_url)
    try:
        urls = [_replica(env, processes), _replica(env, processes)]
        holder = wait_for(lambda: leases.holder_of(engine, LEASE_NAME, now=time.time()))
        pid = int(holder.split(":")[1])
        leader = next(p for p in processes if p.pid == pid)
        follower_url = urls[1 - processes.index(leader)]

        # The incident is opened on the follower: its timers go to the shared
        # store, and the leader runs them.
        driver = SlackDriver(f"{follower_url}/slack/events", signing, emulator)
        driver.slash_command("U0ANALYST", "invoice-sync")
        fallback = wait_for(lambda: _sent(engine, 100))
        incident = incidents.get_incident(engine, 1)
        assert incident is not None

        leader.kill()
        killed = time.monotonic()
        wait_for(
            lambda: (
                leases.holder_of(engine, LEASE_NAME, now=time.time())
                not in (None, holder)
            ),
            timeout=30,
        )
        takeover = time.monotonic() - killed
        wait_for(lambda: _sent(engine, 300) and _sent(engine, 301), timeout=30)
        approver = _sent(engine, 200)

        pages = decisions.pages_of(engine, 1)
        assert [(p.rung, p.target) for p in pages] == [
            (0, OWNER),
            (100, fallback.target),
            (200, APPROVER),
            (300, ON_CALL[0]),
            (301, ON_CALL[1]),
        ]
        # Exactly one DM per page reached Slack, across both processes.
        posts = [c.args.get("channel") for c in emulator.calls_to("chat.postMessage")]
        for page in pages:
            assert posts.count(page.target) == 1
        assert takeover < 30
        lateness = approver.sent_at - (incident.opened_at + timedelta(seconds=6))
        logger.info(
            "takeover %.1fs after SIGKILL; approver page %.1fs after due",
            takeover,
            lateness.total_seconds(),
        )
    finally:
        engine.dispose()
        emulator.stop()


def _sent(engine, rung: int):  # type: ignore[no-untyped-def]
    for page in decisions.pages_of(engine, 1):
        if page.rung == rung and page.sent_at is not None:
            return page
    return None
