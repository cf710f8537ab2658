"""The `containbot` command: demo, serve, catalog check."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import cli_alerts, cli_records
from bot.catalog import load_catalog
from bot.catalog.check import check_catalog, has_errors, render_json, render_text
from bot.errors import ContainbotError
from bot.settings import INTAKE_SOURCES

EXAMPLES = Path(__file__).parent / "examples"
DEFAULT_ALERT = EXAMPLES / "guardduty-iam-access-key.json"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    level = os.environ.get("CONTAINBOT_LOG_LEVEL", "WARNING").upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # werkzeug logs every request at INFO whatever the root level says.
    logging.getLogger("werkzeug").setLevel(level)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except ContainbotError as exc:
        print(f"containbot: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="containbot",
        description="Contain compromised API-connected workloads from Slack.",
    )
    commands = parser.add_subparsers(title="commands")

    demo = commands.add_parser(
        "demo", help="play a whole incident on this machine, no Slack or AWS needed"
    )
    demo.add_argument(
        "--alert", type=Path, default=EXAMPLES / "guardduty-iam-access-key.json"
    )
    demo.add_argument(
        "--source",
        choices=INTAKE_SOURCES,
        help="alert format (default: guessed)",
    )
    demo.add_argument("--catalog", type=Path, default=EXAMPLES / "catalog.yml")
    demo.add_argument("--report", type=Path, help="write the full record as JSON here")
    demo.add_argument(
        "--evidence",
        type=Path,
        action="append",
        help="activity log (CloudTrail, Kubernetes audit, mesh) to attach; "
        "default: the example CloudTrail log when the example alert is played",
    )
    demo.set_defaults(run=_demo)

    serve = commands.add_parser("serve", help="run the bot in a real workspace")
    serve.add_argument(
        "--http",
        action="store_true",
        help="Events API over HTTP instead of Socket Mode",
    )
    serve.add_argument("--host", default=os.environ.get("CONTAINBOT_HOST", "0.0.0.0"))
    serve.add_argument(
        "--port", type=int, default=int(os.environ.get("CONTAINBOT_PORT", "3000"))
    )
    serve.set_defaults(run=_serve)

    catalog = commands.add_parser("catalog", help="work with the workload catalog")
    catalog_commands = catalog.add_subparsers(title="catalog commands")
    check = catalog_commands.add_parser(
        "check", help="report ownership gaps and risky identities"
    )
    check.add_argument("file", type=Path)
    check.add_argument("--json", action="store_true", help="print findings as JSON")
    check.set_defaults(run=_catalog_check)

    cli_records.register(commands)
    cli_alerts.register(commands)
    return parser


def _catalog_check(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.file)
    findings = check_catalog(catalog, now=datetime.now(UTC))
    if args.json:
        print(json.dumps(render_json(findings), indent=2))
    else:
        print(render_text(findings))
    return 1 if has_errors(findings) else 0


def _demo(args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo

    evidence = args.evidence
    if evidence is None and args.alert == DEFAULT_ALERT:
        evidence = [EXAMPLES / "cloudtrail-invoice-sync.json"]
    return run_demo(
        alert_path=args.alert,
        catalog_path=args.catalog,
        source=args.source,
        report_path=args.report,
        evidence=evidence,
    )


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import serve

    return serve(http=args.http, host=args.host, port=args.port)
