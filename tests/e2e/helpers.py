"""Reading what the bot did, from the emulator and the database."""

from __future__ import annotations

import json
from typing import Any

from bot.demo.stack import Stack
from storage import decisions, incidents
from storage.tables import Incident


def only_incident(stack: Stack, incident_id: int) -> Incident:
    incident = incidents.get_incident(stack.app.ctx.engine, incident_id)
    assert incident is not None
    return incident


def posted_text(stack: Stack) -> str:
    """Every text and block the bot sent to Slack, as one string."""
    parts = []
    for call in stack.emulator.calls:
        for key in ("text", "blocks", "topic"):
            if key in call.args:
                value = call.args[key]
                parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def page_of(stack: Stack, incident_id: int, rung: int = 0):
    pages = [
        p
        for p in decisions.pages_of(stack.app.ctx.engine, incident_id)
        if p.rung == rung
    ]
    assert pages, f"no page at rung {rung}"
    return pages[0]


def progress_message(stack: Stack, channel: str) -> dict[str, Any]:
    """The live progress message, as it reads now."""
    found = [
        m
        for m in stack.emulator.messages_in(channel)
        if m.get("text", "").startswith("Containment progress")
    ]
    assert len(found) == 1, "expected one progress message"
    return found[0]


def statuses(stack: Stack, incident_id: int) -> dict[str, str]:
    """Each step's status, keyed by connector.action."""
    from storage import steps

    return {
        s.key.split(":")[0]: s.status
        for s in steps.steps_of(stack.app.ctx.engine, incident_id)
    }


def contained_statuses(stack: Stack, incident_id: int) -> list[str]:
    """What a fully contained plan looks like: every step done, stopping skipped."""
    from bot.containment.steps import Phase
    from storage import steps

    return [
        "skipped" if s.spec["phase"] == Phase.STOP_WORKLOAD else "succeeded"
        for s in steps.steps_of(stack.app.ctx.engine, incident_id)
    ]
