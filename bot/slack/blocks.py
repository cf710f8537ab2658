"""Block Kit builders for every message containbot posts.

Everything from an alert or the catalog passes through bot.slack.escape here, and
every text is cut to Slack's limits so that a long alert never makes a post fail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.catalog.model import Identity, Workload
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
SELECT_ACTION = "plan.select"
RETRY_ACTION = "step.retry"
RESOLVE_UNDO_ACTION = "incident.resolve_undo"
RESOLVE_KEEP_ACTION = "incident.resolve_keep"


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


def _one_line(text: str, *, limit: int) -> str:
    """Escape a title and keep it on one line.

    A newline in an alert's title would let it draw fake fields (a bold
    "*Status* contained" line) in the summary or the page.
    """
    return mrkdwn(" ".join(str(text).split()), limit=limit)


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
    identity_keys: list[str] | None = None,
) -> tuple[str, list[Block]]:
    """The pinned summary, re-rendered whenever the incident changes."""
    name = mrkdwn(workload or "unowned", limit=80)
    text = f"Incident {incident_id}: {workload or 'unowned'} ({status})"
    blocks = [
        header_block(f"Containment: {workload or 'unowned workload'}"),
        section_block(f"*{_one_line(title, limit=500)}*"),
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
                ("Latest alert", _one_line(latest_alert or "none", limit=300)),
            ]
        ),
    ]
    if identity_keys:
        # What the detector saw: for an unowned incident it is all there is to go
        # on, and for an owned one it shows which credential matched.
        shown = ", ".join(code(key, limit=160) for key in identity_keys[:8])
        blocks.append(section_block(f"*Identity in the latest alert*\n{shown}"))
    blocks.append(
        context_block(
            f"Incident {incident_id} · workload {name} · "
            f"opened {opened_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    )
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
    join = (
        messages.PAGE_JOIN.format(channel=channel_id)
        if channel_id
        else messages.PAGE_NO_CHANNEL
    )
    intro = messages.PAGE_INTRO.format(
        role=role, workload=name, title=_one_line(title, limit=500), join=join
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
