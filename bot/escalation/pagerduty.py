"""Tell PagerDuty (Events API v2) when an incident opens, is acknowledged, resolves."""

from __future__ import annotations

import logging
from typing import Any

import httpx
from pydantic import SecretStr

from bot.catalog.model import Workload
from bot.context import Context
from bot.settings import Settings
from storage import escalation as store
from storage import incidents
from storage.tables import Incident, PagerDutyEvent

logger = logging.getLogger(__name__)

ACTIONS = ("trigger", "acknowledge", "resolve")
# PagerDuty's four severities; containbot's come from the detectors' bands.
SEVERITIES = {
    "critical": "critical",
    "high": "error",
    "medium": "warning",
    "low": "info",
    "info": "info",
}
SUMMARY_LIMIT = 1024
MAX_ATTEMPTS = 10
_TIMEOUT = httpx.Timeout(10.0)


def dedup_key(incident_id: int) -> str:
    return f"containbot-incident-{incident_id}"


def routing_key(settings: Settings, workload: Workload | None) -> SecretStr | None:
    """The workload's team's routing key, else the one from settings."""
    if workload is not None:
        teams = workload.teams
        for team in (teams.security, teams.platform, teams.identity):
            if team and team in settings.pagerduty_team_keys:
                return settings.pagerduty_team_keys[team]
    return settings.pagerduty_routing_key


def configured(settings: Settings) -> bool:
    return bool(settings.pagerduty_routing_key or settings.pagerduty_team_keys)


def notify(ctx: Context, incident_id: int, action: str) -> None:
    """Queue `action` for PagerDuty and send it on a background thread.

    The event is stored first, so a failed or interrupted send is retried by
    the leader's sweep; Slack is never waited for.
    """
    if not configured(ctx.settings):
        return
    incident = incidents.get_incident(ctx.engine, incident_id)
    if incident is None or routing_key(ctx.settings, _workload(ctx, incident)) is None:
        return
    store.want_event(ctx.engine, incident_id, action)
    ctx.background.run("pagerduty", flush, ctx, incident_id)


def sweep(ctx: Context) -> None:
    """Queue the events incidents' states call for, then send everything unsent."""
    if not configured(ctx.settings):
        return
    for action in ACTIONS:
        for incident_id in store.incidents_needing(ctx.engine, action):
            incident = incidents.get_incident(ctx.engine, incident_id)
            if incident and routing_key(ctx.settings, _workload(ctx, incident)):
                store.want_event(ctx.engine, incident_id, action)
    flush(ctx)


def flush(ctx: Context, incident_id: int | None = None) -> None:
    """Send unsent events in order; an ack or resolve waits for its trigger."""
    for event in store.unsent_events(ctx.engine, max_attempts=MAX_ATTEMPTS):
        if incident_id is not None and event.incident_id != incident_id:
            continue
        # Events come in id order, so a trigger is tried before its ack; until
        # it is through, a later event would name an incident PagerDuty lacks.
        if event.action != "trigger" and not _triggered(ctx, event.incident_id):
            continue
        if event.id is None or not store.claim_event(
            ctx.engine, event.id, event.attempts
        ):
            continue
        _send(ctx, event)


def _triggered(ctx: Context, incident_id: int) -> bool:
    return any(
        e.action == "trigger" and e.sent_at is not None
        for e in store.events_of(ctx.engine, incident_id)
    )


def _send(ctx: Context, event: PagerDutyEvent) -> None:
    assert event.id is not None
    incident = incidents.get_incident(ctx.engine, event.incident_id)
    assert incident is not None
    key = routing_key(ctx.settings, _workload(ctx, incident))
    if key is None:
        return
    body = build_event(ctx, incident, event.action, key)
    error: str | None = None
    give_up: int | None = None
    try:
        response = httpx.post(ctx.settings.pagerduty_url, json=body, timeout=_TIMEOUT)
        if response.status_code >= 300:
            error = f"HTTP {response.status_code}: {_message(response)}"
            # 400 means the event itself is wrong: sending it again cannot help.
            if 400 <= response.status_code < 500 and response.status_code != 429:
                give_up = MAX_ATTEMPTS
    except httpx.HTTPError as exc:
        error = type(exc).__name__
    if error is None:
        logger.info("pagerduty %s sent incident=%s", event.action, event.incident_id)
    else:
        logger.warning(
            "pagerduty %s failed incident=%s attempt=%s error=%s",
            event.action,
            event.incident_id,
            event.attempts + 1,
            error,
        )
    store.finish_event(
        ctx.engine, event.id, error=error, now=ctx.clock(), give_up_at=give_up
    )


def build_event(
    ctx: Context, incident: Incident, action: str, key: SecretStr
) -> dict[str, Any]:
    """Build the Events API v2 body; only a trigger carries the payload."""
    assert incident.id is not None
    body: dict[str, Any] = {
        "routing_key": key.get_secret_value(),
        "event_action": action,
        "dedup_key": dedup_key(incident.id),
    }
    if action != "trigger":
        return body
    workload = _workload(ctx, incident)
    latest = incidents.latest_alert(ctx.engine, incident.id)
    name = incident.workload or "unowned workload"
    summary = f"containbot: {name} compromised: {incident.title}"
    body["payload"] = {
        "summary": summary[:SUMMARY_LIMIT],
        "source": "containbot",
        "severity": SEVERITIES.get(incident.severity.lower(), "error"),
        "timestamp": incident.opened_at.isoformat(),
        "component": name,
        "group": (workload.teams.security if workload else None) or "unowned",
        "class": latest.source if latest else "manual",
        # Ids and names only: never an alert body, a secret or a token.
        "custom_details": {
            "incident_id": incident.id,
            "workload": incident.workload,
            "slack_channel_id": incident.channel_id,
            "alerts": incident.alert_count,
            "criticality": [c.value for c in workload.criticality] if workload else [],
            "identities": [i.principal for i in workload.identities]
            if workload
            else [],
        },
    }
    body["client"] = "containbot"
    return body


def _workload(ctx: Context, incident: Incident) -> Workload | None:
    return ctx.workload(incident.workload)


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except ValueError:
        return ""
