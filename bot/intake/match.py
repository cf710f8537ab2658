"""Find the catalog workload an alert is about, from the identity keys it carries.

Every key of the alert is looked up; when keys point at different workloads, the
key whose kind comes first in `KEY_PRECEDENCE` decides, and the others are
reported as conflicts for a responder to look at. The order, strongest first:

1. access key id: a credential names exactly one IAM user;
2. IAM user ARN, matched by account and user name (IAM ignores the path);
3. IAM role ARN, matched by account and role name, so `role/service/ROLE` in the
   catalog matches `role/ROLE` in an alert;
4. role session (`assumed-role/ROLE/SESSION`), reduced to its role;
5. SPIFFE ID;
6. Kubernetes service account, `namespace/name`;
7. pod, `namespace/pod`: the workload in that namespace whose `pod_prefix` is the
   longest prefix of the pod name;
8. EC2 instance id;
9. namespace alone, only when exactly one workload claims the namespace;
10. IAM user name without an account, only when exactly one catalog user has it
    (the same name can exist in every account).

A value that two workloads claim (a role two workloads share, say) identifies
neither: it matches nothing and is listed in `Match.ambiguous`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from bot.catalog.model import Catalog, IdentityKind, Workload
from bot.intake.arn import iam_principal
from bot.intake.model import KEY_PRECEDENCE, IdentityKey, KeyKind, ParsedAlert

_RANK = {kind: rank for rank, kind in enumerate(KEY_PRECEDENCE)}


@dataclass(frozen=True)
class Match:
    """Which workload an alert is about, by which key, and which keys disagreed."""

    workload: Workload | None
    matched_by: IdentityKey | None = None
    # Keys that pointed at another workload, with that workload's name.
    conflicts: tuple[tuple[IdentityKey, str], ...] = ()
    # Keys that more than one workload claims, so they decided nothing.
    ambiguous: tuple[IdentityKey, ...] = ()

    @property
    def owned(self) -> bool:
        return self.workload is not None


class WorkloadIndex:
    """Lookup tables from identity values to workloads, built once per catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._workloads = {w.name: w for w in catalog.workloads}
        self._building: dict[KeyKind, dict[str, set[str]]] = defaultdict(
            lambda: defaultdict(set)
        )
        for workload in catalog.workloads:
            self._add_identities(workload)
            self._add_network(workload)
        # Each table maps a normalized value to the names of workloads claiming it.
        self._tables: dict[KeyKind, dict[str, frozenset[str]]] = {
            kind: {value: frozenset(names) for value, names in table.items()}
            for kind, table in self._building.items()
        }
        del self._building

    def match(self, alert: ParsedAlert) -> Match:
        """Return the workload `alert` is about, or an unowned match."""
        hits: list[tuple[IdentityKey, str]] = []
        ambiguous: list[IdentityKey] = []
        for key in sorted(alert.keys, key=lambda k: _RANK[k.kind]):
            names = self._lookup(key)
            if len(names) == 1:
                hits.append((key, next(iter(names))))
            elif names:
                ambiguous.append(key)

        if not hits:
            return Match(None, ambiguous=tuple(ambiguous))
        matched_by, winner = hits[0]
        conflicts = tuple(
            dict.fromkeys((key, name) for key, name in hits if name != winner)
        )
        return Match(self._workloads[winner], matched_by, conflicts, tuple(ambiguous))

    def _lookup(self, key: IdentityKey) -> frozenset[str]:
        if key.kind == KeyKind.K8S_POD:
            return self._lookup_pod(key.value)
        value = _normalize(key.kind, key.value)
        kind = KeyKind.IAM_ROLE_ARN if key.kind == KeyKind.ROLE_SESSION else key.kind
        if value is None:
            return frozenset()
        return self._tables.get(kind, {}).get(value, frozenset())

    def _lookup_pod(self, value: str) -> frozenset[str]:
        """Match `namespace/pod` against pod prefixes, longest prefix first."""
        namespace, _, pod = value.partition("/")
        table = self._tables.get(KeyKind.K8S_POD, {})
        # At most len(pod) dictionary probes; pod names are at most 253 characters.
        for end in range(len(pod), 0, -1):
            names = table.get(f"{namespace}/{pod[:end]}")
            if names:
                return names
        return frozenset()

    def _add(self, kind: KeyKind, value: str | None, workload: str) -> None:
        if value:
            self._building[kind][value].add(workload)

    def _add_identities(self, workload: Workload) -> None:
        for identity in workload.identities:
            principal = identity.principal
            if identity.kind == IdentityKind.AWS_IAM_USER:
                for key_id in identity.access_key_ids:
                    self._add(KeyKind.ACCESS_KEY_ID, key_id, workload.name)
                arn_key = _normalize(KeyKind.IAM_USER_ARN, principal)
                self._add(KeyKind.IAM_USER_ARN, arn_key, workload.name)
                self._add(KeyKind.IAM_USER_NAME, identity.aws_name, workload.name)
            elif identity.kind == IdentityKind.AWS_IAM_ROLE:
                arn_key = _normalize(KeyKind.IAM_ROLE_ARN, principal)
                self._add(KeyKind.IAM_ROLE_ARN, arn_key, workload.name)
            elif identity.kind == IdentityKind.K8S_SERVICE_ACCOUNT:
                self._add(KeyKind.K8S_SERVICE_ACCOUNT, principal, workload.name)
            elif identity.kind == IdentityKind.SPIFFE_ID:
                spiffe = _normalize(KeyKind.SPIFFE_ID, principal)
                self._add(KeyKind.SPIFFE_ID, spiffe, workload.name)

    def _add_network(self, workload: Workload) -> None:
        network = workload.network
        for instance_id in network.instance_ids:
            self._add(KeyKind.INSTANCE_ID, instance_id, workload.name)
        if network.namespace:
            self._add(KeyKind.K8S_NAMESPACE, network.namespace, workload.name)
        # A pod prefix without a namespace would match pods in every namespace,
        # which is too loose to page anyone on; such a workload matches by its
        # other keys only.
        if network.namespace and network.pod_prefix:
            value = f"{network.namespace}/{network.pod_prefix}"
            self._add(KeyKind.K8S_POD, value, workload.name)


def _normalize(kind: KeyKind, value: str) -> str | None:
    """Reduce a key value to the form the tables are keyed by."""
    if kind in (KeyKind.IAM_USER_ARN, KeyKind.IAM_ROLE_ARN, KeyKind.ROLE_SESSION):
        principal = iam_principal(value)
        expected = "user" if kind == KeyKind.IAM_USER_ARN else "role"
        if principal is None or principal.kind != expected:
            return None
        return f"{principal.account}:{principal.name}"
    if kind == KeyKind.SPIFFE_ID:
        return value.rstrip("/")
    return value
