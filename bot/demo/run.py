"""Entry point of `containbot demo`."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from bot.catalog import load_catalog
from bot.demo.report import build_report, render_text
from bot.demo.scenario import play_incident
from bot.demo.sources import guess_source
from bot.demo.stack import start_stack
from bot.errors import ContainbotError


def run_demo(
    *,
    alert_path: Path,
    catalog_path: Path,
    source: str | None,
    report_path: Path | None,
    evidence: list[Path] | None = None,
) -> int:
    """Play one incident end to end and print its transcript; 0 when contained."""
    catalog = load_catalog(catalog_path)
    try:
        body = alert_path.read_bytes()
    except OSError as exc:
        raise ContainbotError(
            f"cannot read alert file {alert_path}: {exc.strerror}"
        ) from exc
    source = source or guess_source(body)

    with tempfile.TemporaryDirectory(prefix="containbot-demo-") as workdir:
        stack = start_stack(
            catalog,
            database_url=f"sqlite:///{workdir}/containbot.db",
            evidence_paths=tuple(str(path) for path in evidence or ()),
        )
        try:
            play = play_incident(stack, source, body)
            report = build_report(stack, play)
            transcript = render_text(stack, play, report)
        finally:
            stack.close()

    print(transcript)
    if report_path is not None:
        report_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nReport written to {report_path}")
    incident = report["incident"] or {}
    return 0 if incident.get("status") == "contained" else 1
