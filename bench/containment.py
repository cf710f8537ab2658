"""Time an approved plan from the Approve click to its last step, against its slowest.

    .venv/bin/python bench/containment.py --database both --runs 5
    .venv/bin/python bench/containment.py --database sqlite --runs 5 --slack-429 post

Each run starts the whole bot with `start_stack` (Slack emulator with Slack's rate
limits, moto, the Kubernetes stand-in, the bot over HTTP) on a catalog whose one
workload yields six approved steps: two AWS, two Kubernetes, one Vault and one
webhook (plus the stop step, offered but not ticked). The stack's connectors are
then replaced by fakes that sleep an injected latency and succeed, so the figure
is containbot's own overhead around the steps, not moto's or the stand-in's.

The incident is opened with `/contain`, the plan is posted, and the channel is left
quiet long enough for Slack's per-channel message budget to refill (as it would be
in the minutes before a person approves). Then the approver's signed Approve click
is sent through the driver. Elapsed time runs from just before the click is sent to
the latest `finished_at` in the database, and to the last progress update Slack
received; each is divided by the slowest step's injected latency.

`--slack-429 post` makes the emulator answer the first `chat.postMessage` after
the click (the progress message) with 429 and `Retry-After: 1`, as Slack does when
a channel is over its limit. `--slack-429 update` spends the workspace's
`chat.update` budget (Tier 3) just before the click, as a burst of other
incidents' updates would. Both show whether steps wait for Slack.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot.devtools.scratch_db import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.catalog import parse_catalog  # noqa: E402
from bot.connectors.registry import Connectors  # noqa: E402
from bot.containment.steps import StepOutcome, StepSpec  # noqa: E402
from bot.demo.stack import Stack, start_stack  # noqa: E402
from bot.slack import blocks  # noqa: E402
from storage import incidents, steps  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.tables import Incident  # noqa: E402

POSTGRES_URL = os.environ.get(
    "CONTAINBOT_BENCH_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
WORKLOAD = "bench-agent"
APPROVER = "U03CAPPROV"
# Six latencies spread over 50-800 ms; each run deals them to the steps in a new
# order, so the slowest step is sometimes first in the pool and sometimes last.
LATENCIES_MS = (50, 200, 350, 500, 650, 800)
# chat.postMessage allows a burst of 5 per channel, refilled at one a second.
QUIET_SECONDS = 6.0
TARGET = 1.1

CATALOG = f"""
workloads:
  - name: {WORKLOAD}
    owner: U01AOWNER
    fallback_owner: U02BFALLBK
    approver: {APPROVER}
    teams: {{security: S0SECOPS}}
    criticality: [agentic]
    identities:
      - kind: aws_iam_user
        principal: arn:aws:iam::123456789012:user/{WORKLOAD}
        access_key_ids: [AKIABENCHAGENT7EXAMP]
      - kind: aws_iam_role
        principal: arn:aws:iam::123456789012:role/{WORKLOAD}-runner
      - kind: k8s_service_account
        principal: agents/{WORKLOAD}
      - kind: vault_token
        principal: hvs-accessor-bench-agent
    network:
      namespace: agents
      pod_prefix: {WORKLOAD}-
    tool_grants: [github.write, jira.create]
"""


@dataclass
class SlowConnector:
    """A connector that sleeps the latency dealt to each step, then succeeds."""

    name: str
    latencies: dict[str, float]
    # When each step's connector call began: the database's started_at is set
    # at the claim, before the runner's first Slack update for the step.
    began: dict[str, datetime]

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        return [f"sleep {self.latencies[step.key]:.3f}s for {step.key}"]

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        self.began[step.key] = datetime.now(UTC)
        seconds = self.latencies[step.key]
        time.sleep(seconds)
        return StepOutcome(True, f"slept {seconds:.3f}s", {"latency_s": seconds})


def database(kind: str, folder: Path) -> AbstractContextManager[str]:
    """A fresh, empty database URL: a new file or a new PostgreSQL schema."""
    return scratch_database(kind, folder, postgres_url=POSTGRES_URL, name="bench")


def open_incident(stack: Stack) -> tuple[int, str, str]:
    """Open the incident with /contain; return its id, channel and plan ts."""
    answer = stack.driver.slash_command("U0ANALYST", WORKLOAD)
    answer.raise_for_status()
    stack.settle()
    with session_scope(stack.app.ctx.engine) as session:
        found = session.exec(
            select(Incident).where(Incident.workload == WORKLOAD)
        ).first()
    if found is None or not found.channel_id or not found.plan_ts:
        raise RuntimeError("the /contain command did not open an incident with a plan")
    assert found.id is not None
    return found.id, found.channel_id, found.plan_ts


def deal_latencies(
    stack: Stack, incident_id: int, rng: random.Random, began: dict[str, datetime]
) -> float:
    """Replace the stack's connectors with fakes; return the slowest latency."""
    approved = [
        StepSpec.from_json(row.spec)
        for row in steps.steps_of(stack.app.ctx.engine, incident_id)
        if row.spec["phase"] != 9
    ]
    order = rng.sample(LATENCIES_MS, len(LATENCIES_MS))
    if len(approved) != len(order):
        raise RuntimeError(f"expected 6 default steps, the plan has {len(approved)}")
    latencies = {spec.key: ms / 1000 for spec, ms in zip(approved, order, strict=True)}
    fakes = {
        name: SlowConnector(name, latencies, began)
        for name in ("aws", "kubernetes", "vault", "webhook")
    }
    stack.app.ctx.connectors = Connectors(fakes)
    return max(latencies.values())


def spend_update_budget(stack: Stack, channel: str, ts: str) -> int:
    """Call chat.update until Slack refuses; return how many calls it took.

    This is the workspace after a burst of other updates (other incidents'
    progress and summaries): Tier 3 refills about one call every 1.2 s.
    """
    plain = WebClient(
        token=stack.settings.slack_bot_token.get_secret_value(),
        base_url=stack.emulator.api_url,
    )
    text = stack.emulator.message(channel, ts)["text"]
    for calls in range(1, 200):
        try:
            plain.chat_update(channel=channel, ts=ts, text=text)
        except SlackApiError:
            return calls
    raise RuntimeError("chat.update was never rate limited; are limits on?")


def one_run(kind: str, run: int, args: argparse.Namespace) -> dict[str, Any]:
    """Start a stack on a fresh database, approve the plan once, time its steps."""
    rng = random.Random(args.seed + run)
    with tempfile.TemporaryDirectory() as folder, database(kind, Path(folder)) as url:
        stack = start_stack(parse_catalog(CATALOG), database_url=url)
        try:
            incident_id, channel, plan_ts = open_incident(stack)
            began: dict[str, datetime] = {}
            slowest = deal_latencies(stack, incident_id, rng, began)
            payload = stack.driver.click_payload(
                APPROVER, channel, plan_ts, blocks.APPROVE_ACTION
            )
            time.sleep(args.quiet)
            if args.slack_429 == "post":
                stack.emulator.inject("chat.postMessage", status=429, retry_after=1)
            elif args.slack_429 == "update":
                spend_update_budget(stack, channel, plan_ts)

            clicked = datetime.now(UTC)
            answer = stack.driver.send_payload(payload)
            acked = datetime.now(UTC)
            answer.raise_for_status()
            stack.settle()
            figures = _figures(stack, incident_id, clicked, slowest, kind)
            figures["ack_s"] = round((acked - clicked).total_seconds(), 3)
            figures["first_call_s"] = round(
                min((t - clicked).total_seconds() for t in began.values()), 3
            )
            figures["last_call_s"] = round(
                max((t - clicked).total_seconds() for t in began.values()), 3
            )
            return figures
        finally:
            stack.close()


def _figures(
    stack: Stack,
    incident_id: int,
    clicked: datetime,
    slowest: float,
    kind: str,
) -> dict[str, Any]:
    rows = [
        s
        for s in steps.steps_of(stack.app.ctx.engine, incident_id)
        if s.status != "skipped"
    ]
    if any(s.status != "succeeded" or s.attempts != 1 for s in rows):
        raise RuntimeError(f"not every step ran once: {[s.status for s in rows]}")
    started = [_aware(s.started_at) for s in rows]
    finished = max(_aware(s.finished_at) for s in rows)
    incident = incidents.get_incident(stack.app.ctx.engine, incident_id)
    assert incident is not None
    updates = [
        c.at
        for c in stack.emulator.calls_to("chat.update")
        if c.ok and c.args.get("ts") == incident.progress_ts
    ]
    last_update = datetime.fromtimestamp(max(updates), UTC)
    posted = [
        c.at
        for c in stack.emulator.calls_to("chat.postMessage")
        if c.ok and str(c.args.get("text", "")).startswith("Containment progress")
    ]
    limited = [
        c.method
        for c in stack.emulator.calls
        if c.status == 429 and c.at >= clicked.timestamp()
    ]

    def since(moment: datetime) -> float:
        return (moment - clicked).total_seconds()

    return {
        "database": kind,
        "slowest_s": slowest,
        "first_claim_s": round(min(since(t) for t in started), 3),
        "last_claim_s": round(max(since(t) for t in started), 3),
        "progress_posted_s": round(posted[0] - clicked.timestamp(), 3),
        "finished_s": round(since(finished), 3),
        "last_update_s": round(since(last_update), 3),
        "ratio_finished": round(since(finished) / slowest, 3),
        "ratio_update": round(since(last_update) / slowest, 3),
        "progress_updates": len(updates),
        "slack_429s": limited,
    }


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summarize(kind: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return min, median and max of each ratio and of the start lag."""
    summary: dict[str, Any] = {"database": kind, "runs": len(runs)}
    for key in ("ratio_finished", "ratio_update", "first_call_s", "last_call_s"):
        values = [r[key] for r in runs]
        summary[key] = {
            "min": min(values),
            "median": round(statistics.median(values), 3),
            "max": max(values),
        }
    summary["target_met"] = summary["ratio_finished"]["max"] <= TARGET
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql", "both"], default="both"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--quiet",
        type=float,
        default=QUIET_SECONDS,
        help="seconds to wait between the plan and the click",
    )
    parser.add_argument(
        "--slack-429", choices=["none", "post", "update"], default="none"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    met = True
    for kind in kinds:
        runs = []
        for run in range(args.runs):
            figures = one_run(kind, run, args)
            print(json.dumps(figures), file=sys.stderr, flush=True)
            runs.append(figures)
        summary = summarize(kind, runs)
        print(json.dumps(summary), flush=True)
        met &= summary["target_met"]
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
