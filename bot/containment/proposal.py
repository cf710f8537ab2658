"""Build the plan for an incident, store its steps and post it for approval."""

from __future__ import annotations

import logging

from bot import touched
from bot.containment.plan import build_plan, stop_step
from bot.containment.steps import Phase, StepSpec
from bot.context import Context
from bot.slack import messages, plan_blocks
from storage import evidence, incidents, steps

logger = logging.getLogger(__name__)


def planned_specs(ctx: Context, incident_id: int) -> list[StepSpec]:
    """The stored plan's steps, in order (the plan is frozen once proposed)."""
    return [
        StepSpec.from_json(row.spec) for row in steps.steps_of(ctx.engine, incident_id)
    ]


def post_plan(ctx: Context, incident_id: int) -> None:
    """Propose the plan once and post it with Approve and Reject buttons."""
    incident = incidents.get_incident(ctx.engine, incident_id)
    workload = ctx.workload(incident.workload if incident else None)
    if incident is None or workload is None or not incident.channel_id:
        return
    planned = build_plan(workload, ctx.catalog, now=ctx.clock())
    # Stopping is offered but never ticked: it is the approver's explicit choice.
    proposed = planned + _rotations_from_evidence(ctx, incident_id, planned)
    steps.propose_steps(ctx.engine, incident_id, [*proposed, stop_step(workload)])
    specs = planned_specs(ctx, incident_id)
    approver = ctx.directory.resolve(workload.approver)
    text, blocks = plan_blocks.plan(
        incident_id=incident_id,
        workload=workload.name,
        specs=specs,
        approver_id=approver,
    )
    response = ctx.slack.chat_postMessage(
        channel=incident.channel_id, text=text, blocks=blocks
    )
    incidents.update_incident(ctx.engine, incident_id, plan_ts=response["ts"])
    logger.info(
        "plan posted incident=%s workload=%s steps=%s",
        incident_id,
        workload.name,
        len(specs),
    )


def _rotations_from_evidence(
    ctx: Context, incident_id: int, planned: list[StepSpec]
) -> list[StepSpec]:
    """Rotation steps for secrets the logs show were read but the catalog omits."""
    loaded = evidence.latest(ctx.engine, incident_id)
    if loaded is None:
        return []
    workload = loaded.summary.get("workload") or "unowned"
    covered = {spec.params.get("secret_id") for spec in planned}
    return [
        StepSpec(
            key=f"aws.rotate_secret:{workload}:{name}",
            connector="aws",
            action="rotate_secret",
            phase=Phase.ROTATE_SECRETS,
            target=name,
            change=messages.EVIDENCE_ROTATE_CHANGE.format(name=name),
            affects=_readers_of(ctx, name, workload),
            params={"secret_id": name},
            reversible=False,
        )
        for name in touched.secrets_read(loaded.summary)
        if name not in covered
    ]


def _readers_of(ctx: Context, secret: str, workload: str) -> tuple[str, ...]:
    """Other workloads whose catalog entry lists `secret`."""
    return tuple(
        other.name
        for other in ctx.catalog.workloads
        if other.name != workload and any(s.name == secret for s in other.secrets)
    )


def dry_run_lines(ctx: Context, incident_id: int) -> list[str]:
    """The exact API calls each planned step would make."""
    lines: list[str] = []
    for position, spec in enumerate(planned_specs(ctx, incident_id), start=1):
        lines.append(f"{position}. {plan_blocks.step_title(spec)}")
        lines.extend(
            f"   {call}" for call in ctx.connectors.dry_run(spec, now=ctx.clock())
        )
    return lines
