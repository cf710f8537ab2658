"""Block Kit builders for every message containbot posts.

Everything from an alert or the catalog passes through bot.slack.escape here, and
every text is cut to Slack's limits so that a long alert never makes a post fail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.catalog.model import Identity, Workload
from bot.containment.steps import StepSpec
from bot.slack import messages
from bot.slack.escape import code, mrkdwn, plain
from bot.slack.timefmt import duration

Block = dict[str, Any]

# Slack's limits are 3,000 characters of section text and 2,000 per field; stay
# below them so that added markup never pushes a post over.
SECTION_LIMIT = 2900
FIELD_LIMIT = 1900
ACK_ACTION = "incident.acknowledge"
APPROVE_ACTION = "plan.approve"
REJECT_ACTION = "plan.reject"
RETRY_ACTION = "step.retry"


def section_block(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def fields_block(pairs: list[tuple[str, str]]) -> Block:
    return {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": f"*{label}*\n{value}"[:FIELD_LIMIT]}
            for label, value in pairs[:10]
        ],
    }


def header_block(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": plain(text, limit=150)},
    }


def context_block(text: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}],
    }


def _person(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_not named_"


def summary(
    *,
    incident_id: int,
    workload: str | None,
    status: str,
    severity: str,
    title: str,
    alert_count: int,
    latest_alert: str | None,
    people: dict[str, str | None],
    opened_at: datetime,
    acknowledged_by: str | None,
) -> tuple[str, list[Block]]:
    """The pinned summary, re-rendered whenever the incident changes."""
    name = mrkdwn(workload or "unowned", limit=80)
    text = f"Incident {incident_id}: {workload or 'unowned'} ({status})"
    blocks = [
        header_block(f"Containment: {workload or 'unowned workload'}"),
        section_block(f"*{mrkdwn(title, limit=500)}*"),
        fields_block(
            [
                ("Status", status),
                ("Severity", severity),
                ("Owner", _person(people.get("owner"))),
                ("Fallback owner", _person(people.get("fallback_owner"))),
                ("Incident commander", _person(people.get("approver"))),
                (
                    "Acknowledged",
                    _person(acknowledged_by) if acknowledged_by else "not yet",
                ),
                ("Alerts", str(alert_count)),
                ("Latest alert", mrkdwn(latest_alert or "none", limit=300)),
            ]
        ),
        context_block(
            f"Incident {incident_id} · workload {name} · "
            f"opened {opened_at:%Y-%m-%d %H:%M:%S} UTC"
        ),
    ]
    return text, blocks


def page(
    *,
    incident_id: int,
    workload: str,
    role: str,
    title: str,
    channel_id: str,
    identities: tuple[Identity, ...],
    now: datetime,
) -> tuple[str, list[Block]]:
    """The DM that pages one person, with an Acknowledge button."""
    name = mrkdwn(workload, limit=80)
    intro = messages.PAGE_INTRO.format(
        role=role, workload=name, title=mrkdwn(title, limit=500), channel=channel_id
    )
    can_do = "\n".join(_identity_line(identity, now) for identity in identities[:8])
    blocks = [
        section_block(intro),
        section_block(
            "*What its identities can still do*\n" + (can_do or "_none listed_")
        ),
        {
            "type": "actions",
            "block_id": f"page-{incident_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": ACK_ACTION,
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "style": "primary",
                    "value": str(incident_id),
                }
            ],
        },
    ]
    return messages.PAGE_TEXT.format(workload=workload), blocks


def page_acknowledged(user_id: str) -> list[Block]:
    return [section_block(messages.PAGE_ACKNOWLEDGED.format(user=user_id))]


def _lifetime(identity: Identity, now: datetime) -> str:
    if identity.expires_at is not None:
        left = identity.expires_at - now
        if left.total_seconds() <= 0:
            return "expired"
        return f"expires in {duration(left)}"
    if identity.static:
        age = (
            f", issued {duration(now - identity.issued_at)} ago"
            if identity.issued_at
            else ""
        )
        return f"static, never expires{age}"
    return "short-lived (no expiry recorded)"


def _identity_line(identity: Identity, now: datetime) -> str:
    scopes = ", ".join(identity.scopes) or "no scopes recorded"
    return (
        f"• {identity.kind.value} {code(identity.principal)}: "
        f"{mrkdwn(scopes, limit=400)} ({_lifetime(identity, now)})"
    )


def scope(workload: Workload, now: datetime) -> tuple[str, list[Block]]:
    """What the identity can still do: scopes, lifetime, sharing, secrets."""
    blocks: list[Block] = [header_block("What the identity can still do")]
    for identity in workload.identities[:20]:
        pairs = [
            ("Identity", f"{identity.kind.value}\n{code(identity.principal)}"),
            (
                "Scopes",
                mrkdwn(", ".join(identity.scopes) or "none recorded", limit=900),
            ),
            ("Lifetime", _lifetime(identity, now)),
            (
                "Shared with",
                mrkdwn(", ".join(identity.shared_with), limit=400)
                if identity.shared_with
                else "no other workload",
            ),
        ]
        if identity.access_key_ids:
            pairs.append(
                ("Access keys", ", ".join(code(k) for k in identity.access_key_ids))
            )
        blocks.append(fields_block(pairs))
    if workload.secrets:
        lines = [
            f"• {secret.kind.value} {code(secret.name)}"
            + (
                f", shared with {mrkdwn(', '.join(secret.shared_with))}"
                if secret.shared_with
                else ""
            )
            for secret in workload.secrets[:20]
        ]
        blocks.append(section_block("*Secrets it can read*\n" + "\n".join(lines)))
    if workload.tool_grants:
        grants = ", ".join(code(grant) for grant in workload.tool_grants[:20])
        blocks.append(section_block(f"*Tool grants*\n{grants}"))
    criticality = ", ".join(c.value for c in workload.criticality) or "not stated"
    blocks.append(context_block(f"Criticality: {criticality}"))
    return f"Scope of {workload.name}'s identities", blocks


def plan(
    *,
    incident_id: int,
    workload: str,
    specs: list[StepSpec],
    approver_id: str | None,
) -> tuple[str, list[Block]]:
    """The containment plan with Approve and Reject buttons."""
    name = mrkdwn(workload, limit=80)
    blocks: list[Block] = [header_block("Containment plan")]
    for position, spec in enumerate(specs[:40], start=1):
        lines = [
            f"*{position}. {mrkdwn(step_title(spec))}*",
            f"Target: {code(spec.target)}",
            f"Change: {mrkdwn(spec.change, limit=900)}",
        ]
        if spec.affects:
            lines.append(f":warning: Also affects: {mrkdwn(', '.join(spec.affects))}")
        blocks.append(section_block("\n".join(lines)))
    if approver_id is None:
        blocks.append(section_block(messages.PLAN_NO_APPROVER.format(workload=name)))
        return messages.PLAN_TEXT.format(workload=workload, count=len(specs)), blocks
    blocks.append(context_block(messages.PLAN_APPROVER.format(approver=approver_id)))
    blocks.append(
        {
            "type": "actions",
            "block_id": f"plan-{incident_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": APPROVE_ACTION,
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                    "value": str(incident_id),
                    "confirm": {
                        "title": {"type": "plain_text", "text": messages.CONFIRM_TITLE},
                        "text": {
                            "type": "mrkdwn",
                            "text": messages.CONFIRM_TEXT.format(
                                count=len(specs), workload=name
                            ),
                        },
                        "confirm": {"type": "plain_text", "text": "Approve"},
                        "deny": {"type": "plain_text", "text": "Cancel"},
                    },
                },
                {
                    "type": "button",
                    "action_id": REJECT_ACTION,
                    "text": {"type": "plain_text", "text": "Reject"},
                    "style": "danger",
                    "value": str(incident_id),
                },
            ],
        }
    )
    return messages.PLAN_TEXT.format(workload=workload, count=len(specs)), blocks


def plan_decided(specs: list[StepSpec], decision_text: str) -> list[Block]:
    """The plan message after the decision: same steps, buttons replaced."""
    lines = [
        f"{position}. {mrkdwn(step_title(spec))}: {code(spec.target)}"
        for position, spec in enumerate(specs[:40], start=1)
    ]
    return [
        header_block("Containment plan"),
        section_block("\n".join(lines)),
        section_block(decision_text),
    ]


def step_result(
    *, position: int, spec: StepSpec, ok: bool, detail: str, step_id: int
) -> tuple[str, list[Block]]:
    """One step's outcome; a failed step carries a Retry button."""
    template = messages.STEP_SUCCEEDED if ok else messages.STEP_FAILED
    text = template.format(
        position=position,
        title=mrkdwn(step_title(spec)),
        detail=mrkdwn(detail, limit=1500),
    )
    blocks = [section_block(text)]
    if not ok:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"step-{step_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY_ACTION,
                        "text": {"type": "plain_text", "text": "Retry"},
                        "value": str(step_id),
                    }
                ],
            }
        )
    return text, blocks


def step_title(spec: StepSpec) -> str:
    """A short human name for a step's action."""
    titles = {
        "deactivate_access_keys": "Deactivate access keys",
        "revoke_role_sessions": "Revoke the role's active sessions",
        "rotate_secret": "Rotate secret",
        "quarantine_policy": "Attach quarantine deny policy",
        "isolate_network": "Isolate network",
        "revoke_service_account_tokens": "Revoke service-account tokens",
        "stop_workload": "Stop the workload",
    }
    return titles.get(spec.action, spec.action.replace("_", " ").capitalize())
