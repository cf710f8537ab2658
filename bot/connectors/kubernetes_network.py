"""Isolate a workload's pods: a NetworkPolicy and a quarantine label."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from bot.connectors.kubernetes_client import KubeApis
from bot.connectors.kubernetes_errors import TIMEOUT, is_missing, k8s_errors
from bot.containment.steps import StepOutcome, StepSpec

logger = logging.getLogger(__name__)

QUARANTINE_LABEL = "containbot.io/quarantined"
_NETPOL = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"
# Cluster DNS as CoreDNS and kube-dns label it; a cluster that labels it otherwise
# loses DNS too, which only makes the isolation stricter.
_DNS_PEER = {
    "namespaceSelector": {
        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
    },
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}


def policy_name(step: StepSpec) -> str:
    """Name the policy after the workload, the last part of the step's target."""
    return f"containbot-isolate-{step.target.rsplit('/', 1)[-1]}"


def pod_labels(step: StepSpec) -> dict[str, str]:
    """Parse the catalog's pod labels from the step's `k=v,k=v` parameter."""
    raw = step.params.get("pod_labels", "")
    return dict(pair.split("=", 1) for pair in raw.split(",") if "=" in pair)


def policy_spec(step: StepSpec) -> dict[str, Any]:
    """Build the policy: no ingress, and no egress but cluster DNS unless `all`."""
    labels = pod_labels(step)
    # Without catalog labels the pods are found by name, so the policy selects
    # the quarantine label containbot puts on them.
    selector = labels or {QUARANTINE_LABEL: "true"}
    egress: list[dict[str, Any]] = []
    if step.params.get("deny", "egress_except_dns") != "all":
        ports = [{"protocol": p, "port": 53} for p in ("UDP", "TCP")]
        egress = [{"to": [_DNS_PEER], "ports": ports}]
    return {
        "podSelector": {"matchLabels": selector},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [],
        "egress": egress,
    }


def _policy_body(step: StepSpec) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": policy_name(step),
            "labels": {
                "app.kubernetes.io/managed-by": "containbot",
                "containbot.io/workload": step.target.rsplit("/", 1)[-1],
            },
        },
        "spec": policy_spec(step),
    }


def workload_pods(apis: KubeApis, step: StepSpec) -> list[dict[str, Any]]:
    """List the workload's pods by the catalog's labels, or by name prefix."""
    ns = step.params["namespace"]
    labels = pod_labels(step)
    selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    prefix = step.params.get("pod_prefix", "")
    with k8s_errors(
        f"Listing pods in namespace {ns}", missing=f"namespace {ns} exists"
    ):
        items = apis.core.list_namespaced_pod(
            ns, label_selector=selector or None, _request_timeout=TIMEOUT
        ).items
    pods = [apis.plain(pod) for pod in items]
    return [p for p in pods if labels or p["metadata"]["name"].startswith(prefix)]


def isolate_calls(apis: KubeApis, step: StepSpec) -> list[str]:
    """List the calls that isolating the pods would make right now."""
    ns, name = step.params["namespace"], policy_name(step)
    labels = pod_labels(step)
    query = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    calls = [
        f"GET /api/v1/namespaces/{ns}/pods"
        + (f"?labelSelector={query}" if query else "")
    ]
    calls += [
        f"PATCH /api/v1/namespaces/{ns}/pods/{p['metadata']['name']} "
        f"(merge patch: label {QUARANTINE_LABEL}=true)"
        for p in workload_pods(apis, step)
        if _labels(p).get(QUARANTINE_LABEL) != "true"
    ]
    spec = policy_spec(step)
    egress = "cluster DNS only" if spec["egress"] else "none"
    calls += [
        f"POST {_NETPOL.format(ns=ns)} (NetworkPolicy {name}: pods "
        f"{spec['podSelector']['matchLabels']}, no ingress, egress {egress}; "
        "replaced with PUT if it exists with another spec)",
        f"GET {_NETPOL.format(ns=ns)}/{name}",
    ]
    return calls


def _labels(pod: dict[str, Any]) -> dict[str, str]:
    return pod["metadata"].get("labels") or {}


def isolate(apis: KubeApis, step: StepSpec) -> StepOutcome:
    """Label the pods, apply the policy, then read both back."""
    ns, name = step.params["namespace"], policy_name(step)
    labelled = _set_label(apis, step, "true")
    created = _apply_policy(apis, step)

    policy = read_policy(apis, ns, name)
    pods = workload_pods(apis, step)
    unlabelled = [
        p["metadata"]["name"]
        for p in pods
        if _labels(p).get(QUARANTINE_LABEL) != "true"
    ]
    evidence = {
        "namespace": ns,
        "policy": name,
        "created": created,
        "pod_selector": policy_spec(step)["podSelector"],
        "egress": "dns" if policy_spec(step)["egress"] else "none",
        "policy_resource_version": (policy or {})
        .get("metadata", {})
        .get("resourceVersion"),
        "pods_labelled": labelled,
        "pods": sorted(p["metadata"]["name"] for p in pods),
    }
    if policy is None or policy.get("spec") != policy_spec(step):
        detail = f"NetworkPolicy {ns}/{name} does not read back as applied."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    if unlabelled:
        detail = f"Pods not labelled {QUARANTINE_LABEL}: {', '.join(unlabelled)}."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    egress = (
        "egress to cluster DNS only" if evidence["egress"] == "dns" else "no egress"
    )
    detail = (
        f"NetworkPolicy {ns}/{name} is in place (read back): no ingress, {egress}"
        f"; {len(pods)} pod(s) selected and labelled {QUARANTINE_LABEL}=true."
        " It is enforced only where the cluster's network plugin enforces "
        "NetworkPolicy."
    )
    if not pods:
        detail += " No pod matches now; check the catalog's pod labels or prefix."
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def _set_label(apis: KubeApis, step: StepSpec, value: str | None) -> list[str]:
    ns, changed = step.params["namespace"], []
    for pod in workload_pods(apis, step):
        pod_name = pod["metadata"]["name"]
        if _labels(pod).get(QUARANTINE_LABEL) == value:
            continue
        # A merge patch with null removes the label; a pod gone meanwhile is fine.
        patch = {"metadata": {"labels": {QUARANTINE_LABEL: value}}}
        with k8s_errors(f"Labelling pod {ns}/{pod_name}", missing="the pod exists"):
            try:
                apis.core.patch_namespaced_pod(
                    pod_name, ns, patch, _request_timeout=TIMEOUT
                )
            except ApiException as exc:
                if not is_missing(exc):
                    raise
                continue
        changed.append(pod_name)
    if changed:
        logger.info("Set %s=%s on pods %s in %s", QUARANTINE_LABEL, value, changed, ns)
    return changed


def _apply_policy(apis: KubeApis, step: StepSpec) -> bool:
    ns, name, body = step.params["namespace"], policy_name(step), _policy_body(step)
    what = f"Creating NetworkPolicy {ns}/{name}"
    with k8s_errors(what, missing=f"namespace {ns} exists (the catalog's network)"):
        try:
            apis.networking.create_namespaced_network_policy(
                ns, body, _request_timeout=TIMEOUT
            )
            logger.info("Created NetworkPolicy %s/%s", ns, name)
            return True
        except ApiException as exc:
            if exc.status != 409:
                raise
    current = read_policy(apis, ns, name)
    if current is not None and current.get("spec") != body["spec"]:
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        with k8s_errors(f"Replacing NetworkPolicy {ns}/{name}", missing="it exists"):
            apis.networking.replace_namespaced_network_policy(
                name, ns, body, _request_timeout=TIMEOUT
            )
        logger.info("Replaced NetworkPolicy %s/%s", ns, name)
    return False


def read_policy(apis: KubeApis, ns: str, name: str) -> dict[str, Any] | None:
    """Read the policy back as JSON, or None when it is not there."""
    with k8s_errors(f"Reading NetworkPolicy {ns}/{name}", missing=f"{ns} exists"):
        try:
            found = apis.networking.read_namespaced_network_policy(
                name, ns, _request_timeout=TIMEOUT
            )
        except ApiException as exc:
            if is_missing(exc):
                return None
            raise
    policy: dict[str, Any] = apis.plain(found)
    spec = policy.get("spec", {})
    # The client drops empty lists on the way back; the API means the same.
    spec.setdefault("ingress", [])
    spec.setdefault("egress", [])
    return policy


def lift(
    apis: KubeApis, step: StepSpec, evidence: Mapping[str, Any] | None = None
) -> StepOutcome:
    """Delete the policy and the quarantine label, then read both back."""
    ns, name = step.params["namespace"], policy_name(step)
    with k8s_errors(f"Deleting NetworkPolicy {ns}/{name}", missing=f"{ns} exists"):
        try:
            apis.networking.delete_namespaced_network_policy(
                name, ns, _request_timeout=TIMEOUT
            )
            logger.info("Deleted NetworkPolicy %s/%s", ns, name)
        except ApiException as exc:
            if not is_missing(exc):
                raise
    unlabelled = _set_label(apis, step, None)

    policy = read_policy(apis, ns, name)
    still = [
        p["metadata"]["name"]
        for p in workload_pods(apis, step)
        if QUARANTINE_LABEL in _labels(p)
    ]
    outcome_evidence = {
        "policy_present": policy is not None,
        "pods_unlabelled": unlabelled,
    }
    if policy is not None or still:
        detail = f"NetworkPolicy {ns}/{name} or the quarantine label is still there."
        return StepOutcome(ok=False, detail=detail, evidence=outcome_evidence)
    detail = (
        f"Deleted NetworkPolicy {ns}/{name} and removed {QUARANTINE_LABEL} from "
        f"{len(unlabelled)} pod(s) (read back)."
    )
    return StepOutcome(ok=True, detail=detail, evidence=outcome_evidence)
