"""A small catalog naming identities that appear in the corpus logs."""

from __future__ import annotations

from bot.catalog.model import Catalog, Identity, IdentityKind, Workload
from bot.intake.match import WorkloadIndex

STOLEN_ROLE = (
    "arn:aws:iam::017622104382:role/ec2/stratus-red-team-ec2-steal-credentials-role"
)


def corpus_catalog() -> Catalog:
    """Return workloads owning some corpus identities, and one sharing nothing."""

    def workload(name: str, *identities: Identity) -> Workload:
        return Workload(name=name, owner="U0OWNER1", identities=identities)

    return Catalog(
        workloads=(
            # The path in the catalog ARN differs from CloudTrail's: IAM ignores it.
            workload(
                "web-proxy",
                Identity(kind=IdentityKind.AWS_IAM_ROLE, principal=STOLEN_ROLE),
            ),
            workload(
                "secrets-job",
                Identity(
                    kind=IdentityKind.AWS_IAM_USER,
                    principal="arn:aws:iam::903144391865:user/ops-admin",
                    access_key_ids=("AKIA1JMTHE9ZMZMWG0MG",),
                ),
            ),
            workload(
                "replicasets",
                Identity(
                    kind=IdentityKind.K8S_SERVICE_ACCOUNT,
                    principal="kube-system/replicaset-controller",
                ),
            ),
            workload(
                "shell",
                Identity(
                    kind=IdentityKind.SPIFFE_ID,
                    principal="spiffe://cluster.local/ns/default/sa/default",
                ),
            ),
            workload(
                "elastic-agent",
                Identity(
                    kind=IdentityKind.K8S_SERVICE_ACCOUNT,
                    principal="kube-system/elastic-agent",
                ),
            ),
        )
    )


def corpus_index() -> WorkloadIndex:
    return WorkloadIndex(corpus_catalog())
