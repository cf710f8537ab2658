"""The Kubernetes connector against the API stand-in: run, read back, undo."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.connectors.kubernetes import KubernetesConnector
from bot.containment.plan import build_plan, stop_step
from bot.containment.steps import StepSpec
from bot.devtools.standins import KubernetesStandin
from tests.connectors.kubernetes_fixtures import api_client, cluster  # noqa: F401

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)
QUARANTINED = "containbot.io/quarantined"


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(EXAMPLE)


@pytest.fixture
def steps(catalog: Catalog) -> dict[str, StepSpec]:
    workload = catalog.get("checkout-api")
    assert workload is not None
    plan = build_plan(workload, catalog, now=NOW) + [stop_step(workload)]
    return {step.action: step for step in plan}


@pytest.fixture
def kube(cluster: KubernetesStandin) -> KubernetesConnector:  # noqa: F811
    return KubernetesConnector(api_client(cluster.url))


def subjects(cluster: KubernetesStandin, plural: str, ns: str, name: str) -> list:  # noqa: F811
    found = cluster.get(plural, ns, name)
    return None if found is None else found.get("subjects")


def test_revoke_deletes_token_secrets_and_unbinds_then_reads_back(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    outcome = kube.execute(steps["revoke_service_account_tokens"], now=NOW)

    assert outcome.ok, outcome.detail
    evidence = outcome.evidence
    assert evidence["deleted_token_secrets"] == ["checkout-token-x7k2p"]
    assert evidence["token_secrets_after"] == [] and evidence["bindings_after"] == []
    labels = sorted(r["label"] for r in evidence["bindings_removed"])
    assert labels == [
        "ClusterRoleBinding checkout-view",
        "RoleBinding shop/checkout-pods",
        "RoleBinding shop/shop-readers",
    ]
    assert cluster.names("secrets", "shop") == ["cart-token-aaaaa", "payments-db"]
    assert subjects(cluster, "rolebindings", "shop", "shop-readers") == [
        {"kind": "ServiceAccount", "name": "cart", "namespace": "shop"}
    ]
    assert cluster.get("rolebindings", "shop", "checkout-pods") is None
    assert cluster.get("clusterrolebindings", "", "checkout-view") is None
    assert "system:serviceaccounts" in outcome.detail


def test_revoke_twice_succeeds_with_nothing_left_to_change(
    kube: KubernetesConnector, steps: dict[str, StepSpec]
) -> None:
    step = steps["revoke_service_account_tokens"]
    kube.execute(step, now=NOW)

    again = kube.execute(step, now=NOW)

    assert again.ok, again.detail
    assert again.evidence["bindings_removed"] == []
    assert again.evidence["deleted_token_secrets"] == []


def test_undo_restores_every_binding_it_removed(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = steps["revoke_service_account_tokens"]
    ran = kube.execute(step, now=NOW)

    undone = kube.undo(step, evidence=ran.evidence)

    assert undone.ok, undone.detail
    readers = subjects(cluster, "rolebindings", "shop", "shop-readers")
    assert {s["name"] for s in readers} == {"cart", "checkout"}
    recreated = cluster.get("rolebindings", "shop", "checkout-pods")
    assert recreated is not None
    assert recreated["metadata"]["labels"] == {"team": "shop"}
    assert recreated["subjects"] == [{"kind": "ServiceAccount", "name": "checkout"}]
    assert cluster.get("clusterrolebindings", "", "checkout-view") is not None
    assert "token secrets are not recreated" in undone.detail
    assert not kube.undo(step, evidence=None).ok


def test_isolate_applies_policy_and_labels_pods(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = steps["isolate_network"]

    first = kube.execute(step, now=NOW)
    second = kube.execute(step, now=NOW)

    assert first.ok, first.detail
    assert first.evidence["created"] is True
    assert first.evidence["pods"] == ["checkout-7d9f-abcde", "checkout-7d9f-fghij"]
    policy = cluster.get("networkpolicies", "shop", "containbot-isolate-checkout-api")
    assert policy is not None
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": {"app": "checkout"}}
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert spec["ingress"] == []
    assert [p["port"] for p in spec["egress"][0]["ports"]] == [53, 53]
    pod = cluster.get("pods", "shop", "checkout-7d9f-abcde")
    assert pod is not None and pod["metadata"]["labels"][QUARANTINED] == "true"
    cart = cluster.get("pods", "shop", "cart-55c1-zzzzz")
    assert cart is not None and QUARANTINED not in cart["metadata"]["labels"]
    assert second.ok and second.evidence["created"] is False
    assert second.evidence["pods_labelled"] == []


def test_isolate_by_prefix_selects_the_quarantine_label_and_can_deny_all(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = replace(
        steps["isolate_network"],
        params={"namespace": "shop", "pod_prefix": "checkout-", "deny": "all"},
    )

    outcome = kube.execute(step, now=NOW)

    assert outcome.ok, outcome.detail
    policy = cluster.get("networkpolicies", "shop", "containbot-isolate-checkout-api")
    assert policy is not None
    assert policy["spec"]["podSelector"] == {"matchLabels": {QUARANTINED: "true"}}
    assert policy["spec"]["egress"] == []
    assert "no egress" in outcome.detail


def test_isolate_replaces_a_policy_someone_loosened(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = steps["isolate_network"]
    kube.execute(step, now=NOW)
    policy = cluster.get("networkpolicies", "shop", "containbot-isolate-checkout-api")
    assert policy is not None
    policy["spec"]["ingress"] = [{}]  # allow everything in
    cluster.put(policy)

    outcome = kube.execute(step, now=NOW)

    assert outcome.ok, outcome.detail
    again = cluster.get("networkpolicies", "shop", "containbot-isolate-checkout-api")
    assert again is not None and again["spec"]["ingress"] == []


def test_undo_isolation_deletes_policy_and_label(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = steps["isolate_network"]
    ran = kube.execute(step, now=NOW)

    undone = kube.undo(step, evidence=ran.evidence)
    twice = kube.undo(step, evidence=ran.evidence)

    assert undone.ok, undone.detail
    assert cluster.names("networkpolicies", "shop") == []
    pod = cluster.get("pods", "shop", "checkout-7d9f-abcde")
    assert pod is not None and QUARANTINED not in pod["metadata"]["labels"]
    assert twice.ok, twice.detail


def test_scale_to_zero_and_back(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    step = steps["scale_to_zero"]

    first = kube.execute(step, now=NOW)
    second = kube.execute(step, now=NOW)

    assert first.ok, first.detail
    assert first.evidence["replicas_before"] == {"checkout": 3}
    assert first.evidence["replicas_after"] == {"checkout": 0}
    # The second run remembers the replicas from the annotation, not 0.
    assert second.ok and second.evidence["replicas_before"] == {"checkout": 3}
    cart = cluster.get("deployments", "shop", "cart")
    assert cart is not None and cart["spec"]["replicas"] == 2

    undone = kube.undo(step, evidence=None)

    assert undone.ok, undone.detail
    checkout = cluster.get("deployments", "shop", "checkout")
    assert checkout is not None and checkout["spec"]["replicas"] == 3
    assert "containbot.io/replicas-before-stop" not in checkout["metadata"].get(
        "annotations", {}
    )


def test_rotate_secret_replaces_every_key_and_never_shows_values(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
) -> None:
    step = StepSpec(
        key="kubernetes.rotate_secret:checkout-api:shop/payments-db",
        connector="kubernetes",
        action="rotate_secret",
        phase=3,  # type: ignore[arg-type]
        target="shop/payments-db",
        change="Replace the data of Kubernetes secret shop/payments-db.",
        params={"secret_id": "shop/payments-db"},
        reversible=False,
    )

    outcome = kube.execute(step, now=NOW)

    assert outcome.ok, outcome.detail
    assert outcome.evidence["keys"] == ["password", "username"]
    secret = cluster.get("secrets", "shop", "payments-db")
    assert secret is not None
    assert secret["data"]["password"] != "b2xkLXBhc3N3b3Jk"
    assert secret["data"]["password"] not in repr(outcome)
    assert not kube.undo(step).ok


def test_rotate_refuses_a_token_secret(kube: KubernetesConnector) -> None:
    step = StepSpec(
        key="k",
        connector="kubernetes",
        action="rotate_secret",
        phase=3,  # type: ignore[arg-type]
        target="shop/checkout-token-x7k2p",
        change="",
        params={"secret_id": "shop/checkout-token-x7k2p"},
    )

    outcome = kube.execute(step, now=NOW)

    assert not outcome.ok
    assert "only Opaque secrets" in outcome.detail


def test_dry_run_names_the_calls_and_changes_nothing(
    kube: KubernetesConnector,
    cluster: KubernetesStandin,  # noqa: F811
    steps: dict[str, StepSpec],
) -> None:
    revoke = kube.dry_run(steps["revoke_service_account_tokens"], now=NOW)
    isolate = kube.dry_run(steps["isolate_network"], now=NOW)
    stop = kube.dry_run(steps["scale_to_zero"], now=NOW)

    assert "DELETE /api/v1/namespaces/shop/secrets/checkout-token-x7k2p" in revoke
    assert (
        "PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/shop/rolebindings/"
        "shop-readers (JSON patch: subjects without shop/checkout)"
    ) in revoke
    assert (
        "DELETE /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/checkout-view "
        "(shop/checkout is its only subject)"
    ) in revoke
    assert any(line.startswith("(not changed, shared") for line in revoke)
    assert isolate[0] == "GET /api/v1/namespaces/shop/pods?labelSelector=app=checkout"
    assert any("containbot-isolate-checkout-api" in line for line in isolate)
    assert "PATCH /apis/apps/v1/namespaces/shop/deployments/checkout/scale " in (
        " ".join(stop)
    )
    assert cluster.names("secrets", "shop") == [
        "cart-token-aaaaa",
        "checkout-token-x7k2p",
        "payments-db",
    ]
    assert not any(m in {"POST", "PATCH", "PUT", "DELETE"} for m, _ in cluster.calls)
