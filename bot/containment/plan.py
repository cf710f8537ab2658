"""Propose the containment plan for a workload from what the catalog says it holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.catalog.model import (
    Catalog,
    Criticality,
    Identity,
    IdentityKind,
    Secret,
    SecretKind,
    Workload,
)
from bot.containment.steps import Phase, StepSpec
from bot.slack.timefmt import duration

REVOKE_POLICY_NAME = "containbot-revoke-older-sessions"

_STOP_BREAKS = {
    Criticality.CUSTOMER_FACING: "customers' requests that reach it fail until it "
    "is started again",
    Criticality.BATCH: "scheduled runs are missed while it is down, and a run cut "
    "off midway can leave partial output to reconcile",
    Criticality.CROSS_ACCOUNT: "callers in other AWS accounts lose service, and "
    "their owners are not in this incident channel",
    Criticality.AGENTIC: "the agent's running tasks stop midway; actions it already "
    "took are not rolled back",
    Criticality.INTERNAL: "internal services that call it fail",
}


# A credential expiring within this is contained by expiry before a typical
# approval comes in (the default approval reminder is at 15 minutes).
EXPIRY_CONTAINS_WITHIN = timedelta(minutes=15)


def build_plan(
    workload: Workload, catalog: Catalog, *, now: datetime
) -> list[StepSpec]:
    """Return the default containment steps for `workload`, ordered by phase."""
    steps: list[StepSpec] = []
    for identity in _identities(workload, catalog):
        affects = _holders(catalog, identity) - {workload.name}
        steps.append(_identity_step(workload, identity, sorted(affects), now))
    for secret in _secrets(workload, catalog):
        affects = _secret_holders(catalog, secret) - {workload.name}
        steps.append(_secret_step(workload, secret, sorted(affects)))
    steps.extend(_access_steps(workload))

    # One step per target even if the catalog lists a credential twice; sorted()
    # is stable, so steps keep catalog order within a phase.
    unique: dict[str, StepSpec] = {}
    for step in steps:
        unique.setdefault(step.key, step)
    return sorted(unique.values(), key=lambda step: step.phase)


def stop_step(workload: Workload) -> StepSpec:
    """Return the separate, never-default step that stops the workload entirely."""
    network = workload.network
    if network.namespace:
        connector, action = "kubernetes", "scale_to_zero"
        where = f"scale its pods in namespace {network.namespace} to zero"
        params = {"namespace": network.namespace, **_pod_params(workload)}
    elif network.instance_ids:
        connector, action = "aws", "stop_instances"
        where = f"stop EC2 instance(s) {', '.join(network.instance_ids)}"
        params = {"instance_ids": ",".join(network.instance_ids)}
    else:
        connector, action = "webhook", "stop_workload"
        where = "ask its runtime to stop it"
        params = {"workload": workload.name}

    breaks = [_STOP_BREAKS[c] for c in workload.criticality if c in _STOP_BREAKS]
    if not breaks:
        breaks = ["the catalog records no criticality, so ask the owner what breaks"]
    change = (
        f"Stop {workload.name} entirely: {where}. Not part of the default plan "
        f"because of what it breaks: {'; '.join(breaks)}."
    )
    return StepSpec(
        key=f"{connector}.{action}:{workload.name}",
        connector=connector,
        action=action,
        phase=Phase.STOP_WORKLOAD,
        target=workload.name,
        change=change,
        params=params,
    )


def _identities(workload: Workload, catalog: Catalog) -> Iterable[Identity]:
    """Yield the workload's identities, then others' identities shared with it."""
    yield from workload.identities
    for other in catalog.workloads:
        if other.name != workload.name:
            yield from (i for i in other.identities if workload.name in i.shared_with)


def _secrets(workload: Workload, catalog: Catalog) -> Iterable[Secret]:
    """Yield the workload's secrets, then others' secrets shared with it."""
    yield from workload.secrets
    for other in catalog.workloads:
        if other.name != workload.name:
            yield from (s for s in other.secrets if workload.name in s.shared_with)


def _holders(catalog: Catalog, identity: Identity) -> set[str]:
    """Name every workload that lists the identity or is said to share it."""
    names: set[str] = set()
    for workload in catalog.workloads:
        for listed in workload.identities:
            if (listed.kind, listed.principal) == (identity.kind, identity.principal):
                names.add(workload.name)
                names.update(listed.shared_with)
    return names


def _secret_holders(catalog: Catalog, secret: Secret) -> set[str]:
    """Name every workload that lists the secret or is said to share it."""
    names: set[str] = set()
    for workload in catalog.workloads:
        for listed in workload.secrets:
            if (listed.kind, listed.name) == (secret.kind, secret.name):
                names.add(workload.name)
                names.update(listed.shared_with)
    return names


class _Action(NamedTuple):
    connector: str
    action: str
    phase: Phase
    reversible: bool
    # What happens to other holders, completing "Shared with X: ...".
    others: str


_IDENTITY_ACTIONS = {
    IdentityKind.AWS_IAM_USER: _Action(
        "aws", "deactivate_access_keys", Phase.REVOKE_TOKENS, True,
        "their calls with these keys fail too",
    ),
    IdentityKind.AWS_IAM_ROLE: _Action(
        "aws", "revoke_role_sessions", Phase.REVOKE_TOKENS, True,
        "their sessions issued before approval fail too",
    ),
    IdentityKind.K8S_SERVICE_ACCOUNT: _Action(
        "kubernetes", "revoke_service_account_tokens", Phase.REVOKE_TOKENS, True,
        "their pods lose the same API access",
    ),
    IdentityKind.VAULT_TOKEN: _Action(
        "vault", "revoke_token", Phase.REVOKE_TOKENS, False,
        "their calls with it fail too",
    ),
    IdentityKind.SPIFFE_ID: _Action(
        "spire", "delete_entry", Phase.DISABLE_IDENTITY, True,
        "they get no new SVIDs either",
    ),
    IdentityKind.API_KEY: _Action(
        "webhook", "revoke_api_key", Phase.REVOKE_TOKENS, False,
        "their calls with it fail too",
    ),
}  # fmt: skip


def _identity_step(
    workload: Workload, identity: Identity, affects: list[str], now: datetime
) -> StepSpec:
    spec = _IDENTITY_ACTIONS[identity.kind]
    short, change, params = _identity_change(identity, _age(identity, now))
    if affects:
        # Revoking a shared credential contains one workload by breaking the
        # others; the better path is a credential of its own, so this step is
        # offered unticked and the approver decides.
        change += (
            f" Shared with {_names(affects)}: {spec.others}. Proposed instead: issue "
            f"{workload.name} a credential of its own and revoke it only there; "
            "this step is left unticked unless the approver ticks it."
        )
    expiry = _expiry_note(identity, now)
    if expiry:
        change += expiry
    return StepSpec(
        key=f"{spec.connector}.{spec.action}:{workload.name}:{short}",
        connector=spec.connector,
        action=spec.action,
        phase=spec.phase,
        target=identity.principal,
        change=change,
        affects=tuple(affects),
        params=params,
        reversible=spec.reversible,
        ticked=not affects,
    )


def _identity_change(identity: Identity, age: str) -> tuple[str, str, dict[str, str]]:
    """Return the short target name, the change text and the connector params."""
    principal = identity.principal
    if identity.kind == IdentityKind.AWS_IAM_USER:
        user = identity.aws_name
        keys = ", ".join(identity.access_key_ids) or "(none in the catalog)"
        change = (
            f"Set access key(s) {keys} of IAM user {user} Inactive, and any other "
            f"active key the user has{age}. Every call signed with them fails."
        )
        return (
            user,
            change,
            {
                "user_name": user,
                "access_key_ids": ",".join(identity.access_key_ids),
            },
        )
    if identity.kind == IdentityKind.AWS_IAM_ROLE:
        role = identity.aws_name
        change = (
            f"Attach inline policy {REVOKE_POLICY_NAME} to IAM role {role}, denying "
            "every action to sessions issued before the step runs, right after "
            "approval (as the AWS console's Revoke active sessions does). New "
            "sessions still work, so "
            "whatever lets the attacker assume the role must be cut too."
        )
        return role, change, {"role_name": role, "policy_name": REVOKE_POLICY_NAME}
    if identity.kind == IdentityKind.K8S_SERVICE_ACCOUNT:
        namespace, name = principal.split("/")
        change = (
            f"Remove service account {principal} from every RoleBinding and "
            f"ClusterRoleBinding that names it and delete its long-lived token "
            f"secrets{age}, so its tokens, bound or not, are granted nothing through "
            "those bindings. Undo restores the bindings; deleted token secrets stay "
            "deleted."
        )
        return principal, change, {"namespace": namespace, "service_account": name}
    if identity.kind == IdentityKind.VAULT_TOKEN:
        change = (
            f"Revoke the Vault token with accessor {principal}, its child tokens "
            f"and their leases{age}."
        )
        return principal, change, {"accessor": principal}
    if identity.kind == IdentityKind.SPIFFE_ID:
        change = (
            f"Delete the SPIRE registration entries for {principal} so no new SVID "
            f"is issued; SVIDs already issued stay valid until they expire{age}."
        )
        return principal, change, {"spiffe_id": principal}
    change = f"Revoke API key {principal} at the system that issued it{age}."
    return principal, change, {"key_name": principal}


def _secret_step(workload: Workload, secret: Secret, affects: list[str]) -> StepSpec:
    if secret.kind == SecretKind.AWS_SECRETS_MANAGER:
        connector = "aws"
        change = (
            f"Put a new random value in Secrets Manager secret {secret.name} as "
            "AWSCURRENT; the exposed value becomes AWSPREVIOUS. If the value is a "
            "credential issued by another system, revoke it there and store the "
            "new one: that system will not accept a random value."
        )
    elif secret.kind == SecretKind.K8S_SECRET:
        connector = "kubernetes"
        change = f"Replace the data of Kubernetes secret {secret.name}."
    else:
        connector = "vault"
        change = f"Write a new version of Vault secret {secret.name}."
    if affects:
        verb = "reads" if len(affects) == 1 else "read"
        change += (
            f" Shared with {_names(affects)}, which {verb} this secret too and must "
            "pick up the new value (restart or cache refresh); until then it keeps "
            "the old, exposed one."
        )
    return StepSpec(
        key=f"{connector}.rotate_secret:{workload.name}:{secret.name}",
        connector=connector,
        action="rotate_secret",
        phase=Phase.ROTATE_SECRETS,
        target=secret.name,
        change=change,
        affects=tuple(affects),
        params={"secret_id": secret.name},
        reversible=False,
    )


def _access_steps(workload: Workload) -> list[StepSpec]:
    steps = []
    network = workload.network
    if network.namespace and (network.pod_labels or network.pod_prefix):
        pods = _pod_params(workload)
        selector = pods.get("pod_labels") or f"names starting {network.pod_prefix}"
        change = (
            f"Label pods ({selector}) in namespace {network.namespace} "
            "containbot.io/quarantined=true and apply a NetworkPolicy denying all "
            "their ingress and all egress except cluster DNS."
        )
        if Criticality.CUSTOMER_FACING in workload.criticality:
            change += " Customers' requests to these pods fail while it is in place."
        steps.append(
            StepSpec(
                key=f"kubernetes.isolate_network:{workload.name}",
                connector="kubernetes",
                action="isolate_network",
                phase=Phase.CUT_ACCESS,
                target=f"{network.namespace}/{workload.name}",
                change=change,
                params={"namespace": network.namespace, **pods},
            )
        )
    if workload.tool_grants:
        grants = ", ".join(workload.tool_grants)
        steps.append(
            StepSpec(
                key=f"webhook.revoke_tool_grants:{workload.name}",
                connector="webhook",
                action="revoke_tool_grants",
                phase=Phase.CUT_ACCESS,
                target=workload.name,
                change=f"Ask the agent gateway to withdraw tool grants: {grants}.",
                params={"grants": ",".join(workload.tool_grants)},
            )
        )
    return steps


def _pod_params(workload: Workload) -> dict[str, str]:
    network = workload.network
    if network.pod_labels:
        labels = ",".join(f"{k}={v}" for k, v in sorted(network.pod_labels.items()))
        return {"pod_labels": labels}
    return {"pod_prefix": network.pod_prefix} if network.pod_prefix else {}


def _expiry_note(identity: Identity, now: datetime) -> str:
    """Say so when expiry will contain the credential before approval likely lands."""
    if identity.expires_at is None:
        return ""
    left = identity.expires_at - now
    if timedelta(0) < left <= EXPIRY_CONTAINS_WITHIN:
        return (
            f" It expires in {duration(left)}, likely before this step would run: "
            "expiry contains it sooner, unless whatever issues it renews it."
        )
    return ""


def _names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _age(identity: Identity, now: datetime) -> str:
    """Describe how long the credential has lived or has left, for the change text."""
    if identity.expires_at is not None:
        left = identity.expires_at - now
        if left.total_seconds() <= 0:
            return " (already expired)"
        return f" (expires in {duration(left)})"
    if identity.static and identity.issued_at is not None:
        days = (now - identity.issued_at).days
        return f" (static, issued {days} days ago)"
    return ""
