"""A containment step as planned, and what running it produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any, Protocol


class Phase(IntEnum):
    """Plan order: shrink what the identity can do before cutting where it runs."""

    REVOKE_TOKENS = 1
    DISABLE_IDENTITY = 2
    ROTATE_SECRETS = 3
    CUT_ACCESS = 4
    # Never in the default plan: stopping can break customer-facing flows.
    STOP_WORKLOAD = 9


@dataclass(frozen=True)
class StepSpec:
    """One planned change to one target, with what else it touches."""

    key: str
    connector: str
    action: str
    phase: Phase
    target: str
    change: str
    affects: tuple[str, ...] = ()
    params: dict[str, str] = field(default_factory=dict)
    reversible: bool = True
    # Ticked in the plan unless the approver unticks it; a step that would also
    # cut other workloads off starts unticked.
    ticked: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "connector": self.connector,
            "action": self.action,
            "phase": int(self.phase),
            "target": self.target,
            "change": self.change,
            "affects": list(self.affects),
            "params": dict(self.params),
            "reversible": self.reversible,
            "ticked": self.ticked,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepSpec:
        return cls(
            key=data["key"],
            connector=data["connector"],
            action=data["action"],
            phase=Phase(data["phase"]),
            target=data["target"],
            change=data["change"],
            affects=tuple(data.get("affects", ())),
            params=dict(data.get("params", {})),
            reversible=bool(data.get("reversible", True)),
            ticked=bool(data.get("ticked", True)),
        )


@dataclass(frozen=True)
class StepOutcome:
    """What a step did, verified by reading the effect back from the target."""

    ok: bool
    detail: str
    # The state read back after the change: key statuses, policy names, version
    # ids. Never a secret value.
    evidence: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    """A system containbot acts on through its official client."""

    name: str

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact API calls `execute` would make, one per line."""
        ...

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Apply the step idempotently, then read its effect back."""
        ...
