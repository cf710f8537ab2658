"""Decide which calls were refused and which handed back data or secrets."""

from __future__ import annotations

from typing import Any

from bot.evidence.records import ReadKind

# Error codes meaning "not allowed", as CloudTrail spells them per service; EC2
# uses the Client. prefix, most others AccessDenied or a variant of it.
_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "Client.UnauthorizedOperation",
        "UnauthorizedOperation",
        "Client.AuthFailure",
        "AuthFailure",
        "UnauthorizedAccess",
        "Forbidden",
        "403",
        "401",
    }
)

# (eventSource, eventName) -> kind of what a successful call returns.
_AWS_READS: dict[tuple[str, str], ReadKind] = {
    ("secretsmanager.amazonaws.com", "GetSecretValue"): ReadKind.SECRET,
    ("secretsmanager.amazonaws.com", "BatchGetSecretValue"): ReadKind.SECRET,
    ("ec2.amazonaws.com", "GetPasswordData"): ReadKind.SECRET,
    ("kms.amazonaws.com", "Decrypt"): ReadKind.SECRET,
    ("iam.amazonaws.com", "CreateAccessKey"): ReadKind.SECRET,
    ("sts.amazonaws.com", "GetFederationToken"): ReadKind.SECRET,
    ("sts.amazonaws.com", "GetSessionToken"): ReadKind.SECRET,
    ("s3.amazonaws.com", "GetObject"): ReadKind.DATA,
    ("dynamodb.amazonaws.com", "GetItem"): ReadKind.DATA,
    ("dynamodb.amazonaws.com", "BatchGetItem"): ReadKind.DATA,
    ("dynamodb.amazonaws.com", "Query"): ReadKind.DATA,
    ("dynamodb.amazonaws.com", "Scan"): ReadKind.DATA,
    ("ec2.amazonaws.com", "DescribeInstanceAttribute"): ReadKind.DATA,
    ("lambda.amazonaws.com", "GetFunction"): ReadKind.DATA,
}
_SSM_PARAMETER_READS = frozenset(
    {"GetParameter", "GetParameters", "GetParametersByPath"}
)
_K8S_READ_VERBS = frozenset({"get", "list", "watch"})


def is_denied(error_code: str | None) -> bool:
    """Return whether `error_code` says the caller was not allowed."""
    if not error_code:
        return False
    return error_code in _DENIED_CODES or "AccessDenied" in error_code


# Every (eventSource, eventName) that `aws_read` may find a read in.
AWS_READ_CALLS = frozenset(_AWS_READS) | {
    ("ssm.amazonaws.com", name) for name in _SSM_PARAMETER_READS
}


def aws_read(
    source: str, name: str, params: Any
) -> tuple[ReadKind | None, tuple[str, ...]]:
    """Return what kind of data a successful AWS call read, and what it named."""
    if source == "ssm.amazonaws.com" and name in _SSM_PARAMETER_READS:
        params = params if isinstance(params, dict) else {}
        # A SecureString only leaves SSM in clear text when decryption was asked.
        kind = ReadKind.SECRET if params.get("withDecryption") else ReadKind.DATA
        return kind, _names(params, "name", "names", "path")
    kind = _AWS_READS.get((source, name))
    if kind is None or not isinstance(params, dict):
        return kind, ()
    if source == "s3.amazonaws.com":
        bucket, key = params.get("bucketName"), params.get("key")
        return kind, (f"{bucket}/{key}",) if bucket and key else ()
    return kind, _names(
        params,
        "secretId",
        "secretIdList",
        "instanceId",
        "tableName",
        "functionName",
        "keyId",
        "userName",
    )


def k8s_read(verb: str, resource: str, subresource: str | None) -> ReadKind | None:
    """Return what a successful Kubernetes request read, if anything that matters."""
    if resource == "secrets" and verb in _K8S_READ_VERBS:
        return ReadKind.SECRET
    # A TokenRequest mints a token for the service account: a new credential.
    if resource == "serviceaccounts" and subresource == "token" and verb == "create":
        return ReadKind.SECRET
    if resource == "configmaps" and verb in _K8S_READ_VERBS:
        return ReadKind.DATA
    return None


def _names(params: dict[str, Any], *fields: str) -> tuple[str, ...]:
    found: list[str] = []
    for field in fields:
        value = params.get(field)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v for v in value if isinstance(v, str))
    return tuple(found)
