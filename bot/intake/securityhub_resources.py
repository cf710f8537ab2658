"""Read the identity keys in a Security Hub finding's `Resources` and flat fields.

* `AwsIamAccessKey`: the access key id (from the details, else from a resource id
  such as `AWS::IAM::AccessKey:AKIA…`), and the principal the details name: an IAM
  user's name and ARN, or a role's ARN plus its session ARN when the principal id
  carries a session name (`AROA…:SESSION`).
* `AwsIamUser`, `AwsIamRole`: the ARN in the resource id, else the name in the
  details together with the finding's account.
* `AwsEc2Instance`: the instance id at the end of the resource ARN.
* `AwsEksCluster`: no key of its own, since no catalog entry is a cluster. GuardDuty
  flattens the Kubernetes caller and workload into `Details.Other`
  (`kubernetesDetails/kubernetesUserDetails/username`, …); those give the service
  account, pod and namespace, as in the GuardDuty parser.
"""

from __future__ import annotations

from typing import Any

from bot.intake.arn import iam_principal, parse_arn, role_arn, user_arn
from bot.intake.aws_findings import kubernetes_keys, principal_keys
from bot.intake.fields import json_object, put, text
from bot.intake.model import IdentityKey, KeyKind

_KEY_ID_PREFIX = "AWS::IAM::AccessKey:"
_K8S = "kubernetesDetails/"
_K8S_USER = "kubernetesUserDetails/username"
_K8S_WORKLOAD = "kubernetesWorkloadDetails/"


def resource_keys(
    resource: dict[str, Any], account: str, details: dict[str, str]
) -> list[IdentityKey]:
    """Return the keys one entry of `Resources` names, by its `Type`."""
    kind = text(resource.get("Type"))
    resource_id = text(resource.get("Id"))
    partition = text(resource.get("Partition")) or "aws"
    own = json_object(json_object(resource.get("Details")).get(kind))
    keys = []
    if kind == "AwsIamAccessKey":
        keys = _access_key_keys(resource_id, own, account, partition, details)
    elif kind == "AwsIamUser":
        keys = _user_keys(resource_id, own, account, partition)
    elif kind == "AwsIamRole":
        keys = _role_keys(resource_id, own, account, partition)
    elif kind == "AwsEc2Instance":
        keys = _instance_keys(resource_id)
    elif kind == "AwsEksCluster":
        arn = parse_arn(resource_id)
        cluster = arn.resource.removeprefix("cluster/") if arn else resource_id
        put(details, "cluster", text(own.get("Name")) or cluster)
    other = json_object(json_object(resource.get("Details")).get("Other"))
    return keys + flat_kubernetes_keys(other, details)


def flat_kubernetes_keys(
    flat: dict[str, Any], details: dict[str, str]
) -> list[IdentityKey]:
    """Read the Kubernetes caller and workload from GuardDuty's flattened fields."""
    # Any prefix before "kubernetesDetails/" is accepted: the same names appear in
    # Details.Other and, with an aws/guardduty/ prefix, in ProductFields.
    fields = {
        name.rpartition(_K8S)[2]: text(value)
        for name, value in flat.items()
        if _K8S in name
    }
    workload = {
        name.removeprefix(_K8S_WORKLOAD): value
        for name, value in fields.items()
        if name.startswith(_K8S_WORKLOAD)
    }
    return kubernetes_keys(fields.get(_K8S_USER, ""), workload, details)


def _access_key_keys(
    resource_id: str,
    key: dict[str, Any],
    account: str,
    partition: str,
    details: dict[str, str],
) -> list[IdentityKey]:
    keys = []
    key_id = text(key.get("AccessKeyId"))
    if not key_id and resource_id.startswith(_KEY_ID_PREFIX):
        key_id = resource_id.removeprefix(_KEY_ID_PREFIX).strip()
    if key_id:
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))

    account = text(key.get("AccountId")) or account
    # UserName is the deprecated spelling of PrincipalName; older findings use it.
    name = text(key.get("PrincipalName")) or text(key.get("UserName"))
    principal_type = text(key.get("PrincipalType"))
    put(details, "principal_type", principal_type)
    put(details, "principal", name)
    principal_id = text(key.get("PrincipalId"))
    return keys + principal_keys(principal_type, name, principal_id, account, partition)


def _user_keys(
    resource_id: str, user: dict[str, Any], account: str, partition: str
) -> list[IdentityKey]:
    principal = iam_principal(resource_id)
    if principal is not None and principal.kind == "user":
        return [
            IdentityKey(KeyKind.IAM_USER_NAME, principal.name),
            IdentityKey(KeyKind.IAM_USER_ARN, resource_id),
        ]
    name = text(user.get("UserName"))
    if not name:
        return []
    keys = [IdentityKey(KeyKind.IAM_USER_NAME, name)]
    if account:
        keys.append(
            IdentityKey(KeyKind.IAM_USER_ARN, user_arn(partition, account, name))
        )
    return keys


def _role_keys(
    resource_id: str, role: dict[str, Any], account: str, partition: str
) -> list[IdentityKey]:
    principal = iam_principal(resource_id)
    if principal is not None and principal.kind == "role":
        if _arn_service(resource_id) == "iam":
            return [IdentityKey(KeyKind.IAM_ROLE_ARN, resource_id)]
        # An STS session ARN: the role it was assumed from, then the session.
        arn = role_arn(partition, principal.account, principal.name)
        return [
            IdentityKey(KeyKind.IAM_ROLE_ARN, arn),
            IdentityKey(KeyKind.ROLE_SESSION, resource_id),
        ]
    name = text(role.get("RoleName"))
    if name and account:
        return [IdentityKey(KeyKind.IAM_ROLE_ARN, role_arn(partition, account, name))]
    return []


def _arn_service(value: str) -> str:
    arn = parse_arn(value)
    return arn.service if arn else ""


def _instance_keys(resource_id: str) -> list[IdentityKey]:
    arn = parse_arn(resource_id)
    if arn is not None and arn.service == "ec2":
        kind, _, instance_id = arn.resource.partition("/")
        if kind == "instance" and instance_id:
            return [IdentityKey(KeyKind.INSTANCE_ID, instance_id)]
    if resource_id.startswith("i-"):
        return [IdentityKey(KeyKind.INSTANCE_ID, resource_id)]
    return []
