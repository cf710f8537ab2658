"""Put the catalog's Kubernetes workloads into the API stand-in, and read them back.

For the demo and the tests only: each workload with a namespace gets its service
accounts (with a long-lived token secret and a RoleBinding), two running pods and
the Deployment that owns them, so every Kubernetes step has something real to act
on. The state is read back through the official client over HTTP.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from kubernetes import client

from bot.catalog.model import Catalog, IdentityKind, SecretKind, Workload
from bot.devtools.standins.kubernetes_api import KubernetesStandin


def seed_kubernetes(catalog: Catalog, cluster: KubernetesStandin) -> None:
    """Create every catalog workload's Kubernetes objects in the stand-in."""
    for workload in catalog.workloads:
        namespace = workload.network.namespace
        if not namespace:
            continue
        cluster.put({"kind": "Namespace", "metadata": {"name": namespace}})
        accounts = [
            identity.principal.split("/", 1)
            for identity in workload.identities
            if identity.kind == IdentityKind.K8S_SERVICE_ACCOUNT
        ]
        for account_namespace, name in accounts:
            _service_account(cluster, account_namespace, name, workload.name)
        for secret in workload.secrets:
            if secret.kind == SecretKind.K8S_SECRET:
                _opaque_secret(cluster, namespace, secret.name)
        account = accounts[0][1] if accounts else "default"
        _pods_and_deployment(cluster, workload, namespace, account)


def _service_account(
    cluster: KubernetesStandin, namespace: str, name: str, workload: str
) -> None:
    cluster.put({"kind": "Namespace", "metadata": {"name": namespace}})
    cluster.put(
        {"kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}}
    )
    cluster.put(
        {
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": f"{name}-token-{_suffix(name)}",
                "namespace": namespace,
                "annotations": {"kubernetes.io/service-account.name": name},
            },
            # A placeholder, not a token: the stand-in issues none.
            "data": {"token": "c3RhbmQtaW4="},
        }
    )
    cluster.put(
        {
            "kind": "RoleBinding",
            "metadata": {"name": f"{workload}-access", "namespace": namespace},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": f"{workload}-role",
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": name, "namespace": namespace}
            ],
        }
    )


def _opaque_secret(cluster: KubernetesStandin, namespace: str, name: str) -> None:
    cluster.put(
        {
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"value": "c3RhbmQtaW4="},
        }
    )


def _pods_and_deployment(
    cluster: KubernetesStandin, workload: Workload, namespace: str, account: str
) -> None:
    labels = dict(workload.network.pod_labels) or {"app": workload.name}
    prefix = workload.network.pod_prefix or f"{workload.name}-"
    deployment = prefix.rstrip("-") or workload.name
    for index in range(2):
        cluster.put(
            {
                "kind": "Pod",
                "metadata": {
                    "name": f"{prefix}{_suffix(workload.name, index)}",
                    "namespace": namespace,
                    "labels": labels,
                },
                "spec": {
                    "serviceAccountName": account,
                    "containers": _container(workload),
                },
            }
        )
    cluster.put(
        {
            "kind": "Deployment",
            "metadata": {"name": deployment, "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": _container(workload)},
                },
            },
            "status": {"replicas": 2},
        }
    )


def _container(workload: Workload) -> list[dict[str, str]]:
    return [{"name": workload.name, "image": f"registry.example.com/{workload.name}:1"}]


def _suffix(name: str, index: int = 0) -> str:
    return hashlib.sha256(f"{name}/{index}".encode()).hexdigest()[:5]


def kubernetes_state(catalog: Catalog, api: client.ApiClient) -> dict[str, Any]:
    """Read back what containment changes: tokens, bindings, policies, labels."""
    core = client.CoreV1Api(api)
    rbac = client.RbacAuthorizationV1Api(api)
    networking = client.NetworkingV1Api(api)
    state: dict[str, Any] = {}
    for workload in catalog.workloads:
        namespace = workload.network.namespace
        if not namespace:
            continue
        pods = core.list_namespaced_pod(namespace).items
        prefix = workload.network.pod_prefix or f"{workload.name}-"
        state[workload.name] = {
            "token_secrets": sorted(
                s.metadata.name
                for s in core.list_namespaced_secret(namespace).items
                if s.type == "kubernetes.io/service-account-token"
            ),
            "role_bindings": sorted(
                b.metadata.name
                for b in rbac.list_namespaced_role_binding(namespace).items
            ),
            "network_policies": sorted(
                p.metadata.name
                for p in networking.list_namespaced_network_policy(namespace).items
            ),
            "quarantined_pods": sorted(
                p.metadata.name
                for p in pods
                if p.metadata.name.startswith(prefix)
                and (p.metadata.labels or {}).get("containbot.io/quarantined") == "true"
            ),
        }
    return state


def api_client(url: str, token: str) -> client.ApiClient:
    """The official client pointed at the stand-in, as a kubeconfig would do."""
    configuration = client.Configuration(
        host=url,
        api_key={"BearerToken": token},
        api_key_prefix={"BearerToken": "Bearer"},
    )
    return client.ApiClient(configuration)


def write_kubeconfig(path: Path, url: str, token: str) -> Path:
    """Write a kubeconfig whose only context points at the stand-in."""
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f'clusters:\n- name: standin\n  cluster: {{server: "{url}"}}\n'
        f'users:\n- name: containbot\n  user: {{token: "{token}"}}\n'
        "contexts:\n- name: standin\n  context: {cluster: standin, user: containbot}\n"
        "current-context: standin\n"
    )
    return path
