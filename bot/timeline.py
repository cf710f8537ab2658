"""An incident's timeline for the post-incident review, as Markdown and JSON."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.slack.timefmt import duration
from storage import audit, decisions, evidence, incidents, steps
from storage.db import session_scope
from storage.tables import Incident


def export_json(engine: Engine, incident_id: int) -> dict[str, Any]:
    """Everything recorded about one incident, read from the database."""
    incident = incidents.get_incident(engine, incident_id)
    if incident is None:
        raise LookupError(f"no incident {incident_id}")
    with session_scope(engine) as session:
        events = audit.timeline(session, incident_id)
    ack = decisions.acknowledgement_of(engine, incident_id)
    decision = decisions.decision_of(engine, incident_id)
    loaded = evidence.latest(engine, incident_id)
    return {
        "incident": {
            "id": incident.id,
            "workload": incident.workload,
            "status": incident.status,
            "severity": incident.severity,
            "title": incident.title,
            "channel": incident.channel_name,
            "opened_at": _iso(incident.opened_at),
            "opened_by": incident.opened_by,
            "acknowledged_at": _iso(incident.acknowledged_at),
            "contained_at": _iso(incident.contained_at),
            "resolved_at": _iso(incident.resolved_at),
            "alert_count": incident.alert_count,
        },
        "metrics": _metrics(incident),
        "alerts": [
            {
                "source": a.source,
                "title": a.title,
                "severity": a.severity,
                "detected_at": _iso(a.detected_at),
                "received_at": _iso(a.received_at),
                "repeats": a.repeats,
                "matched_by": a.matched_by,
            }
            for a in incidents.alerts_of(engine, incident_id)
        ],
        "acknowledgement": ack and {"user": ack.user_id, "at": _iso(ack.at)},
        "decision": decision
        and {
            "user": decision.user_id,
            "decision": decision.decision,
            "at": _iso(decision.at),
            "steps": decision.step_keys,
        },
        "steps": [
            {
                "key": s.key,
                "status": s.status,
                "attempts": s.attempts,
                "started_at": _iso(s.started_at),
                "finished_at": _iso(s.finished_at),
                "detail": s.detail,
            }
            for s in steps.steps_of(engine, incident_id)
        ],
        "touched": loaded.summary if loaded else None,
        "timeline": [
            {"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
            for e in events
        ],
    }


def export_markdown(engine: Engine, incident_id: int) -> str:
    """The same record as a Markdown document for the review."""
    data = export_json(engine, incident_id)
    incident, metrics = data["incident"], data["metrics"]
    lines = [
        f"# Incident {incident['id']}: {incident['workload'] or 'unowned workload'}",
        "",
        f"- Title: {incident['title']}",
        f"- Severity: {incident['severity']}; status: {incident['status']}",
        f"- Channel: #{incident['channel']}",
        f"- Opened: {incident['opened_at']} by {incident['opened_by']}",
        "- Time to acknowledge: "
        + (metrics["time_to_acknowledge"] or "not acknowledged"),
        "- Time to contain: " + (metrics["time_to_contain"] or "not contained"),
        f"- Alerts: {incident['alert_count']}",
        "",
        "## Containment steps",
        "",
        "| step | status | attempts | detail |",
        "|---|---|---|---|",
    ]
    for step in data["steps"]:
        detail = (step["detail"] or "").replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| {step['key']} | {step['status']} | {step['attempts']} | {detail} |"
        )
    touched = data["touched"]
    if touched and touched.get("services"):
        lines += ["", "## What the identity touched", ""]
        for service in touched["services"]:
            lines.append(
                f"- {service['service']}: {service['calls']} calls, "
                f"{service['errors']} errors, {service['first_seen']} to "
                f"{service['last_seen']}"
            )
        if touched.get("rotation_candidates"):
            lines.append(
                "- Secrets read (rotate): " + ", ".join(touched["rotation_candidates"])
            )
    lines += [
        "",
        "## Timeline",
        "",
        "| time (UTC) | who | what | detail |",
        "|---|---|---|---|",
    ]
    for event in data["timeline"]:
        detail = ", ".join(
            f"{key}={value}"
            for key, value in event["detail"].items()
            if value is not None
        )
        detail = detail.replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(
            f"| {event['at']} | {event['actor']} | {event['action']} | {detail} |"
        )
    return "\n".join(lines) + "\n"


def aggregate_metrics(engine: Engine) -> dict[str, Any]:
    """Time to acknowledge and to contain, over every incident."""
    with session_scope(engine) as session:
        rows = list(session.exec(select(Incident).order_by(col(Incident.id))))
    to_ack = [i.acknowledged_at - i.opened_at for i in rows if i.acknowledged_at]
    to_contain = [i.contained_at - i.opened_at for i in rows if i.contained_at]
    return {
        "incidents": len(rows),
        "acknowledged": len(to_ack),
        "contained": len(to_contain),
        "time_to_acknowledge": _spread(to_ack),
        "time_to_contain": _spread(to_contain),
        "per_incident": [
            _metrics(i) | {"id": i.id, "workload": i.workload} for i in rows
        ],
    }


def _metrics(incident: Incident) -> dict[str, str | None]:
    ack = incident.acknowledged_at
    contained = incident.contained_at
    return {
        "time_to_acknowledge": duration(ack - incident.opened_at) if ack else None,
        "time_to_contain": duration(contained - incident.opened_at)
        if contained
        else None,
    }


def _spread(values: list[timedelta]) -> dict[str, str] | None:
    if not values:
        return None
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    median = timedelta(seconds=statistics.median(v.total_seconds() for v in ordered))
    return {
        "median": duration(median),
        "p90": duration(p90),
        "max": duration(ordered[-1]),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
