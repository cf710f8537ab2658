"""Stop a workload (Deployments to zero replicas) and rotate a Kubernetes secret."""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Mapping
from typing import Any

from bot.connectors.kubernetes_client import KubeApis
from bot.connectors.kubernetes_errors import TIMEOUT, k8s_errors
from bot.connectors.kubernetes_network import pod_labels
from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

# Kept on the Deployment so a second run, or an undo without evidence, still
# knows how many replicas to give back.
REPLICAS_ANNOTATION = "containbot.io/replicas-before-stop"
_APPS = "/apis/apps/v1/namespaces/{ns}/deployments"


def deployments(apis: KubeApis, step: StepSpec) -> list[dict[str, Any]]:
    """Find the Deployments whose pods are the workload's: by labels, or prefix."""
    ns, labels = step.params["namespace"], pod_labels(step)
    prefix = step.params.get("pod_prefix", "")
    with k8s_errors(f"Listing Deployments in {ns}", missing=f"namespace {ns} exists"):
        items = apis.apps.list_namespaced_deployment(ns, _request_timeout=TIMEOUT).items
    found = []
    for item in items:
        deployment = apis.plain(item)
        template = deployment["spec"]["template"].get("metadata", {}).get("labels", {})
        name = deployment["metadata"]["name"]
        if labels and all(template.get(k) == v for k, v in labels.items()):
            found.append(deployment)
        elif not labels and prefix and f"{name}-".startswith(prefix):
            found.append(deployment)
    return found


def scale_calls(apis: KubeApis, step: StepSpec) -> list[str]:
    """List the calls that stopping the workload would make right now."""
    ns = step.params["namespace"]
    calls = [f"GET {_APPS.format(ns=ns)}"]
    for d in deployments(apis, step):
        path = f"{_APPS.format(ns=ns)}/{d['metadata']['name']}"
        calls += [
            f"PATCH {path} (annotation {REPLICAS_ANNOTATION}="
            f"{d['spec'].get('replicas', 1)})",
            f"PATCH {path}/scale (spec.replicas=0)",
            f"GET {path}/scale",
        ]
    if len(calls) == 1:
        calls.append(f"(no call: no Deployment in {ns} runs these pods)")
    return calls


def scale_to_zero(apis: KubeApis, step: StepSpec) -> StepOutcome:
    """Scale every matching Deployment to zero, then read the scale back."""
    ns = step.params["namespace"]
    found = deployments(apis, step)
    if not found:
        return StepOutcome(
            ok=False,
            detail=f"No Deployment in namespace {ns} runs the workload's pods; "
            "StatefulSets, DaemonSets, Jobs and bare pods must be stopped by hand.",
        )

    before: dict[str, int] = {}
    for deployment in found:
        name = deployment["metadata"]["name"]
        replicas = int(deployment["spec"].get("replicas", 1))
        kept = deployment["metadata"].get("annotations", {}).get(REPLICAS_ANNOTATION)
        before[name] = int(kept) if replicas == 0 and kept else replicas
        _set_replicas(apis, ns, name, 0, remember=before[name])

    after = {name: _read_replicas(apis, ns, name) for name in before}
    evidence = {"namespace": ns, "replicas_before": before, "replicas_after": after}
    running = [name for name, replicas in after.items() if replicas != 0]
    if running:
        detail = f"Deployments in {ns} not at zero replicas: {', '.join(running)}."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    listed = ", ".join(f"{name} (was {count})" for name, count in before.items())
    detail = (
        f"Scaled {listed} in {ns} to zero replicas (read back). A HorizontalPod"
        "Autoscaler on them would scale them up again; remove it if there is one."
    )
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def scale_back(
    apis: KubeApis, step: StepSpec, evidence: Mapping[str, Any] | None
) -> StepOutcome:
    """Give each Deployment the replicas it had before the stop."""
    ns = step.params["namespace"]
    wanted = dict((evidence or {}).get("replicas_before", {}))
    if not wanted:
        for deployment in deployments(apis, step):
            kept = (
                deployment["metadata"].get("annotations", {}).get(REPLICAS_ANNOTATION)
            )
            if kept:
                wanted[deployment["metadata"]["name"]] = int(kept)
    for name, replicas in wanted.items():
        _set_replicas(apis, ns, name, int(replicas), remember=None)

    after = {name: _read_replicas(apis, ns, name) for name in wanted}
    outcome_evidence = {"namespace": ns, "replicas_after": after}
    wrong = [n for n, r in wanted.items() if after[n] != int(r)]
    if wrong or not wanted:
        detail = (
            f"Deployments in {ns} not back to their replicas: {', '.join(wrong)}."
            if wrong
            else f"Nothing to restore in {ns}: no record of the replicas before."
        )
        return StepOutcome(ok=False, detail=detail, evidence=outcome_evidence)
    listed = ", ".join(f"{n} to {r}" for n, r in wanted.items())
    return StepOutcome(
        ok=True,
        detail=f"Scaled {listed} in {ns} (read back).",
        evidence=outcome_evidence,
    )


def _set_replicas(
    apis: KubeApis, ns: str, name: str, replicas: int, remember: int | None
) -> None:
    missing = f"Deployment {ns}/{name} still exists"
    with k8s_errors(f"Scaling Deployment {ns}/{name}", missing=missing):
        annotations = {REPLICAS_ANNOTATION: None if remember is None else str(remember)}
        apis.apps.patch_namespaced_deployment(
            name,
            ns,
            {"metadata": {"annotations": annotations}},
            _request_timeout=TIMEOUT,
        )
        apis.apps.patch_namespaced_deployment_scale(
            name, ns, {"spec": {"replicas": replicas}}, _request_timeout=TIMEOUT
        )
    logger.info("Scaled Deployment %s/%s to %s replicas", ns, name, replicas)


def _read_replicas(apis: KubeApis, ns: str, name: str) -> int:
    missing = f"Deployment {ns}/{name} still exists"
    with k8s_errors(f"Reading the scale of {ns}/{name}", missing=missing):
        scale = apis.apps.read_namespaced_deployment_scale(
            name, ns, _request_timeout=TIMEOUT
        )
    return int(scale.spec.replicas or 0)


def rotate_calls(step: StepSpec) -> list[str]:
    """List the calls that rotating the secret would make."""
    ns, name = step.params["secret_id"].split("/", 1)
    path = f"/api/v1/namespaces/{ns}/secrets/{name}"
    return [
        f"GET {path}",
        f"PATCH {path} (merge patch at the read resourceVersion: every data key "
        "set to a new random value, not shown)",
        f"GET {path}",
    ]


def rotate(apis: KubeApis, step: StepSpec) -> StepOutcome:
    """Give every key of an Opaque secret a new random value, then read it back."""
    secret_id = step.params["secret_id"]
    if secret_id.count("/") != 1:
        raise ConnectorError(
            f"Kubernetes secret {secret_id!r} must be named namespace/name in the "
            "catalog."
        )
    ns, name = secret_id.split("/", 1)
    missing = f"secret {name} exists in namespace {ns} (the catalog names it ns/name)"
    with k8s_errors(f"Reading secret {secret_id}", missing=missing):
        current = apis.core.read_namespaced_secret(name, ns, _request_timeout=TIMEOUT)
    keys = sorted((current.data or {}).keys())
    if (current.type or "Opaque") != "Opaque" or not keys:
        return StepOutcome(
            ok=False,
            detail=f"Secret {secret_id} is of type {current.type} with keys "
            f"{', '.join(keys) or '(none)'}; containbot rotates only Opaque secrets "
            "with data. Reissue the credential where it comes from and store it.",
        )

    fresh = {
        k: base64.b64encode(secrets.token_urlsafe(32).encode()).decode() for k in keys
    }
    before = current.metadata.resource_version
    patch = {"metadata": {"resourceVersion": before}, "data": fresh}
    with k8s_errors(f"Replacing the data of secret {secret_id}", missing=missing):
        apis.core.patch_namespaced_secret(name, ns, patch, _request_timeout=TIMEOUT)
    with k8s_errors(f"Reading secret {secret_id}", missing=missing):
        after = apis.core.read_namespaced_secret(name, ns, _request_timeout=TIMEOUT)
    stale = sorted(k for k in keys if (after.data or {}).get(k) != fresh[k])
    del fresh
    logger.info("Rotated the data of Kubernetes secret %s", secret_id)

    evidence = {
        "secret_id": secret_id,
        "keys": keys,
        "resource_version_before": before,
        "resource_version_after": after.metadata.resource_version,
    }
    if stale:
        detail = f"Keys of secret {secret_id} not replaced: {', '.join(stale)}."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = (
        f"Secret {secret_id} has new random values for {', '.join(keys)} (read back); "
        "pods read them at start or on their next volume sync."
    )
    return StepOutcome(ok=True, detail=detail, evidence=evidence)
