"""Twenty concurrent Approve clicks on real bot processes: one approval, steps once.

On PostgreSQL two bot processes share the database, one Slack emulator and one
moto, and the clicks are split between their /slack/events URLs; on SQLite,
which serves one process, all twenty go to one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.catalog import parse_catalog
from bot.demo.workspace import workspace_for
from bot.devtools.aws_seed import aws_state, seed_aws
from bot.devtools.slack_driver import SlackDriver
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack import blocks
from storage import incidents, steps
from storage.db import make_engine, session_scope
from storage.tables import Approval, AuditEvent, Incident
from tests.e2e.bot_process import BotProcess
from tests.escalation.conftest import wait_for

APPROVER = "U03CAPPROV"
CLICKS = 20
CATALOG = """
workloads:
  - name: invoice-sync
    owner: U01AOWNER
    fallback_owner: U02BFALLBK
    approver: U03CAPPROV
    teams: {security: S0SECOPS}
    criticality: [batch]
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/invoice-sync
        access_key_ids: [AKIA4INVSYNC7EXAMPLE]
      - kind: aws_iam_role
        principal: arn:aws:iam::123456789012:role/invoice-sync-runner
    secrets:
      - kind: aws_secretsmanager
        name: prod/invoice-sync/payment-api-key
"""


@pytest.fixture
def moto_url() -> Iterator[str]:
    """Start moto over HTTP from an empty AWS, seeded from the catalog."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps accounts in process-wide memory: start from an empty AWS.
    httpx.post(f"{url}/moto-api/reset", timeout=10).raise_for_status()
    seed_aws(parse_catalog(CATALOG), endpoint_url=url)
    yield url
    server.stop()


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    workspace = workspace_for(parse_catalog(CATALOG))
    started = SlackEmulator(
        bot_token="xoxb-two-" + secrets.token_hex(6),
        users=workspace.users,
        usergroups=workspace.usergroups,
        # Rate limits would only add Retry-After waits; exactly-once is the point.
        rate_limits=False,
    ).start()
    yield started
    started.stop()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    yield made
    made.dispose()


def test_twenty_concurrent_clicks_approve_once(
    database_url: str,
    moto_url: str,
    emulator: SlackEmulator,
    engine: Engine,
    tmp_path: Path,
) -> None:
    catalog_path = tmp_path / "catalog.yml"
    catalog_path.write_text(CATALOG)
    signing = secrets.token_hex(16)
    # Only what the bot reads: no AWS profile or real credential leaks in, so
    # every AWS call can only reach moto.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        SLACK_BOT_TOKEN=emulator.bot_token,
        SLACK_SIGNING_SECRET=signing,
        SLACK_API_URL=emulator.api_url,
        CONTAINBOT_DATABASE_URL=database_url,
        CONTAINBOT_CATALOG=str(catalog_path),
        CONTAINBOT_SECURITY_ONCALL="S0SECOPS",
        CONTAINBOT_AWS_ENDPOINT_URL=moto_url,
        AWS_ACCESS_KEY_ID="moto",
        AWS_SECRET_ACCESS_KEY="moto",
        AWS_DEFAULT_REGION="us-east-1",
    )
    count = 1 if database_url.startswith("sqlite") else 2
    bots: list[BotProcess] = []
    drivers: list[SlackDriver] = []
    try:
        urls = []
        for i in range(count):
            # One after the other, as a rolling deploy starts them: two processes
            # creating the tables of an empty schema at once collide in
            # PostgreSQL's catalog (pg_type_typname_nsp_index).
            bots.append(BotProcess(env, tmp_path / f"bot-{i}.log"))
            urls.append(bots[-1].wait_ready())
        drivers = [SlackDriver(f"{u}/slack/events", signing, emulator) for u in urls]
        assert drivers[0].slash_command("U0ANALYST", "invoice-sync").status_code == 200
        incident = wait_for(lambda: _with_plan(engine), timeout=15)
        assert incident.id is not None

        # One click, sent twenty times at once, alternating between processes.
        payload = drivers[0].click_payload(
            APPROVER, incident.channel_id, incident.plan_ts, blocks.APPROVE_ACTION
        )
        with ThreadPoolExecutor(max_workers=CLICKS) as pool:
            answers = list(
                pool.map(
                    lambda i: drivers[i % count].send_payload(payload), range(CLICKS)
                )
            )
        assert [a.status_code for a in answers] == [200] * CLICKS

        # Every click has been decided once the nineteen refusals are shown, and
        # the plan is done once the incident is contained.
        wait_for(lambda: len(_already_approved(emulator)) == CLICKS - 1, timeout=15)
        wait_for(lambda: _contained(engine, incident.id), timeout=15)
    except BaseException:
        for bot in bots:
            print(f"--- {bot.log_path.name}\n{bot.log_tail()}")  # noqa: T201
        raise
    finally:
        for driver in drivers:
            driver.close()
        for bot in bots:
            bot.stop()

    with session_scope(engine) as session:
        approvals = list(
            session.exec(select(Approval).where(Approval.incident_id == incident.id))
        )
        actions = [
            (e.action, e.detail.get("step"))
            for e in session.exec(
                select(AuditEvent).where(AuditEvent.incident_id == incident.id)
            )
        ]
    assert [(a.user_id, a.decision) for a in approvals] == [(APPROVER, "approved")]
    assert [a for a, _ in actions].count("plan.approved") == 1

    ran = steps.steps_of(engine, incident.id)
    approved = [s for s in ran if s.status != "skipped"]
    assert [s.key.split(":")[0] for s in approved] == [
        "aws.deactivate_access_keys",
        "aws.revoke_role_sessions",
        "aws.rotate_secret",
    ]
    assert [(s.status, s.attempts) for s in approved] == [("succeeded", 1)] * 3
    succeeded = sorted(step for action, step in actions if action == "step.succeeded")
    assert succeeded == sorted(s.key for s in approved)

    after = aws_state(parse_catalog(CATALOG), endpoint_url=moto_url)
    assert after["users"]["invoice-sync"] == {"AKIA4INVSYNC7EXAMPLE": "Inactive"}
    assert after["roles"]["invoice-sync-runner"] == ["containbot-revoke-older-sessions"]
    # Rotated once: the seeded version and one new one, not one per click.
    assert len(after["secrets"]["prod/invoice-sync/payment-api-key"]) == 2


def _with_plan(engine: Engine) -> Incident | None:
    with session_scope(engine) as session:
        found = session.exec(
            select(Incident).where(Incident.workload == "invoice-sync")
        ).first()
    return found if found is not None and found.plan_ts else None


def _already_approved(emulator: SlackEmulator) -> list[str]:
    return [
        note["text"]
        for note in emulator.ephemerals_for(APPROVER)
        if "already approved" in note["text"]
    ]


def _contained(engine: Engine, incident_id: int) -> bool:
    incident = incidents.get_incident(engine, incident_id)
    return incident is not None and incident.status == "contained"
