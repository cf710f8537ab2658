"""Block Kit for the containment plan: the proposal, the choice, the live progress."""

from __future__ import annotations

from typing import Any

from bot.containment.steps import Phase, StepSpec
from bot.slack import messages
from bot.slack.blocks import (
    APPROVE_ACTION,
    REJECT_ACTION,
    RESOLVE_KEEP_ACTION,
    RESOLVE_UNDO_ACTION,
    RETRY_ACTION,
    SELECT_ACTION,
    Block,
    context_block,
    header_block,
    section_block,
)
from bot.slack.escape import code, mrkdwn, plain

# Slack allows 10 options in one checkboxes element and 25 elements in a block.
_OPTIONS_PER_ELEMENT = 10
_STATUS_ICON = {
    "proposed": ":white_circle:",
    "pending": ":hourglass:",
    "running": ":hourglass_flowing_sand:",
    "succeeded": ":white_check_mark:",
    "failed": ":x:",
    "skipped": ":heavy_minus_sign:",
    "undoing": ":hourglass_flowing_sand:",
    "undone": ":leftwards_arrow_with_hook:",
}


def default_selection(specs: list[StepSpec]) -> list[int]:
    """Positions ticked at first: all but stopping and steps that hit others."""
    return [
        i
        for i, spec in enumerate(specs)
        if spec.ticked and spec.phase != Phase.STOP_WORKLOAD
    ]


def selected_positions(state: dict[str, Any] | None, count: int) -> list[int] | None:
    """Read the ticked steps from a click's `state`; None when it carries none."""
    values = (state or {}).get("values", {})
    chosen: list[int] | None = None
    for block in values.values():
        for action_id, element in block.items():
            if not action_id.startswith(SELECT_ACTION):
                continue
            chosen = chosen or []
            chosen.extend(_positions(element, count))
    return sorted(set(chosen)) if chosen is not None else None


def _positions(element: dict[str, Any], count: int) -> list[int]:
    positions = []
    for option in element.get("selected_options") or []:
        position = int(str(option["value"]).removeprefix("step-"))
        if 0 <= position < count:
            positions.append(position)
    return positions


def plan(
    *,
    incident_id: int,
    workload: str,
    specs: list[StepSpec],
    approver_id: str | None,
) -> tuple[str, list[Block]]:
    """The plan: each step's change and blast radius, a choice, Approve and Reject."""
    name = mrkdwn(workload, limit=80)
    blocks: list[Block] = [header_block("Containment plan")]
    for position, spec in enumerate(specs[:30], start=1):
        blocks.append(section_block(_step_text(position, spec)))
    text = messages.PLAN_TEXT.format(workload=workload, count=len(specs))
    if approver_id is None:
        blocks.append(section_block(messages.PLAN_NO_APPROVER.format(workload=name)))
        return text, blocks
    blocks.append(_choice(incident_id, specs))
    blocks.append(context_block(messages.PLAN_APPROVER.format(approver=approver_id)))
    blocks.append(_decision_buttons(incident_id, len(specs), name))
    return text, blocks


def _step_text(position: int, spec: StepSpec) -> str:
    lines = [
        f"*{position}. {mrkdwn(step_title(spec))}*",
        f"Target: {code(spec.target)}",
        f"Change: {mrkdwn(spec.change, limit=900)}",
    ]
    if spec.affects:
        lines.append(f":warning: Also affects: {mrkdwn(', '.join(spec.affects))}")
    if spec.phase == Phase.STOP_WORKLOAD:
        lines.append(messages.STOP_NOT_DEFAULT)
    return "\n".join(lines)


def _choice(incident_id: int, specs: list[StepSpec]) -> Block:
    ticked = set(default_selection(specs))
    elements = []
    for start in range(0, min(len(specs), 30), _OPTIONS_PER_ELEMENT):
        options = [
            _option(position, specs[position])
            for position in range(start, min(start + _OPTIONS_PER_ELEMENT, len(specs)))
        ]
        element: dict[str, Any] = {
            "type": "checkboxes",
            # action_ids must be unique within a block.
            "action_id": f"{SELECT_ACTION}.{start // _OPTIONS_PER_ELEMENT}",
            "options": options,
        }
        initial = [o for o in options if int(o["value"][5:]) in ticked]
        if initial:
            element["initial_options"] = initial
        elements.append(element)
    return {
        "type": "actions",
        "block_id": f"choice-{incident_id}",
        "elements": elements,
    }


def _option(position: int, spec: StepSpec) -> dict[str, Any]:
    label = f"{position + 1}. {step_title(spec)}"
    return {
        "text": {"type": "plain_text", "text": plain(label, limit=75)},
        "value": f"step-{position}",
    }


def _decision_buttons(incident_id: int, count: int, name: str) -> Block:
    return {
        "type": "actions",
        "block_id": f"plan-{incident_id}",
        "elements": [
            {
                "type": "button",
                "action_id": APPROVE_ACTION,
                "text": {"type": "plain_text", "text": "Approve ticked steps"},
                "style": "primary",
                "value": str(incident_id),
                "confirm": {
                    "title": {"type": "plain_text", "text": messages.CONFIRM_TITLE},
                    "text": {
                        "type": "mrkdwn",
                        "text": messages.CONFIRM_TEXT.format(
                            count=count, workload=name
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
                "confirm": {
                    "title": {"type": "plain_text", "text": "Reject the plan?"},
                    "text": {"type": "mrkdwn", "text": messages.REJECT_CONFIRM},
                    "confirm": {"type": "plain_text", "text": "Reject"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            },
        ],
    }


def plan_decided(
    specs: list[StepSpec], decision_text: str, approved: list[str]
) -> list[Block]:
    """The plan after the decision: each step marked approved or not, no buttons."""
    lines = [
        f"{':white_check_mark:' if spec.key in approved else ':heavy_minus_sign:'} "
        f"{position}. {mrkdwn(step_title(spec))}: {code(spec.target)}"
        + ("" if spec.key in approved else " (not approved)")
        for position, spec in enumerate(specs[:30], start=1)
    ]
    return [
        header_block("Containment plan"),
        section_block("\n".join(lines)),
        section_block(decision_text),
    ]


def progress(
    rows: list[tuple[int, StepSpec, str, str | None]],
) -> tuple[str, list[Block]]:
    """Live status of each step: (step id, spec, status, detail), in plan order."""
    lines = []
    failed: list[tuple[int, int]] = []
    for position, (step_id, spec, status, detail) in enumerate(rows[:30], start=1):
        icon = _STATUS_ICON.get(status, ":grey_question:")
        line = f"{icon} *{position}. {mrkdwn(step_title(spec))}*: {status}"
        if detail and status in ("succeeded", "failed", "undone"):
            line += f"\n{mrkdwn(detail, limit=600)}"
        lines.append(line)
        if status == "failed":
            failed.append((position, step_id))
    done = sum(1 for _, _, status, _ in rows if status in ("succeeded", "skipped"))
    text = f"Containment progress: {done} of {len(rows)} steps done"
    blocks: list[Block] = [header_block("Containment progress")]
    blocks.extend(section_block(line) for line in lines)
    if failed:
        blocks.append(
            {
                "type": "actions",
                "block_id": "retry",
                "elements": [
                    {
                        "type": "button",
                        "action_id": RETRY_ACTION,
                        "text": {
                            "type": "plain_text",
                            "text": f"Retry step {position}",
                        },
                        "value": str(step_id),
                    }
                    for position, step_id in failed[:25]
                ],
            }
        )
        blocks.append(context_block(messages.RETRY_HINT))
    return text, blocks


def resolve_choice(
    incident_id: int, reversible: list[StepSpec]
) -> tuple[str, list[Block]]:
    """Resolve buttons: undo the reversible steps, or keep containment in place."""
    if reversible:
        listed = "\n".join(
            f"• {mrkdwn(step_title(spec))}: {code(spec.target)}"
            for spec in reversible[:20]
        )
        prompt = messages.RESOLVE_PROMPT.format(steps=listed)
    else:
        prompt = messages.RESOLVE_NOTHING_TO_UNDO
    buttons: list[dict[str, Any]] = []
    if reversible:
        buttons.append(
            {
                "type": "button",
                "action_id": RESOLVE_UNDO_ACTION,
                "text": {"type": "plain_text", "text": "Resolve and undo"},
                "value": str(incident_id),
                "confirm": {
                    "title": {"type": "plain_text", "text": "Undo containment?"},
                    "text": {
                        "type": "mrkdwn",
                        "text": f"This reverses {len(reversible)} step(s) now.",
                    },
                    "confirm": {"type": "plain_text", "text": "Undo"},
                    "deny": {"type": "plain_text", "text": "Cancel"},
                },
            }
        )
    buttons.append(
        {
            "type": "button",
            "action_id": RESOLVE_KEEP_ACTION,
            "text": {"type": "plain_text", "text": "Resolve, keep containment"},
            "value": str(incident_id),
        }
    )
    return messages.RESOLVE_TEXT, [
        section_block(prompt),
        {"type": "actions", "block_id": f"resolve-{incident_id}", "elements": buttons},
    ]


def step_title(spec: StepSpec) -> str:
    """A short human name for a step's action."""
    titles = {
        "deactivate_access_keys": "Deactivate access keys",
        "revoke_role_sessions": "Revoke the role's active sessions",
        "rotate_secret": "Rotate secret",
        "quarantine_policy": "Attach quarantine deny policy",
        "isolate_network": "Isolate network",
        "revoke_service_account_tokens": "Revoke service-account tokens",
        "scale_to_zero": "Stop the workload (scale to zero)",
        "stop_instances": "Stop the workload's instances",
        "stop_workload": "Stop the workload",
    }
    return titles.get(spec.action, spec.action.replace("_", " ").capitalize())
