"""PagerDuty events, checked by a local receiver that validates the v2 shape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, Response, jsonify, request
from pydantic import SecretStr

from bot.escalation import pagerduty
from bot.server import RunningServer, start_server
from storage import incidents
from tests.escalation.conftest import RigFactory

ROUTING_KEY = "R0UTINGKEY0123456789abcdefABCDEF"
SEVERITIES = {"critical", "error", "warning", "info"}


class Receiver:
    """A stand-in for events.pagerduty.com that refuses malformed events."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.fail_next: list[int] = []
        self._lock = threading.Lock()
        web = Flask("pagerduty")
        web.post("/v2/enqueue")(self._enqueue)
        self.server: RunningServer = start_server(web)
        self.url = f"{self.server.url}/v2/enqueue"

    def _enqueue(self) -> tuple[Response, int]:
        body = request.get_json(force=True)
        problems = check_event(body)
        with self._lock:
            self.events.append(body)
            self.problems += problems
            status = self.fail_next.pop(0) if self.fail_next else 0
        if problems:
            return jsonify(status="invalid event", message="; ".join(problems)), 400
        if status:
            return jsonify(status="error", message="try again"), status
        return jsonify(status="success", dedup_key=body["dedup_key"]), 202

    def actions(self) -> list[str]:
        with self._lock:
            return [e["event_action"] for e in self.events]


def check_event(body: dict[str, Any]) -> list[str]:
    """Return what is wrong with an event, per the Events API v2 documentation."""
    problems = []
    if not isinstance(body.get("routing_key"), str) or not body["routing_key"]:
        problems.append("routing_key missing")
    if body.get("event_action") not in ("trigger", "acknowledge", "resolve"):
        problems.append("event_action invalid")
    if not str(body.get("dedup_key", "")).startswith("containbot-incident-"):
        problems.append("dedup_key missing")
    if body.get("event_action") != "trigger":
        return problems
    payload = body.get("payload") or {}
    summary = payload.get("summary")
    if not isinstance(summary, str) or not 0 < len(summary) <= 1024:
        problems.append("summary must be 1..1024 characters")
    if not payload.get("source"):
        problems.append("source missing")
    if payload.get("severity") not in SEVERITIES:
        problems.append("severity invalid")
    try:
        datetime.fromisoformat(payload.get("timestamp", ""))
    except ValueError:
        problems.append("timestamp is not ISO 8601")
    for name in ("component", "group", "class"):
        if not isinstance(payload.get(name), str):
            problems.append(f"{name} must be a string")
    if not isinstance(payload.get("custom_details"), dict):
        problems.append("custom_details must be an object")
    return problems


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.stop()


def test_trigger_acknowledge_resolve_with_a_retry(
    make_rig: RigFactory, receiver: Receiver
) -> None:
    receiver.fail_next = [500]
    rig = make_rig(
        pagerduty_routing_key=SecretStr(ROUTING_KEY), pagerduty_url=receiver.url
    )
    incident_id = rig.open_incident()
    assert receiver.actions() == ["trigger"]  # PagerDuty answered 500
    rig.sweep()
    assert receiver.actions() == ["trigger", "trigger"]

    channel = incidents.get_incident(rig.ctx.engine, incident_id).channel_id
    rig.driver.slash_command("U01AOWNER", "ack", channel_id=channel)
    rig.settle()
    assert receiver.actions()[-1] == "acknowledge"

    incidents.update_incident(
        rig.ctx.engine, incident_id, status="resolved", resolved_at=rig.clock()
    )
    rig.sweep()
    rig.sweep()
    assert receiver.actions() == ["trigger", "trigger", "acknowledge", "resolve"]
    assert receiver.problems == []
    assert {e["dedup_key"] for e in receiver.events} == {
        f"containbot-incident-{incident_id}"
    }
    trigger = receiver.events[1]
    assert trigger["payload"]["component"] == "invoice-sync"
    assert trigger["payload"]["severity"] == "error"
    # The routing key travels only where PagerDuty wants it; no Slack token at all.
    details = repr(trigger["payload"])
    assert ROUTING_KEY not in details
    token = rig.settings.slack_bot_token.get_secret_value()
    assert all(token not in repr(event) for event in receiver.events)
    actions = rig.actions(incident_id)
    assert actions.count("pagerduty.failed") == 1
    assert actions.count("pagerduty.sent") == 3


def test_pagerduty_is_triggered_when_slack_is_down(
    make_rig: RigFactory, receiver: Receiver
) -> None:
    rig = make_rig(
        pagerduty_team_keys={"S0SECOPS": SecretStr(ROUTING_KEY)},
        pagerduty_url=receiver.url,
    )
    # Slack refuses to create the room, so no page can go out in Slack...
    rig.emulator.inject("conversations.create", status=200, error="fatal_error")
    rig.driver.slash_command("U0ANALYST", "invoice-sync")
    rig.settle()
    # ...and the leader's sweep still tells PagerDuty.
    rig.sweep()
    assert receiver.actions() == ["trigger"]
    assert receiver.events[0]["routing_key"] == ROUTING_KEY
    assert receiver.problems == []


def test_a_long_title_is_cut_to_pagerduty_limit(
    make_rig: RigFactory, receiver: Receiver
) -> None:
    rig = make_rig(
        pagerduty_routing_key=SecretStr(ROUTING_KEY), pagerduty_url=receiver.url
    )
    rig.driver.slash_command("U0ANALYST", "invoice-sync " + "x" * 3000)
    rig.settle()
    incident = incidents.get_incident(rig.ctx.engine, 1)
    body = pagerduty.build_event(rig.ctx, incident, "trigger", SecretStr(ROUTING_KEY))
    assert check_event(body) == []
    assert len(body["payload"]["summary"]) == 1024
