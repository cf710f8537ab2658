"""Cut a service account off: delete its token secrets, unbind it from its roles."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubernetes.client.exceptions import ApiException

from bot.connectors.kubernetes_client import KubeApis
from bot.connectors.kubernetes_errors import TIMEOUT, is_missing, k8s_errors
from bot.containment.steps import StepOutcome, StepSpec

logger = logging.getLogger(__name__)

TOKEN_TYPE = "kubernetes.io/service-account-token"
_SA_ANNOTATION = "kubernetes.io/service-account.name"
_RBAC = "/apis/rbac.authorization.k8s.io/v1"


@dataclass(frozen=True)
class Grants:
    """What still lets a service account authenticate or act."""

    token_secrets: list[str]
    # Bindings that name the account, as the API server returns them.
    bindings: list[dict[str, Any]]
    # Group subjects every service account is in; removing them hits others.
    group_grants: list[str]


def _names_account(
    subject: dict[str, Any], binding_ns: str | None, ns: str, sa: str
) -> bool:
    if subject.get("kind") == "ServiceAccount":
        # In a RoleBinding an account subject without a namespace means the
        # binding's own namespace.
        return (
            subject.get("name") == sa and (subject.get("namespace") or binding_ns) == ns
        )
    if subject.get("kind") == "User":
        return subject.get("name") == f"system:serviceaccount:{ns}:{sa}"
    return False


def binding_label(binding: dict[str, Any]) -> str:
    meta = binding["metadata"]
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{binding['kind']} {where}{meta['name']}"


def find_grants(apis: KubeApis, ns: str, sa: str) -> Grants:
    """Read the account's token secrets and every binding that names it."""
    with k8s_errors(
        f"Reading service account {ns}/{sa}",
        missing=f"namespace {ns} and service account {sa} exist in the cluster the "
        "kubeconfig points at (the catalog's principal is namespace/name)",
    ):
        apis.core.read_namespaced_service_account(sa, ns, _request_timeout=TIMEOUT)
        secrets = apis.core.list_namespaced_secret(
            ns, field_selector=f"type={TOKEN_TYPE}", _request_timeout=TIMEOUT
        ).items
        listed = [
            ("RoleBinding", apis.rbac.list_role_binding_for_all_namespaces),
            ("ClusterRoleBinding", apis.rbac.list_cluster_role_binding),
        ]
        bindings: list[dict[str, Any]] = []
        groups: list[str] = []
        for kind, list_call in listed:
            for item in list_call(_request_timeout=TIMEOUT).items:
                binding = {**apis.plain(item), "kind": kind}
                subjects = binding.get("subjects") or []
                binding_ns = binding["metadata"].get("namespace")
                if any(_names_account(s, binding_ns, ns, sa) for s in subjects):
                    bindings.append(binding)
                groups.extend(
                    f"{binding_label(binding)} grants {binding['roleRef']['name']} "
                    f"to group {s['name']}"
                    for s in subjects
                    if s.get("kind") == "Group"
                    and s.get("name")
                    in {"system:serviceaccounts", f"system:serviceaccounts:{ns}"}
                )
    tokens = [
        s.metadata.name
        for s in secrets
        if (s.metadata.annotations or {}).get(_SA_ANNOTATION) == sa
    ]
    return Grants(sorted(tokens), bindings, groups)


def _path(kind: str, name: str, ns: str | None) -> str:
    if kind == "RoleBinding":
        return f"{_RBAC}/namespaces/{ns}/rolebindings/{name}"
    return f"{_RBAC}/clusterrolebindings/{name}"


def revoke_calls(apis: KubeApis, step: StepSpec) -> list[str]:
    """List the calls that cutting the account off would make right now."""
    ns, sa = step.params["namespace"], step.params["service_account"]
    grants = find_grants(apis, ns, sa)
    calls = [
        f"GET /api/v1/namespaces/{ns}/serviceaccounts/{sa}",
        f"GET /api/v1/namespaces/{ns}/secrets?fieldSelector=type={TOKEN_TYPE}",
        f"GET {_RBAC}/rolebindings",
        f"GET {_RBAC}/clusterrolebindings",
    ]
    calls += [
        f"DELETE /api/v1/namespaces/{ns}/secrets/{s}" for s in grants.token_secrets
    ]
    for binding in grants.bindings:
        meta = binding["metadata"]
        path = _path(binding["kind"], meta["name"], meta.get("namespace"))
        if _kept(binding, ns, sa):
            calls.append(f"PATCH {path} (JSON patch: subjects without {ns}/{sa})")
        else:
            calls.append(f"DELETE {path} ({ns}/{sa} is its only subject)")
    if not grants.token_secrets and not grants.bindings:
        calls.append(f"(no change: no token secret or binding names {ns}/{sa})")
    calls += [
        f"(not changed, shared with other accounts: {g})" for g in grants.group_grants
    ]
    return calls


def _kept(binding: dict[str, Any], ns: str, sa: str) -> list[dict[str, Any]]:
    binding_ns = binding["metadata"].get("namespace")
    return [
        s
        for s in binding.get("subjects") or []
        if not _names_account(s, binding_ns, ns, sa)
    ]


def _ignoring_missing(what: str, missing: str, call: Callable[[], Any]) -> None:
    with k8s_errors(what, missing=missing):
        try:
            call()
        except ApiException as exc:
            # Gone already is the state this step wants; a rerun must succeed.
            if not is_missing(exc):
                raise


def revoke(apis: KubeApis, step: StepSpec) -> StepOutcome:
    """Delete the account's token secrets and unbind it, then read both back."""
    ns, sa = step.params["namespace"], step.params["service_account"]
    grants = find_grants(apis, ns, sa)

    for secret in grants.token_secrets:
        _ignoring_missing(
            f"Deleting token secret {ns}/{secret}",
            f"secret {ns}/{secret} still exists",
            lambda secret=secret: apis.core.delete_namespaced_secret(
                secret, ns, _request_timeout=TIMEOUT
            ),
        )
        logger.info("Deleted token secret %s/%s of service account %s", ns, secret, sa)
    removed = [_unbind(apis, binding, ns, sa) for binding in grants.bindings]

    after = find_grants(apis, ns, sa)
    evidence = {
        "namespace": ns,
        "service_account": sa,
        "deleted_token_secrets": grants.token_secrets,
        "bindings_removed": removed,
        "group_grants": grants.group_grants,
        "token_secrets_after": after.token_secrets,
        "bindings_after": [binding_label(b) for b in after.bindings],
    }
    if after.token_secrets or after.bindings:
        left = after.token_secrets + [binding_label(b) for b in after.bindings]
        detail = f"Service account {ns}/{sa} still has: {', '.join(left)}."
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = (
        f"Service account {ns}/{sa}: deleted {len(grants.token_secrets)} token "
        f"secret(s), removed it from {len(removed)} binding(s)"
        + (f" ({', '.join(r['label'] for r in removed)})" if removed else "")
        + "; read back, none left. Its tokens still authenticate until they "
        "expire but are granted nothing through these bindings."
    )
    if grants.group_grants:
        detail += f" Still granted through groups: {'; '.join(grants.group_grants)}."
    return StepOutcome(ok=True, detail=detail, evidence=evidence)


def _unbind(
    apis: KubeApis, binding: dict[str, Any], ns: str, sa: str
) -> dict[str, Any]:
    kind, meta = binding["kind"], binding["metadata"]
    name, binding_ns = meta["name"], meta.get("namespace")
    keep = _kept(binding, ns, sa)
    record = {
        "kind": kind,
        "name": name,
        "namespace": binding_ns,
        "label": binding_label(binding),
        "roleRef": binding["roleRef"],
        "subjects_removed": [s for s in binding.get("subjects") or [] if s not in keep],
        "deleted": not keep,
        "labels": meta.get("labels") or {},
        "annotations": meta.get("annotations") or {},
    }
    what = f"Removing {ns}/{sa} from {record['label']}"
    missing = f"{record['label']} still exists"
    if not keep:
        if kind == "RoleBinding":
            call = lambda: apis.rbac.delete_namespaced_role_binding(  # noqa: E731
                name, binding_ns, _request_timeout=TIMEOUT
            )
        else:
            call = lambda: apis.rbac.delete_cluster_role_binding(  # noqa: E731
                name, _request_timeout=TIMEOUT
            )
        _ignoring_missing(what, missing, call)
    else:
        # The resourceVersion test makes a concurrent edit fail rather than be lost.
        patch = [
            {
                "op": "test",
                "path": "/metadata/resourceVersion",
                "value": meta["resourceVersion"],
            },
            {"op": "replace", "path": "/subjects", "value": keep},
        ]
        patch_binding(apis, kind, name, binding_ns, patch, what, missing)
    logger.info("Removed service account %s/%s from %s", ns, sa, record["label"])
    return record


def patch_binding(
    apis: KubeApis,
    kind: str,
    name: str,
    ns: str | None,
    patch: list[dict[str, Any]],
    what: str,
    missing: str,
) -> None:
    with k8s_errors(what, missing=missing):
        if kind == "RoleBinding":
            apis.rbac.patch_namespaced_role_binding(
                name, ns, patch, _request_timeout=TIMEOUT
            )
        else:
            apis.rbac.patch_cluster_role_binding(name, patch, _request_timeout=TIMEOUT)
