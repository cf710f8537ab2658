"""Read what GuardDuty and Security Hub findings share: envelopes, keys, samples.

Both wrap findings in lists and envelopes; both name an IAM principal by type, name
and principal id; both name an EKS caller and workload by GuardDuty's
`kubernetesUserDetails` and `kubernetesWorkloadDetails` fields, which Security Hub
flattens into `Details.Other`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from bot.intake.arn import iam_principal, parse_arn, role_arn, session_arn, user_arn
from bot.intake.fields import labelled_items, put, text
from bot.intake.model import IdentityKey, KeyKind

_ROLE_TYPES = ("AssumedRole", "Role")
_SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:([^:/]+):([^:/]+)$")
_SAMPLE_MARK = "GeneratedFinding"

# A finding with its place in the body and the account of the envelope around it.
Found = tuple[str, dict[str, Any], Any]


def findings_in(
    documents: list[tuple[str, Any]], unwrap: Callable[[Any, str], list[Found]]
) -> Iterator[Found]:
    """Yield every finding in `documents`, unwrapping each item with `unwrap`.

    A document is unwrapped whole before its first finding is yielded, so a
    misshapen item is refused before any finding of that document is parsed.
    """
    for where, document in documents:
        yield from [
            found
            for label, item in labelled_items(where, document)
            for found in unwrap(item, label)
        ]


def principal_keys(
    principal_type: str, name: str, principal_id: str, account: str, partition: str
) -> list[IdentityKey]:
    """Return the keys of an IAM user, or of a role and the session using it."""
    if not name:
        return []
    if principal_type == "IAMUser":
        keys = [IdentityKey(KeyKind.IAM_USER_NAME, name)]
        if account:
            arn = user_arn(partition, account, name)
            keys.append(IdentityKey(KeyKind.IAM_USER_ARN, arn))
        return keys
    if principal_type not in _ROLE_TYPES or not account:
        return []

    keys = [IdentityKey(KeyKind.IAM_ROLE_ARN, role_arn(partition, account, name))]
    # A role session's principal id is "AROA…:SESSION".
    _, _, session = principal_id.partition(":")
    if session:
        arn = session_arn(partition, account, name, session)
        keys.append(IdentityKey(KeyKind.ROLE_SESSION, arn))
    return keys


def kubernetes_keys(
    username: str,
    workload: dict[str, Any],
    details: dict[str, str],
    partition: str | None = None,
) -> list[IdentityKey]:
    """Return the keys of an EKS caller and of the workload it acted on.

    `workload` holds `kubernetesWorkloadDetails`' fields (namespace, name, type,
    serviceAccountName). An IAM-mapped caller's role ARN is built in `partition`,
    or without one in the partition of the caller's own ARN.
    """
    keys = []
    account = _SERVICE_ACCOUNT.match(username)
    arn = parse_arn(username)
    principal = iam_principal(username)
    if account:
        value = f"{account[1]}/{account[2]}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, value))
    elif arn is not None and principal is not None and principal.kind == "role":
        # EKS names IAM-mapped callers by their role or session ARN.
        value = role_arn(partition or arn.partition, principal.account, principal.name)
        keys.append(IdentityKey(KeyKind.IAM_ROLE_ARN, value))
    else:
        put(details, "k8s_user", username)

    namespace = text(workload.get("namespace"))
    name = text(workload.get("name"))
    kind = text(workload.get("type"))
    service_account = text(workload.get("serviceAccountName"))
    if namespace and service_account:
        value = f"{namespace}/{service_account}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, value))
    if namespace and name and kind.lower() in ("pod", "pods"):
        keys.append(IdentityKey(KeyKind.K8S_POD, f"{namespace}/{name}"))
    if namespace:
        keys.append(IdentityKey(KeyKind.K8S_NAMESPACE, namespace))
    if name:
        put(details, "k8s_workload", f"{kind or 'workload'}/{name}")
    return keys


def mark_sample(
    keys: list[IdentityKey], sample_flag: bool, details: dict[str, str]
) -> None:
    """Note in `details` that a finding is AWS's sample, or only looks like one."""
    if sample_flag:
        details["sample"] = "true"
    placeholders = [k.kind.value for k in keys if k.value.startswith(_SAMPLE_MARK)]
    if placeholders:
        # Only AWS's own sample flag is trusted; a placeholder-looking name alone
        # could be an attacker's choice, so it is reported, not acted on.
        details["placeholder_keys"] = ", ".join(dict.fromkeys(placeholders))
