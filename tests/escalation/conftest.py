"""A bot on loopback with an injected clock, for escalation timers and pages."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import select

from bot.app import Containbot, create_app
from bot.catalog import Catalog, parse_catalog
from bot.connectors.registry import Connectors
from bot.demo.workspace import workspace_for
from bot.devtools.slack_driver import SlackDriver
from bot.devtools.slack_emulator import EmulatedUser, SlackEmulator
from bot.escalation import ladder, scheduler
from bot.server import RunningServer, start_server
from bot.settings import Settings
from storage import decisions, incidents
from storage.db import session_scope
from storage.tables import AuditEvent, Incident, Page

CATALOG = """
workloads:
  - name: invoice-sync
    owner: U01AOWNER
    fallback_owner: bo@example.com
    approver: U03CAPPROV
    fallback_approver: U07FBACK
    teams: {security: S0SECOPS}
    criticality: [batch]
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/invoice-sync
        access_key_ids: [AKIA4INVSYNC7EXAMPLE]
"""
FALLBACK_APPROVER = EmulatedUser(
    "U07FBACK", "gil", "Gil (fallback approver)", "gil@example.com"
)
ON_CALL = ("U0SECOPS", "U0ANALYST")


class FakeClock:
    """Wall time that moves only when the test says so."""

    def __init__(self) -> None:
        # Starts at the real time, so timers written for it are never in
        # APScheduler's past: only the test decides when they run.
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Rig:
    """An emulated Slack, a database, a clock, and a bot that can be restarted."""

    emulator: SlackEmulator
    settings: Settings
    catalog: Catalog
    clock: FakeClock
    app: Containbot
    server: RunningServer
    driver: SlackDriver
    signing_secret: str

    @property
    def ctx(self) -> Any:
        return self.app.ctx

    def settle(self) -> None:
        self.app.ctx.background.drain()

    def sweep(self) -> None:
        """Run whatever is due by the fake clock, as the leader's timers would."""
        scheduler.sweep(self.app.ctx)
        self.settle()

    def open_incident(self, workload: str = "invoice-sync") -> int:
        answer = self.driver.slash_command("U0ANALYST", workload)
        assert answer.status_code == 200
        self.settle()
        with session_scope(self.ctx.engine) as session:
            found = session.exec(
                select(Incident).where(Incident.workload == workload)
            ).first()
        assert found is not None and found.id is not None
        return found.id

    def restart(self, **settings: Any) -> None:
        """Stop the bot and start a new one on the same database and Slack."""
        self.stop()
        self.settings = replace(self.settings, **settings)
        self._start(start_scheduler=True)

    def stop(self) -> None:
        self.driver.close()
        self.server.stop()
        self.app.close()

    def _start(self, start_scheduler: bool) -> None:
        self.app = create_app(
            self.settings,
            self.catalog,
            clock=self.clock,
            connectors=Connectors({}),
            start_scheduler=start_scheduler,
        )
        self.server = start_server(self.app.web)
        self.driver = SlackDriver(
            f"{self.server.url}/slack/events", self.signing_secret, self.emulator
        )

    # Reading what happened

    def pages(self, incident_id: int) -> list[Page]:
        return decisions.pages_of(self.ctx.engine, incident_id)

    def paged(self, incident_id: int) -> list[tuple[int, str]]:
        """The ladder's pages as (rung, person); handoff reminders are left out."""
        return [
            (p.rung, p.target)
            for p in self.pages(incident_id)
            if p.rung < ladder.LADDER_RUNGS
        ]

    def dms_to(self, user_id: str) -> list[dict[str, Any]]:
        return self.emulator.messages_in(self.emulator.dm_channel_for(user_id))

    def channel_texts(self, incident_id: int) -> list[str]:
        incident = incidents.get_incident(self.ctx.engine, incident_id)
        assert incident is not None and incident.channel_id
        found = self.emulator.messages_in(incident.channel_id)
        return [m.get("text", "") for m in found]

    def actions(self, incident_id: int) -> list[str]:
        with session_scope(self.ctx.engine) as session:
            query = select(AuditEvent).where(AuditEvent.incident_id == incident_id)
            return [e.action for e in session.exec(query.order_by(AuditEvent.id))]

    def audit(self, incident_id: int, action: str) -> list[dict[str, Any]]:
        with session_scope(self.ctx.engine) as session:
            query = select(AuditEvent).where(
                AuditEvent.incident_id == incident_id, AuditEvent.action == action
            )
            return [e.detail for e in session.exec(query.order_by(AuditEvent.id))]


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s")


RigFactory = Callable[..., Rig]


@pytest.fixture
def make_rig(database_url: str) -> Iterator[RigFactory]:
    """Start rigs on the test's database; each is stopped after the test."""
    started: list[Rig] = []

    def start(
        catalog: str = CATALOG,
        *,
        start_scheduler: bool = False,
        missing: tuple[str, ...] = (),
        **overrides: Any,
    ) -> Rig:
        parsed = parse_catalog(catalog)
        workspace = workspace_for(parsed)
        users = [u for u in workspace.users if u.email not in missing]
        token = "xoxb-test-" + secrets.token_hex(6)
        emulator = SlackEmulator(
            bot_token=token,
            users=[*users, FALLBACK_APPROVER],
            usergroups={"S0SECOPS": list(ON_CALL)},
            rate_limits=False,
        ).start()
        signing_secret = secrets.token_hex(16)
        values: dict[str, Any] = {
            "slack_bot_token": SecretStr(token),
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_api_url": emulator.api_url,
            "database_url": database_url,
            "catalog_path": Path("<test>"),
            "security_oncall": "S0SECOPS",
            "escalation_repeats": 1,
            # Short lease, and no background sweep: the test runs due timers.
            "lease_ttl_seconds": 2.0,
            "lease_renew_seconds": 0.3,
            "sweep_seconds": 3600.0,
        }
        values.update(overrides)
        rig = Rig(
            emulator=emulator,
            settings=Settings(**values),
            catalog=parsed,
            clock=FakeClock(),
            app=None,  # type: ignore[arg-type]
            server=None,  # type: ignore[arg-type]
            driver=None,  # type: ignore[arg-type]
            signing_secret=signing_secret,
        )
        rig._start(start_scheduler)
        started.append(rig)
        return rig

    yield start
    for rig in started:
        rig.stop()
        rig.emulator.stop()
