"""`containbot evidence` and `containbot incident`: logs and the record, offline."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bot.catalog import load_catalog
from bot.errors import ContainbotError
from bot.evidence import load_evidence
from bot.intake.match import WorkloadIndex
from bot.settings import DEFAULT_DATABASE_URL
from storage.db import create_tables, make_engine


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `evidence` and `incident` commands to the main parser."""
    evidence = commands.add_parser(
        "evidence", help="what identities touched, from logs"
    )
    evidence_commands = evidence.add_subparsers(title="evidence commands")
    load = evidence_commands.add_parser(
        "load", help="summarize CloudTrail, Kubernetes audit and mesh logs"
    )
    load.add_argument("paths", nargs="+", help="files, folders or s3://bucket/prefix")
    load.add_argument("--catalog", type=Path, help="attribute callers to workloads")
    load.add_argument("--json", action="store_true", help="print the report as JSON")
    load.set_defaults(run=_evidence_load)

    incident = commands.add_parser("incident", help="export an incident's record")
    incident_commands = incident.add_subparsers(title="incident commands")
    export = incident_commands.add_parser(
        "export", help="the timeline for the post-incident review"
    )
    export.add_argument("id", type=int)
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    export.add_argument("--out", type=Path, help="write here instead of stdout")
    export.set_defaults(run=_incident_export)
    metrics = incident_commands.add_parser(
        "metrics", help="time to acknowledge and to contain, per incident and overall"
    )
    metrics.set_defaults(run=_incident_metrics)


def _evidence_load(args: argparse.Namespace) -> int:
    index = WorkloadIndex(load_catalog(args.catalog)) if args.catalog else None
    report = load_evidence(args.paths, index, progress=_progress, s3_client=_s3(args))
    print(file=sys.stderr)
    data = report.to_json()
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    for summary in data["summaries"]:
        label = summary.get("workload") or summary["key"]
        print(f"{label}: {summary['calls']} calls")
        for service in summary["services"]:
            print(
                f"  {service['service']}: {service['calls']} calls, "
                f"{service['errors']} errors, {service['secret_reads']} secret reads, "
                f"{service['data_reads']} data reads"
            )
        if summary.get("rotation_candidates"):
            print("  rotate: " + ", ".join(summary["rotation_candidates"]))
        if summary.get("probing"):
            print("  probing: bursts of AccessDenied")
    for note in data["notes"]:
        print(f"note: {note}")
    return 0


def _progress(count: int) -> None:
    # One line rewritten in place: long loads show they are moving.
    print(f"\r{count:,} records read", end="", file=sys.stderr, flush=True)


def _s3(args: argparse.Namespace) -> object | None:
    if not any(path.startswith("s3://") for path in args.paths):
        return None
    import boto3

    return boto3.client(
        "s3", endpoint_url=os.environ.get("CONTAINBOT_AWS_ENDPOINT_URL") or None
    )


def _engine():  # type: ignore[no-untyped-def]
    engine = make_engine(
        os.environ.get("CONTAINBOT_DATABASE_URL") or DEFAULT_DATABASE_URL
    )
    create_tables(engine)
    return engine


def _incident_export(args: argparse.Namespace) -> int:
    from bot.timeline import export_json, export_markdown

    engine = _engine()
    try:
        if args.format == "json":
            text = json.dumps(export_json(engine, args.id), indent=2) + "\n"
        else:
            text = export_markdown(engine, args.id)
    except LookupError as exc:
        raise ContainbotError(str(exc)) from exc
    if args.out:
        args.out.write_text(text)
    else:
        print(text, end="")
    return 0


def _incident_metrics(args: argparse.Namespace) -> int:
    from bot.timeline import aggregate_metrics

    print(json.dumps(aggregate_metrics(_engine()), indent=2))
    return 0
