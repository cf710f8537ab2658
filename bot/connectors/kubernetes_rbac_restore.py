"""Undo a service account's unbinding: put it back into the bindings it lost."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from bot.connectors.kubernetes_client import KubeApis
from bot.connectors.kubernetes_errors import TIMEOUT, is_missing, k8s_errors
from bot.connectors.kubernetes_rbac import binding_label, find_grants, patch_binding
from bot.containment.steps import StepOutcome, StepSpec

logger = logging.getLogger(__name__)


def restore(
    apis: KubeApis, step: StepSpec, evidence: Mapping[str, Any] | None
) -> StepOutcome:
    """Put the account back into the bindings the run removed it from."""
    ns, sa = step.params["namespace"], step.params["service_account"]
    if not evidence or "bindings_removed" not in evidence:
        return StepOutcome(
            ok=False,
            detail=f"Cannot restore the bindings of {ns}/{sa}: the evidence of the "
            "run that removed them is needed to know which they were.",
        )

    problems = []
    for record in evidence["bindings_removed"]:
        problem = _rebind(apis, record)
        if problem:
            problems.append(problem)

    after = find_grants(apis, ns, sa)
    present = {binding_label(b) for b in after.bindings}
    wanted = [r["label"] for r in evidence["bindings_removed"]]
    absent = [label for label in wanted if label not in present]
    outcome_evidence = {"restored": wanted, "bindings_after": sorted(present)}
    if absent or problems:
        detail = (
            f"Bindings of {ns}/{sa} not restored: {', '.join(absent)}. "
            + " ".join(problems)
        )
        return StepOutcome(ok=False, detail=detail.strip(), evidence=outcome_evidence)
    detail = (
        f"Restored {ns}/{sa} in {', '.join(wanted)} (read back). The deleted token "
        "secrets are not recreated; pods get new tokens when they restart."
        if wanted
        else f"Nothing to restore: containbot removed {ns}/{sa} from no binding."
    )
    return StepOutcome(ok=True, detail=detail, evidence=outcome_evidence)


def _rebind(apis: KubeApis, record: Mapping[str, Any]) -> str | None:
    kind, name, ns = record["kind"], record["name"], record.get("namespace")
    what = f"Restoring {record['label']}"
    with k8s_errors(what, missing=f"{record['label']} can be read"):
        try:
            if kind == "RoleBinding":
                current = apis.rbac.read_namespaced_role_binding(
                    name, ns, _request_timeout=TIMEOUT
                )
            else:
                current = apis.rbac.read_cluster_role_binding(
                    name, _request_timeout=TIMEOUT
                )
        except ApiException as exc:
            if not is_missing(exc):
                raise
            current = None

    if current is None:
        body = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": {
                "name": name,
                **({"namespace": ns} if ns else {}),
                "labels": record.get("labels") or {},
                "annotations": record.get("annotations") or {},
            },
            "roleRef": record["roleRef"],
            "subjects": list(record["subjects_removed"]),
        }
        with k8s_errors(what, missing=f"namespace {ns} still exists"):
            if kind == "RoleBinding":
                apis.rbac.create_namespaced_role_binding(
                    ns, body, _request_timeout=TIMEOUT
                )
            else:
                apis.rbac.create_cluster_role_binding(body, _request_timeout=TIMEOUT)
        logger.info("Recreated %s", record["label"])
        return None

    plain = apis.plain(current)
    if plain["roleRef"] != record["roleRef"]:
        return (
            f"{record['label']} now refers to {plain['roleRef'].get('name')} instead "
            f"of {record['roleRef'].get('name')}; restore it by hand."
        )
    subjects = plain.get("subjects") or []
    missing = [s for s in record["subjects_removed"] if s not in subjects]
    if missing:
        patch = [
            {
                "op": "test",
                "path": "/metadata/resourceVersion",
                "value": plain["metadata"]["resourceVersion"],
            },
            {"op": "add", "path": "/subjects", "value": subjects + missing},
        ]
        patch_binding(apis, kind, name, ns, patch, what, f"{record['label']} exists")
        logger.info("Restored subjects of %s", record["label"])
    return None
