"""Attach what an incident's identity touched, from activity logs, to the incident."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import boto3

from bot.context import Context
from bot.evidence import load_evidence
from bot.slack import evidence_blocks
from storage import evidence, incidents

logger = logging.getLogger(__name__)

SECRETS_MANAGER = "secretsmanager.amazonaws.com"


def attach(
    ctx: Context,
    incident_id: int,
    paths: list[str],
    *,
    origin: str,
    lookback: bool = True,
) -> None:
    """Load logs under `paths`, keep the incident workload's summary, post it.

    With `lookback`, records older than the configured window before the first
    alert are left out, so a shared log folder is not read back to the
    beginning of time; a log someone chose to attach is read whole.
    """
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None:
        return
    alerts = incidents.alerts_of(ctx.engine, incident_id)
    # "New since the alert" is measured from the detector's own time for the
    # first alert, not from when containbot heard of it.
    alert_at = min((a.detected_at for a in alerts), default=incident.opened_at)
    since = None
    if lookback:
        since = alert_at - timedelta(hours=ctx.settings.evidence_lookback_hours)
    report = load_evidence(
        paths, ctx.index, s3_client=_s3(ctx, paths), since=since, alert_at=alert_at
    )
    summary = workload_summary(report.to_json(), incident.workload)
    evidence.keep(
        ctx.engine,
        incident_id=incident_id,
        origin=origin,
        records=report.records,
        summary=summary,
        now=ctx.clock(),
    )
    logger.info(
        "evidence attached incident=%s workload=%s records=%s services=%s",
        incident_id,
        incident.workload,
        report.records,
        len(summary.get("services", [])),
    )
    if incident.channel_id:
        text, blocks = evidence_blocks.touched(incident_id, summary)
        ctx.slack.chat_postMessage(
            channel=incident.channel_id, text=text, blocks=blocks
        )


def workload_summary(report: dict[str, Any], workload: str | None) -> dict[str, Any]:
    """Pick the workload's summary out of a report (empty when it made no call)."""
    for summary in report.get("summaries", []):
        if workload is not None and summary.get("workload") == workload:
            return {**summary, "notes": report.get("notes", [])}
    return {
        "workload": workload,
        "services": [],
        "calls": 0,
        "notes": report.get("notes", []),
    }


def secrets_read(summary: dict[str, Any]) -> list[str]:
    """Secrets Manager secrets the identity read: each is a rotation candidate."""
    names: list[str] = []
    for service in summary.get("services", []):
        if service.get("service") != SECRETS_MANAGER:
            continue
        names.extend(
            name
            for name, kind in service.get("read_names", {}).items()
            if kind == "secret"
        )
    return list(dict.fromkeys(names))


def _s3(ctx: Context, paths: list[str]) -> Any:
    if not any(path.startswith("s3://") for path in paths):
        return None
    # Credentials come from boto3's standard chain, as for the AWS connector.
    return boto3.client(
        "s3",
        endpoint_url=ctx.settings.aws_endpoint_url,
        region_name=ctx.settings.aws_region,
    )
