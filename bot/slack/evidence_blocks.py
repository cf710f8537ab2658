"""Blocks that show what an identity touched: the top services, and all in a modal."""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import Block, context_block, header_block, section_block
from bot.slack.escape import code, mrkdwn, plain

SHOW_ALL_ACTION = "evidence.show_all"
# The channel shows the busiest services; the modal holds up to Slack's 100 blocks.
TOP_SERVICES = 6
MODAL_SERVICES = 90


def touched(incident_id: int, summary: dict[str, Any]) -> tuple[str, list[Block]]:
    """The channel message: top services, reads, probing, new addresses."""
    services = summary.get("services", [])
    workload = summary.get("workload") or "the identity"
    text = f"What {workload} touched: {len(services)} service(s)"
    blocks: list[Block] = [header_block("What the identity touched")]
    if not services:
        blocks.append(section_block("No call by this identity is in the logs loaded."))
        blocks.extend(_notes(summary))
        return text, blocks

    blocks.append(section_block(_overview(summary)))
    for service in services[:TOP_SERVICES]:
        blocks.append(section_block(_service_line(service)))
    rotate = summary.get("rotation_candidates", [])
    if rotate:
        names = ", ".join(code(name, limit=120) for name in rotate[:15])
        blocks.append(section_block(f":key: *Secrets it read, to rotate:* {names}"))
    blocks.extend(_notes(summary))
    if len(services) > TOP_SERVICES or any(s.get("read_names") for s in services):
        blocks.append(
            {
                "type": "actions",
                "block_id": f"evidence-{incident_id}",
                "elements": [
                    {
                        "type": "button",
                        "action_id": SHOW_ALL_ACTION,
                        "text": {"type": "plain_text", "text": "All services"},
                        "value": str(incident_id),
                    }
                ],
            }
        )
    return text, blocks


def touched_modal(summary: dict[str, Any]) -> dict[str, Any]:
    """A modal listing every service with its operations and what was read."""
    services = summary.get("services", [])
    blocks: list[Block] = [section_block(_overview(summary))]
    for service in services[:MODAL_SERVICES]:
        lines = [_service_line(service)]
        operations = service.get("operations", {})
        if operations:
            ops = ", ".join(
                f"{mrkdwn(op)} ×{n}" for op, n in list(operations.items())[:30]
            )
            lines.append(f"Operations: {ops}")
        reads = service.get("read_names", {})
        if reads:
            names = ", ".join(code(name, limit=100) for name in list(reads)[:20])
            lines.append(f"Read: {names}")
        blocks.append(section_block("\n".join(lines)))
    if len(services) > MODAL_SERVICES:
        blocks.append(
            context_block(f"{len(services) - MODAL_SERVICES} more not shown.")
        )
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Services touched"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }


def _overview(summary: dict[str, Any]) -> str:
    addresses = summary.get("source_addresses", {})
    lines = [
        f"*{summary.get('calls', 0)} calls* from {len(addresses)} source address(es), "
        f"{_when(summary.get('first_seen'))} to {_when(summary.get('last_seen'))}"
    ]
    busiest = sorted(addresses.items(), key=lambda kv: -kv[1].get("calls", 0))[:5]
    if busiest:
        listed = ", ".join(
            f"{code(ip, limit=60)} ({seen.get('calls', 0)} calls, first "
            f"{_when(seen.get('first_seen'))})"
            for ip, seen in busiest
        )
        lines.append(f"Addresses: {listed}")
    new = summary.get("new_addresses_since_alert", [])
    if new:
        lines.append(
            ":warning: Addresses never seen before the alert: "
            + ", ".join(code(ip, limit=60) for ip in new[:10])
        )
    if summary.get("probing"):
        lines.append(":mag: Bursts of AccessDenied: someone is probing permissions.")
    return "\n".join(lines)


def _service_line(service: dict[str, Any]) -> str:
    parts = [f"*{mrkdwn(service.get('service', '?'), limit=120)}*"]
    parts.append(f"{service.get('calls', 0)} calls")
    if service.get("errors"):
        parts.append(f"{service['errors']} errors ({service.get('denied', 0)} denied)")
    if service.get("secret_reads"):
        parts.append(f"{service['secret_reads']} secret reads")
    if service.get("data_reads"):
        parts.append(f"{service['data_reads']} data reads")
    if service.get("calls_since_alert"):
        parts.append(f"{service['calls_since_alert']} since the alert")
    window = f"{_when(service.get('first_seen'))} to {_when(service.get('last_seen'))}"
    return " · ".join(parts) + f"\n{window}"


def _notes(summary: dict[str, Any]) -> list[Block]:
    notes = summary.get("notes", [])
    return [context_block(mrkdwn(note, limit=600)) for note in notes[:3]]


def _when(value: str | None) -> str:
    if not value:
        return "?"
    return plain(value.replace("T", " ").replace("+00:00", " UTC"), limit=40)
