"""The demo's record: a readable transcript and the same facts as JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.demo.scenario import Play
from bot.demo.stack import Stack
from storage import audit, decisions, incidents, steps
from storage.db import session_scope

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CDG][A-Z0-9]+)>")

# Arguments worth showing for each Web API call; blocks are summarized by count.
_MAIN_ARGS = (
    "channel",
    "name",
    "users",
    "topic",
    "ts",
    "timestamp",
    "email",
    "usergroup",
    "user",
)


def build_report(stack: Stack, play: Play) -> dict[str, Any]:
    """Gather every fact the demo produced, read back from where it is stored."""
    engine = stack.app.ctx.engine
    incident_id = play.incident_id
    incident = incidents.get_incident(engine, incident_id) if incident_id else None
    ack = decisions.acknowledgement_of(engine, incident_id) if incident_id else None
    decision = decisions.decision_of(engine, incident_id) if incident_id else None
    with session_scope(engine) as session:
        events = audit.timeline(session, incident_id) if incident_id else []
    return {
        "incident": incident
        and {
            "id": incident.id,
            "workload": incident.workload,
            "channel_id": incident.channel_id,
            "channel_name": incident.channel_name,
            "status": incident.status,
            "severity": incident.severity,
            "title": incident.title,
            "alert_count": incident.alert_count,
            "opened_at": _iso(incident.opened_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "contained_at": _iso(incident.contained_at),
        },
        "intake_answer": play.intake_answer,
        "web_api_calls": [_call(call) for call in stack.emulator.calls],
        "pages": [
            {
                "rung": p.rung,
                "target": p.target,
                "channel": p.channel_id,
                "ts": p.message_ts,
                "sent_at": _iso(p.sent_at),
                "error": p.error,
            }
            for p in (decisions.pages_of(engine, incident_id) if incident_id else [])
        ],
        "acknowledgement": ack and {"user": ack.user_id, "at": _iso(ack.at)},
        "approvals": [
            {
                "user": decision.user_id,
                "decision": decision.decision,
                "at": _iso(decision.at),
                "steps": decision.step_keys,
            }
        ]
        if decision
        else [],
        "refusals": [
            {
                "user": r.user_id,
                "action": r.action,
                "reason": r.reason,
                "at": _iso(r.at),
            }
            for r in (decisions.refusals_of(engine, incident_id) if incident_id else [])
        ],
        "steps": [
            {
                "key": s.key,
                "status": s.status,
                "attempts": s.attempts,
                "detail": s.detail,
                "evidence": s.evidence,
            }
            for s in (steps.steps_of(engine, incident_id) if incident_id else [])
        ],
        "aws": {"before": play.aws_before, "after": play.aws_after},
        "kubernetes": {
            "before": play.kubernetes_before,
            "after": play.kubernetes_after,
        },
        "audit": [
            {"at": _iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
            for e in events
        ],
    }


def _call(call: Any) -> dict[str, Any]:
    args = {k: call.args[k] for k in _MAIN_ARGS if k in call.args}
    if "text" in call.args:
        args["text"] = str(call.args["text"])[:200]
    if "blocks" in call.args:
        blocks = call.args["blocks"]
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        args["blocks"] = len(blocks)
    return {"method": call.method, "args": args, "ok": call.ok, "error": call.error}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def render_text(stack: Stack, play: Play, report: dict[str, Any]) -> str:
    """The transcript: what each person saw, in order, then AWS before and after."""
    names = {user.id: user.real_name for user in stack.workspace.users}
    channels = {}
    if report["incident"] and report["incident"]["channel_id"]:
        channels[report["incident"]["channel_id"]] = report["incident"]["channel_name"]
    entries: list[tuple[float, str]] = [
        (entry.at, entry.render(0.0)) for entry in stack.emulator.transcript()
    ]
    entries += [
        (at, f">> {names.get(who, who)} {what}") for at, who, what in play.actions
    ]
    entries.sort(key=lambda pair: pair[0])
    start = entries[0][0] if entries else 0.0
    lines = ["== What each person saw in Slack =="]
    for at, text in entries:
        lines.append(_readable(_retime(text, at - start), names, channels))
    lines += ["", "== AWS state before ==", _aws(play.aws_before)]
    lines += ["", "== AWS state after ==", _aws(play.aws_after)]
    lines += ["", "== Kubernetes state before ==", _kube(play.kubernetes_before)]
    lines += ["", "== Kubernetes state after ==", _kube(play.kubernetes_after)]
    incident = report["incident"] or {}
    lines += [
        "",
        "== Outcome ==",
        f"incident {incident.get('id')} for "
        f"{incident.get('workload') or 'an unowned workload'} "
        f"in #{incident.get('channel_name')}: {incident.get('status')}",
    ]
    for step in report["steps"]:
        lines.append(f"  {step['status']:<9} {step['key']}")
    lines.append(
        f"  refusals recorded: {len(report['refusals'])}; "
        f"Web API calls: {len(report['web_api_calls'])}"
    )
    return "\n".join(lines)


def _readable(text: str, names: dict[str, str], channels: dict[str, str]) -> str:
    """Show mentions as Slack's client does: names, not member or channel ids."""
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    return _CHANNEL.sub(lambda m: "#" + channels.get(m.group(1), m.group(1)), text)


def _retime(text: str, offset: float) -> str:
    # Emulator entries carry their own "+N.NNs" prefix from time zero; the demo's
    # own actions do not, so give both the same clock.
    if text.startswith("+"):
        head, _, rest = text.partition("s ")
        return f"+{offset:6.2f}s {rest}"
    return f"+{offset:6.2f}s {text}"


def _aws(state: dict[str, Any]) -> str:
    lines = []
    for user, keys in state.get("users", {}).items():
        statuses = (
            ", ".join(f"{key} {status}" for key, status in keys.items()) or "no keys"
        )
        lines.append(f"  IAM user {user}: {statuses}")
    for role, policies in state.get("roles", {}).items():
        lines.append(
            f"  IAM role {role}: inline policies {', '.join(policies) or 'none'}"
        )
    for secret, versions in state.get("secrets", {}).items():
        current = [v for v, stages in versions.items() if "AWSCURRENT" in stages]
        lines.append(
            f"  secret {secret}: {len(versions)} version(s), "
            f"AWSCURRENT {', '.join(current) or '-'}"
        )
    return "\n".join(lines) or "  (nothing seeded)"


def _kube(state: dict[str, Any]) -> str:
    lines = []
    for workload, objects in state.items():
        listed = {key: ", ".join(names) or "none" for key, names in objects.items()}
        lines.append(
            f"  {workload}: token secrets {listed['token_secrets']};"
            f" role bindings {listed['role_bindings']};"
            f" network policies {listed['network_policies']};"
            f" quarantined pods {listed['quarantined_pods']}"
        )
    return "\n".join(lines) or "  (nothing seeded)"
