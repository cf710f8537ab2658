"""A Kubernetes API stand-in seeded with the example catalog's checkout-api."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from bot.devtools.standins import KubernetesStandin

TOKEN = "standin-token-7c1e"
SA = {"kind": "ServiceAccount", "metadata": {"name": "checkout", "namespace": "shop"}}


def _subject(name: str, namespace: str = "shop") -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def _role_ref(kind: str, name: str) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def _containers(app: str) -> list[dict[str, str]]:
    return [{"name": app, "image": f"registry.example.com/shop/{app}:1.4.2"}]


def seed(cluster: KubernetesStandin) -> None:
    """Put checkout-api's account, secrets, bindings, pods and Deployment in place."""
    cluster.put(SA)
    cluster.put(
        {"kind": "ServiceAccount", "metadata": {"name": "cart", "namespace": "shop"}}
    )
    cluster.put(
        {
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": "checkout-token-x7k2p",
                "namespace": "shop",
                "annotations": {"kubernetes.io/service-account.name": "checkout"},
            },
            "data": {"token": "c2VjcmV0LXRva2Vu"},
        }
    )
    cluster.put(
        {
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": "cart-token-aaaaa",
                "namespace": "shop",
                "annotations": {"kubernetes.io/service-account.name": "cart"},
            },
        }
    )
    cluster.put(
        {
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": "payments-db", "namespace": "shop"},
            "data": {"username": "Y2hlY2tvdXQ=", "password": "b2xkLXBhc3N3b3Jk"},
        }
    )
    cluster.put(
        {
            "kind": "RoleBinding",
            "metadata": {"name": "shop-readers", "namespace": "shop"},
            "roleRef": _role_ref("Role", "secret-reader"),
            "subjects": [_subject("checkout"), _subject("cart")],
        }
    )
    cluster.put(
        {
            "kind": "RoleBinding",
            "metadata": {
                "name": "checkout-pods",
                "namespace": "shop",
                "labels": {"team": "shop"},
            },
            "roleRef": _role_ref("Role", "pod-lister"),
            # No namespace: in a RoleBinding it means the binding's own.
            "subjects": [{"kind": "ServiceAccount", "name": "checkout"}],
        }
    )
    cluster.put(
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "checkout-view"},
            "roleRef": _role_ref("ClusterRole", "view"),
            "subjects": [_subject("checkout")],
        }
    )
    cluster.put(
        {
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "all-accounts-discovery"},
            "roleRef": _role_ref("ClusterRole", "system:discovery"),
            "subjects": [
                {
                    "kind": "Group",
                    "name": "system:serviceaccounts",
                    "apiGroup": "rbac.authorization.k8s.io",
                }
            ],
        }
    )
    for name, app in [
        ("checkout-7d9f-abcde", "checkout"),
        ("checkout-7d9f-fghij", "checkout"),
        ("cart-55c1-zzzzz", "cart"),
    ]:
        cluster.put(
            {
                "kind": "Pod",
                "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}},
                "spec": {"serviceAccountName": app, "containers": _containers(app)},
            }
        )
    for name, replicas in [("checkout", 3), ("cart", 2)]:
        cluster.put(
            {
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": _containers(name)},
                    },
                },
                "status": {"replicas": replicas},
            }
        )


@pytest.fixture
def cluster() -> Iterator[KubernetesStandin]:
    standin = KubernetesStandin(token=TOKEN)
    standin.start()
    seed(standin)
    try:
        yield standin
    finally:
        standin.stop()


def api_client(url: str, token: str = TOKEN) -> client.ApiClient:
    """Return the official client pointed at the stand-in, as a kubeconfig would."""
    configuration = client.Configuration(
        host=url,
        api_key={"BearerToken": token},
        api_key_prefix={"BearerToken": "Bearer"},
    )
    return client.ApiClient(configuration)


def kubeconfig(path: Path, url: str, token: str = TOKEN) -> Path:
    """Write a kubeconfig whose context `standin` points at the stand-in."""
    path.write_text(
        f"""apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster: {{server: "{url}"}}
users:
- name: containbot
  user: {{token: "{token}"}}
contexts:
- name: standin
  context: {{cluster: standin, user: containbot}}
current-context: standin
"""
    )
    return path
