"""Benchmark: containbot's per-identity summary against DuckDB's read_json.

Generates CloudTrail log files shaped like the corpus samples (the real delivery
layout, `{"Records": [...]}` per file, uncompressed, or JSON lines with
`--format lines`), then runs each side in its own subprocess on the same files:
per identity and eventSource, the call count, error count and first/last time.
Peak memory is each child's own `resource.getrusage(RUSAGE_SELF).ru_maxrss`.

    .venv/bin/python bench/touched_services.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "cloudtrail"
FILE_MB = 16  # CloudTrail delivers many small files; 16 MB keeps the count sane.

SERVICES = [
    ("s3.amazonaws.com", ["GetObject", "PutObject", "ListObjects", "HeadObject"]),
    ("secretsmanager.amazonaws.com", ["GetSecretValue", "ListSecrets"]),
    ("ssm.amazonaws.com", ["GetParameters", "DescribeInstanceInformation"]),
    ("sts.amazonaws.com", ["GetCallerIdentity", "AssumeRole"]),
    ("ec2.amazonaws.com", ["DescribeInstances", "GetPasswordData"]),
    ("iam.amazonaws.com", ["ListRoles", "CreateAccessKey", "GetUser"]),
    ("kms.amazonaws.com", ["Decrypt", "GenerateDataKey"]),
    ("dynamodb.amazonaws.com", ["GetItem", "Query", "PutItem"]),
    ("lambda.amazonaws.com", ["Invoke", "GetFunction"]),
    ("logs.amazonaws.com", ["PutLogEvents", "DescribeLogGroups"]),
]


def _templates() -> list[dict]:
    records: list[dict] = []
    for path in sorted(CORPUS.glob("aws.*.json")):
        records.extend(json.loads(path.read_text()))
    return records


def _identities(count: int) -> list[dict]:
    rng = random.Random(7)
    people = []
    for i in range(count):
        account = f"{rng.randrange(10**11, 10**12)}"
        if i % 2:
            people.append(
                {
                    "type": "IAMUser",
                    "accountId": account,
                    "arn": f"arn:aws:iam::{account}:user/svc-{i}",
                    "accessKeyId": f"AKIA{i:016d}",
                    "userName": f"svc-{i}",
                }
            )
        else:
            people.append(
                {
                    "type": "AssumedRole",
                    "accountId": account,
                    "arn": f"arn:aws:sts::{account}:assumed-role/app-{i}/s-{i}",
                    "accessKeyId": f"ASIA{i:016d}",
                }
            )
    return people


def generate(folder: Path, size_mb: int, layout: str) -> tuple[int, int]:
    """Write about `size_mb` of CloudTrail logs into `folder`; return bytes, records."""
    rng = random.Random(42)
    templates = _templates()
    people = _identities(2000)
    start = datetime(2024, 8, 1, tzinfo=UTC)
    target = size_mb << 20
    written = records = part = 0
    while written < target:
        batch: list[str] = []
        size = 0
        while size < FILE_MB << 20 and written + size < target:
            event = dict(rng.choice(templates))
            source, names = rng.choice(SERVICES)
            event["eventSource"], event["eventName"] = source, rng.choice(names)
            event["userIdentity"] = rng.choice(people)
            event["sourceIPAddress"] = f"10.{rng.randrange(4)}.{rng.randrange(8)}.1"
            moment = start + timedelta(seconds=records // 3)
            event["eventTime"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            if rng.random() < 0.03:
                event["errorCode"] = "AccessDenied"
            else:
                event.pop("errorCode", None)
            line = json.dumps(event, separators=(",", ":"))
            batch.append(line)
            size += len(line) + 1
            records += 1
        if layout == "records":
            text = '{"Records":[' + ",\n".join(batch) + "]}"
        else:
            text = "\n".join(batch) + "\n"
        path = folder / f"part-{part:05d}.json"
        path.write_text(text)
        written += len(text)
        part += 1
    return written, records


def _tree_rss_kb(root: int) -> int:
    """Return the resident memory of `root` and all its descendants, in KiB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parents[int(entry.name)] = int(fields.get("PPid", "0"))
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0])
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


def child_containbot(folder: str, workers: str) -> dict:
    """Summarize `folder` with containbot; return timings and the aggregate."""
    from bot.evidence import load_evidence

    # Workers are processes of their own: the peak that counts is the sum over
    # this process and every worker, sampled while they run.
    peak = [0]
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(os.getpid()))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    report = load_evidence([folder], None, workers=int(workers))
    seconds = time.perf_counter() - start
    running.clear()
    sampler.join()
    rows = {}
    for key, summary in report.summaries.items():
        for service, t in summary.services.items():
            first, last = t.first_seen, t.last_seen
            assert first is not None and last is not None
            rows[f"{key}|{service}"] = [
                t.calls,
                t.errors,
                first.isoformat(),
                last.isoformat(),
            ]
    return {
        "seconds": seconds,
        "records": report.records,
        "rows": rows,
        "tree_rss_kb": peak[0],
        "workers": int(workers),
    }


def child_duckdb(folder: str, layout: str) -> dict:
    """Compute the same aggregate with DuckDB's read_json on the same files."""
    import duckdb

    ident = "STRUCT(type VARCHAR, arn VARCHAR)"
    fields = (
        f"eventTime VARCHAR, eventSource VARCHAR, errorCode VARCHAR, "
        f"userIdentity {ident}"
    )
    if layout == "records":
        # Records is one array per file: DuckDB reads the file as one value and
        # unnests it, the way CloudTrail's own layout has to be read.
        source = (
            f"(SELECT unnest(Records) AS r FROM read_json('{folder}/*.json', "
            f"columns={{Records: 'STRUCT({fields})[]'}}, "
            f"maximum_object_size={1 << 30}))"
        )
        row = "r."
    else:
        columns = (
            "{eventTime: 'VARCHAR', eventSource: 'VARCHAR', errorCode: 'VARCHAR', "
            f"userIdentity: '{ident}'}}"
        )
        source = (
            f"read_json('{folder}/*.json', format='newline_delimited', "
            f"columns={columns})"
        )
        row = ""
    query = f"""
    SELECT caller || '|' || service, count(*), count(error), min(t), max(t) FROM (
      SELECT CASE WHEN {row}userIdentity.type = 'AssumedRole' THEN regexp_replace(
               {row}userIdentity.arn,
               '^arn:([^:]+):sts::([0-9]+):assumed-role/([^/]+)/.*$',
               'arn:\\1:iam::\\2:role/\\3')
             ELSE {row}userIdentity.arn END AS caller,
             {row}eventSource AS service, {row}errorCode AS error,
             CAST({row}eventTime AS TIMESTAMPTZ) AS t
      FROM {source}) GROUP BY ALL
    """
    duckdb.sql("SET TimeZone = 'UTC'")
    start = time.perf_counter()
    result = duckdb.sql(query).fetchall()
    seconds = time.perf_counter() - start
    rows = {k: [n, e, a.isoformat(), b.isoformat()] for k, n, e, a, b in result}
    threads = duckdb.sql("SELECT current_setting('threads')").fetchall()[0]
    return {
        "seconds": seconds,
        "records": sum(r[0] for r in rows.values()),
        "rows": rows,
        "threads": threads[0] if threads else None,
        "version": duckdb.__version__,
    }


def run(*args: str) -> dict:
    """Run one side in a fresh interpreter so its peak RSS is its own."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        sys.exit(f"{args[0]} failed:\n{out.stderr}")
    result = json.loads(out.stdout)
    result["wall"] = time.perf_counter() - started
    return result


def child(side: str, *args: str) -> None:
    """Run one side and print its result, with this process's peak RSS, as JSON."""
    sys.path.insert(0, str(ROOT))
    result = child_containbot(*args) if side == "containbot" else child_duckdb(*args)
    result["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(result, sys.stdout)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--format", choices=["records", "lines"], default="records")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="containbot's worker processes (default: one per core)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="containbot-bench-"))
    try:
        begun = time.perf_counter()
        size, records = generate(folder, args.size_mb, args.format)
        print(
            f"generated {size / 1e6:.0f} MB, {records} records ({args.format}) "
            f"in {folder} in {time.perf_counter() - begun:.0f} s"
        )
        ours = run("containbot", str(folder), str(args.workers))
        theirs = run("duckdb", str(folder), args.format)
        mb = size / 1e6
        for name, r in (("containbot", ours), ("duckdb " + theirs["version"], theirs)):
            print(
                f"{name:14} {r['seconds']:7.1f} s  {mb / r['seconds']:7.1f} MB/s  "
                f"{records / r['seconds']:9.0f} records/s  "
                f"peak RSS {r['rss_kb'] / 1024:6.0f} MB  (wall {r['wall']:.1f} s)"
            )
        print(
            f"containbot workers: {ours['workers']}, peak RSS of all its processes "
            f"{ours['tree_rss_kb'] / 1024:.0f} MB (sampled every 50 ms)"
        )
        print(f"duckdb threads: {theirs['threads']}")
        same = ours["rows"] == theirs["rows"]
        print(
            f"aggregates agree: {same} ({len(ours['rows'])} identity/service rows, "
            f"{ours['records']} vs {theirs['records']} records)"
        )
        if not same:
            diff = set(ours["rows"].items()) ^ set(theirs["rows"].items())
            print("first differences:", sorted(diff)[:5])
            sys.exit(1)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder)


if __name__ == "__main__":
    main()
