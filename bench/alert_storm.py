"""Post an alert storm to containbot; report throughput, latency and what it stored.

    .venv/bin/python bench/alert_storm.py --database both
    .venv/bin/python bench/alert_storm.py --url http://127.0.0.1:3000 --secret S

By default each run starts the whole bot with `start_stack` (Slack emulator with
Slack's rate limits, moto, the bot over HTTP) on a generated catalog of 50
workloads. The load comes from a separate process, so the client does not share
the bot's interpreter lock, and each request's latency is timed by the client.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.devtools.scratch_db import scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SOURCES = ("guardduty", "falco", "securityhub", "generic")
ACCOUNT = "123456789012"
POSTGRES_URL = os.environ.get(
    "CONTAINBOT_BENCH_POSTGRES_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
)
Plan = list[tuple[str, bytes]]


def catalog_yaml(workloads: int) -> str:
    """Return a catalog where workload i owns an IAM user and a service account."""
    lines = ["workloads:"]
    for i in range(workloads):
        lines += [
            f"  - name: svc-{i:02d}",
            f"    owner: U1{i:08d}",
            f"    fallback_owner: U2{i:08d}",
            "    approver: U3APPROVER",
            "    teams: {security: S0SECOPS, platform: S0PLATFORM}",
            "    identities:",
            "      - kind: aws_iam_user",
            f"        principal: arn:aws:iam::{ACCOUNT}:user/svc-{i:02d}",
            f"        access_key_ids: [{_access_key(i)}]",
            "      - kind: k8s_service_account",
            f"        principal: ns-{i:02d}/svc-{i:02d}",
            "    network:",
            f"      namespace: ns-{i:02d}",
            f"      pod_prefix: svc-{i:02d}-",
        ]
    return "\n".join(lines) + "\n"


def _access_key(i: int) -> str:
    return f"AKIA{i:04d}STORMEXAMPLE"


def alert_body(source: str, i: int, serial: int) -> bytes:
    """Return one distinct alert of `source` about workload i."""
    when = f"2026-12-03T14:{serial // 3600 % 60:02d}:{serial // 60 % 60:02d}.{serial}Z"
    name = f"svc-{i:02d}"
    if source == "guardduty":
        body: Any = {
            "id": f"gd-{serial}",
            "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
            "title": f"API call from a known malicious IP ({serial})",
            "severity": 8,
            "accountId": ACCOUNT,
            "createdAt": when,
            "updatedAt": when,
            "resource": {
                "resourceType": "AccessKey",
                "accessKeyDetails": {
                    "accessKeyId": _access_key(i),
                    "userType": "IAMUser",
                    "userName": name,
                },
            },
        }
    elif source == "falco":
        body = {
            "rule": "Contact K8S API Server From Container",
            "priority": "Notice",
            "time": when.replace("Z", "000Z"),
            "output": f"connect from {name} serial={serial}",
            "output_fields": {
                "k8s.ns.name": f"ns-{i:02d}",
                "k8s.pod.name": f"{name}-x",
            },
        }
    elif source == "securityhub":
        body = {
            "SchemaVersion": "2018-10-08",
            "Id": f"sh-{serial}",
            "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty",
            "AwsAccountId": ACCOUNT,
            "Title": f"Credential used from an unusual place ({serial})",
            "Description": "storm",
            "Severity": {"Label": "HIGH"},
            "CreatedAt": when,
            "UpdatedAt": when,
            "Resources": [
                {
                    "Type": "AwsIamAccessKey",
                    "Id": f"AWS::IAM::AccessKey:{_access_key(i)}",
                }
            ],
        }
    else:
        body = {
            "title": f"Agent called a tool it was never granted ({serial})",
            "severity": "high",
            "detected_at": when,
            "id": f"gen-{serial}",
            "identity": {"k8s_service_account": f"ns-{i:02d}/{name}"},
        }
    return json.dumps(body).encode()


def storm_plan(total: int, workloads: int, repeat_share: float, seed: int) -> Plan:
    """Return `total` deliveries; `repeat_share` of them resend an earlier one."""
    rng = random.Random(seed)
    distinct = total - int(total * repeat_share)
    plan: Plan = []
    for serial in range(distinct):
        source = SOURCES[serial % len(SOURCES)]
        plan.append((source, alert_body(source, serial % workloads, serial)))
    for _ in range(total - distinct):
        # A repeat lands somewhere after its original, as a second detector
        # node's copy would.
        original = rng.randrange(distinct)
        plan.insert(rng.randrange(original + 1, len(plan) + 1), plan[original])
    return plan


def post_all(url: str, secret: str, plan: Plan, concurrency: int) -> dict[str, Any]:
    """Post every delivery over `concurrency` keep-alive connections; time each.

    Plain `http.client`, one connection per thread: httpx spends about 0.7 ms of
    CPU a request, so on two cores it could not outrun the bot it measures.
    """
    parsed = urlsplit(url)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    items = iter(plan)

    def worker() -> None:
        connection = HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        for source, body in items:
            started = time.perf_counter()
            connection.request("POST", f"/alerts/{source}", body, headers)
            answer = connection.getresponse()
            answer.read()
            latencies.append(time.perf_counter() - started)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
        connection.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(worker) for _ in range(concurrency)]:
            future.result()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "sent": len(plan),
        "seconds": round(elapsed, 2),
        "alerts_per_s": round(len(plan) / elapsed),
        "p50_ms": round(_quantile(latencies, 0.50) * 1000, 1),
        "p99_ms": round(_quantile(latencies, 0.99) * 1000, 1),
        "statuses": statuses,
    }


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def post_from_child(url: str, secret: str, plan: Plan, concurrency: int) -> dict:
    """Run `post_all` in its own process, so it has a core of its own."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(post_all, (url, secret, plan, concurrency))


def database(kind: str, folder: Path) -> AbstractContextManager[str]:
    """A fresh, empty database URL: a new file or a new PostgreSQL schema."""
    return scratch_database(kind, folder, postgres_url=POSTGRES_URL, name="storm")


def run_on_stack(kind: str, args: argparse.Namespace, plan: Plan) -> dict[str, Any]:
    """Start the whole bot on `kind`, post the storm, let Slack work settle, count."""
    import tempfile

    from sqlalchemy import func
    from sqlmodel import Session, select

    from bot.catalog import parse_catalog
    from bot.demo.stack import start_stack
    from storage.tables import Alert, Incident

    catalog = parse_catalog(catalog_yaml(args.workloads))
    with tempfile.TemporaryDirectory() as folder, database(kind, Path(folder)) as url:
        stack = start_stack(catalog, database_url=url)
        try:
            figures = post_from_child(
                stack.server.url, stack.intake_secret, plan, args.concurrency
            )
            print(f"{kind}: posted {figures}", file=sys.stderr, flush=True)
            started = time.perf_counter()
            stack.settle()
            figures["settle_s"] = round(time.perf_counter() - started, 1)
            with Session(stack.app.ctx.engine) as session:
                figures["incidents"] = session.exec(
                    select(func.count(Incident.id))
                ).one()
                figures["alerts_stored"] = session.exec(
                    select(func.count(Alert.id))
                ).one()
                figures["repeats_counted"] = session.exec(
                    select(func.coalesce(func.sum(Alert.repeats), 0))
                ).one()
            created = stack.emulator.calls_to("conversations.create")
            figures["channels"] = sum(1 for call in created if call.ok)
            figures["updates"] = sum(
                1 for call in stack.emulator.calls_to("chat.update") if call.ok
            )
        finally:
            stack.close()
    figures["database"] = kind
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--url", help="post to this running bot instead")
    parser.add_argument("--secret", help="intake secret for --url (all sources)")
    parser.add_argument("--alerts", type=int, default=10_000)
    parser.add_argument("--workloads", type=int, default=50)
    parser.add_argument("--repeat-share", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    # werkzeug logs every request at INFO; the bot's CLI quiets it the same way.
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    plan = storm_plan(args.alerts, args.workloads, args.repeat_share, args.seed)
    if args.url:
        figures = post_from_child(args.url, args.secret or "", plan, args.concurrency)
        print(json.dumps(figures, indent=2))
        return 0
    kinds = (
        ["sqlite", "postgresql"] if args.database in (None, "both") else [args.database]
    )
    failed = False
    for kind in kinds:
        figures = run_on_stack(kind, args, plan)
        figures["all_stored"] = (
            figures["alerts_stored"] + figures["repeats_counted"] == figures["sent"]
        )
        print(json.dumps(figures), flush=True)
        failed |= not figures["all_stored"] or figures["incidents"] != args.workloads
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
