"""Every Kubernetes audit file of the corpus is read and attributed as expected."""

from __future__ import annotations

import pytest

from bot.evidence import EvidenceReport, load_evidence
from tests.conftest import CORPUS
from tests.evidence.catalog import corpus_index

AUDIT = CORPUS / "k8s-audit"

# file -> {caller or workload: {service: (calls, errors)}}
EXPECTED: dict[str, dict[str, dict[str, tuple[int, int]]]] = {
    "anonymous_creates_namespace_foo.json": {
        "system:anonymous": {"core/namespaces": (1, 0)}
    },
    "create_configmap_sensitive_values.json": {
        "minikube-user": {"core/configmaps": (6, 0)}
    },
    "create_kube_system_secret.json": {"admin": {"core/secrets": (1, 0)}},
    "create_nginx_pod_privileged.json": {"replicasets": {"core/pods": (1, 0)}},
    "create_pod_kube_system_namespace.json": {"replicasets": {"core/pods": (1, 0)}},
    "create_secret.json": {"minikube-user": {"core/secrets": (1, 0)}},
    "create_service_account_token_secret.json": {
        "system:kube-controller-manager": {"core/secrets": (1, 0)}
    },
    "create_serviceaccount.json": {"minikube-user": {"core/serviceaccounts": (1, 0)}},
    "demo.log": {
        "system:admin": {
            "core/pods": (10, 7),
            "core/nodes": (2, 2),
            "core/configmaps": (1, 1),
            "core/secrets": (1, 1),
            "nonResourceURL": (23, 0),
        }
    },
    "test-audit.log": {
        # Upstream wrote "serviceaccounts" (plural): not a service account name.
        "system:serviceaccounts:default:default": {"core/pods": (1, 0)},
        "elastic-agent": {"coordination.k8s.io/leases": (2, 0)},
        "system:gke-master-healthcheck": {"nonResourceURL": (1, 0)},
        "aksService": {"coordination.k8s.io/leases": (1, 0)},
    },
}
NOT_LOGS = {
    "falco_k8s_audit_tests.yaml": "not a ztunnel access log entry",
    "github-issue__falcosecurity-falco-1784__matching-audit-entry.TRUNCATED.txt": (
        "not valid JSON"
    ),
}


def _load(name: str) -> EvidenceReport:
    return load_evidence([str(AUDIT / name)], corpus_index())


def test_every_audit_file_has_expectations() -> None:
    on_disk = {p.name for p in AUDIT.iterdir()}
    assert on_disk == set(EXPECTED) | set(NOT_LOGS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_audit_file_services_and_counts(name: str) -> None:
    report = _load(name)

    found = {
        key: {s: (t.calls, t.errors) for s, t in summary.services.items()}
        for key, summary in report.summaries.items()
    }

    assert not report.refused
    assert found == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(NOT_LOGS))
def test_unusable_files_are_refused_with_a_reason(name: str) -> None:
    report = _load(name)

    (refused,) = report.refused

    assert report.records == 0
    assert refused.refused is not None
    assert refused.refused.startswith("no CloudTrail, Kubernetes audit or mesh")
    assert NOT_LOGS[name] in refused.refused


def test_truncated_audit_entry_says_where_it_broke() -> None:
    report = _load(
        "github-issue__falcosecurity-falco-1784__matching-audit-entry.TRUNCATED.txt"
    )

    reason = report.refused[0].refused or ""

    assert "line break or control character inside a string" in reason


def test_replicaset_controller_creates_pods_in_both_namespaces() -> None:
    report = load_evidence(
        [
            str(AUDIT / "create_nginx_pod_privileged.json"),
            str(AUDIT / "create_pod_kube_system_namespace.json"),
        ],
        corpus_index(),
    )

    summary = report.summaries["replicasets"]

    assert summary.workload == "replicasets"
    assert set(summary.callers) == {"kube-system/replicaset-controller"}
    pods = summary.services["core/pods"]
    assert pods.operations == {"create": 2}
    assert set(summary.addresses) == {"::1"}


def test_secret_and_configmap_reads_name_the_object() -> None:
    report = _load("demo.log")

    touch = report.summaries["system:admin"].services

    # Bob was impersonated and refused: refused reads are not reads.
    assert touch["core/secrets"].denied == 1
    assert touch["core/secrets"].secret_reads == 0
    assert touch["core/pods"].denied == 7


def test_gke_and_aks_envelopes_are_unwrapped() -> None:
    report = _load("test-audit.log")

    gke = report.summaries["system:gke-master-healthcheck"]
    aks = report.summaries["aksService"]

    assert gke.services["nonResourceURL"].operations == {"get": 1}
    assert set(gke.addresses) == {"67.43.156.1"}
    assert aks.services["coordination.k8s.io/leases"].operations == {"update": 1}
    assert report.sources[0].records == {"k8s_audit": 5}
