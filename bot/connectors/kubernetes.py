"""The Kubernetes connector: RBAC, NetworkPolicy, scaling and secrets."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client

from bot.connectors import (
    kubernetes_network,
    kubernetes_rbac,
    kubernetes_rbac_restore,
    kubernetes_workload,
)
from bot.connectors.kubernetes_client import KubeApis, load_api_client
from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

ACTIONS = (
    "revoke_service_account_tokens",
    "isolate_network",
    "scale_to_zero",
    "rotate_secret",
)


class KubernetesConnector:
    """Run containment steps against one cluster through the official client."""

    name = "kubernetes"

    def __init__(
        self,
        api_client: client.ApiClient | None = None,
        *,
        kubeconfig: Path | None = None,
        context: str | None = None,
        in_cluster: bool = False,
    ) -> None:
        # The kubeconfig is read at the first call, so a bad one shows up as a
        # failed step that says what to fix, not as a crash at start.
        self._api_client = api_client
        self._kubeconfig = kubeconfig
        self._context = context
        self._in_cluster = in_cluster
        self._apis: KubeApis | None = None
        self._lock = threading.Lock()

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact API calls `execute` would make, one per line."""
        action = self._action(step)
        if action == "revoke_service_account_tokens":
            return kubernetes_rbac.revoke_calls(self._client(), step)
        if action == "isolate_network":
            return kubernetes_network.isolate_calls(self._client(), step)
        if action == "scale_to_zero":
            return kubernetes_workload.scale_calls(self._client(), step)
        return kubernetes_workload.rotate_calls(step)

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Apply the step idempotently, then read its effect back."""
        action = self._action(step)
        logger.info("Running %s on %s", step.key, step.target)
        if action == "revoke_service_account_tokens":
            return kubernetes_rbac.revoke(self._client(), step)
        if action == "isolate_network":
            return kubernetes_network.isolate(self._client(), step)
        if action == "scale_to_zero":
            return kubernetes_workload.scale_to_zero(self._client(), step)
        return kubernetes_workload.rotate(self._client(), step)

    def undo(
        self, step: StepSpec, *, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Reverse a step that ran; `evidence` is what its `execute` returned."""
        action = self._action(step)
        logger.info("Undoing %s on %s", step.key, step.target)
        if action == "revoke_service_account_tokens":
            return kubernetes_rbac_restore.restore(self._client(), step, evidence)
        if action == "isolate_network":
            return kubernetes_network.lift(self._client(), step, evidence)
        if action == "scale_to_zero":
            return kubernetes_workload.scale_back(self._client(), step, evidence)
        return StepOutcome(
            ok=False,
            detail=f"Rotating {step.target} cannot be undone: the old value is "
            "compromised and Kubernetes keeps no previous version.",
        )

    def _action(self, step: StepSpec) -> str:
        if step.connector != self.name or step.action not in ACTIONS:
            raise ConnectorError(
                f"The kubernetes connector cannot run {step.connector}.{step.action}; "
                f"it runs {', '.join(ACTIONS)}."
            )
        needed = {
            "revoke_service_account_tokens": ("namespace", "service_account"),
            "isolate_network": ("namespace",),
            "scale_to_zero": ("namespace",),
            "rotate_secret": ("secret_id",),
        }[step.action]
        absent = [p for p in needed if not step.params.get(p)]
        if step.action in {"isolate_network", "scale_to_zero"} and not (
            step.params.get("pod_labels") or step.params.get("pod_prefix")
        ):
            absent.append("pod_labels or pod_prefix")
        if absent:
            raise ConnectorError(
                f"Step {step.key} lacks {', '.join(absent)}; add the workload's "
                "network (namespace, pod_labels or pod_prefix) to the catalog."
            )
        return step.action

    def _client(self) -> KubeApis:
        # Steps run in parallel; one ApiClient (and its connection pool) is shared.
        with self._lock:
            if self._apis is None:
                api_client = self._api_client or load_api_client(
                    self._kubeconfig, self._context, self._in_cluster
                )
                self._apis = KubeApis.of(api_client)
            return self._apis
