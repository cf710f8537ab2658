"""Turn one CloudTrail event into an activity record with the caller's identity keys."""

from __future__ import annotations

import re
from typing import Any

from bot.evidence.classify import aws_read, is_denied
from bot.evidence.records import ActivityRecord, LogKind, parse_time
from bot.intake.arn import iam_principal, role_arn, user_arn
from bot.intake.model import IdentityKey, KeyKind

_INSTANCE_ID = re.compile(r"i-[0-9a-fA-F]{8,17}")
# Distinct callers in a log are few next to records; past this many the cache is
# dropped rather than grown, so memory stays bounded on adversarial input.
_CACHE_LIMIT = 50_000
_callers: dict[tuple[Any, ...], tuple[str, tuple[IdentityKey, ...]]] = {}


def is_cloudtrail(event: dict[str, Any]) -> bool:
    """Return whether `event` looks like a CloudTrail record."""
    return "eventSource" in event and "eventName" in event


def unwrap_eventbridge(event: dict[str, Any]) -> dict[str, Any] | None:
    """Return the CloudTrail record inside an EventBridge event, or None."""
    detail = event.get("detail")
    if isinstance(detail, dict) and str(event.get("detail-type", "")).startswith(
        "AWS API Call via CloudTrail"
    ):
        return detail
    return None


def to_record(event: dict[str, Any]) -> ActivityRecord:
    """Return the activity record of one CloudTrail event."""
    who = event.get("userIdentity")
    who = who if isinstance(who, dict) else {}
    caller, keys = caller_of(who)
    source = _text(event.get("eventSource")) or "unknown"
    name = _text(event.get("eventName")) or "unknown"
    error = event.get("errorCode")
    error = str(error) if error else None

    reads, names = None, ()
    if error is None:
        reads, names = aws_read(source, name, event.get("requestParameters"))

    return ActivityRecord(
        log=LogKind.CLOUDTRAIL,
        time=parse_time(event.get("eventTime") or event.get("@timestamp")),
        caller=caller,
        keys=keys,
        service=source,
        operation=name,
        resource=names[0] if names else None,
        source_ip=_text(event.get("sourceIPAddress")),
        error_code=error,
        denied=is_denied(error),
        reads=reads,
        read_names=names,
    )


def caller_of(who: dict[str, Any]) -> tuple[str, tuple[IdentityKey, ...]]:
    """Return a caller label and identity keys for a `userIdentity` block."""
    issuer = who.get("sessionContext")
    issuer = issuer.get("sessionIssuer") if isinstance(issuer, dict) else None
    issuer_arn = issuer.get("arn") if isinstance(issuer, dict) else None
    cache_key = (
        who.get("type"),
        who.get("arn"),
        who.get("accessKeyId"),
        issuer_arn,
        who.get("userName"),
        who.get("invokedBy"),
    )
    cached = _callers.get(cache_key)
    if cached is None:
        if len(_callers) >= _CACHE_LIMIT:
            _callers.clear()
        cached = _callers[cache_key] = resolve_caller(*cache_key)
    return cached


def resolve_caller(
    kind: Any,
    arn: Any,
    key_id: Any,
    issuer_arn: Any,
    user_name: Any,
    invoked_by: Any,
) -> tuple[str, tuple[IdentityKey, ...]]:
    """Return a caller label and identity keys from the fields of `userIdentity`."""
    keys: list[IdentityKey] = []
    if isinstance(key_id, str) and key_id:
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))

    caller = None
    principal = iam_principal(arn) if isinstance(arn, str) else None
    if principal is not None:
        partition = arn.split(":", 2)[1]
        if principal.kind == "user":
            caller = user_arn(partition, principal.account, principal.name)
            keys.append(IdentityKey(KeyKind.IAM_USER_ARN, caller))
        else:
            # A session is reported as the role it came from: that is what the
            # catalog names and what containment revokes.
            caller = role_arn(partition, principal.account, principal.name)
            keys.append(IdentityKey(KeyKind.IAM_ROLE_ARN, caller))
            session = arn.rsplit("/", 1)[-1]
            if _INSTANCE_ID.fullmatch(session):
                keys.append(IdentityKey(KeyKind.INSTANCE_ID, session))
    elif isinstance(issuer_arn, str) and iam_principal(issuer_arn) is not None:
        # A federated user: the IAM user or role that issued the token answers.
        issued_by = iam_principal(issuer_arn)
        assert issued_by is not None
        kind_key = (
            KeyKind.IAM_USER_ARN if issued_by.kind == "user" else (KeyKind.IAM_ROLE_ARN)
        )
        keys.append(IdentityKey(kind_key, issuer_arn))
        caller = f"{arn} (issued by {issuer_arn})" if arn else issuer_arn

    if isinstance(user_name, str) and user_name.startswith("system:serviceaccount:"):
        # AssumeRoleWithWebIdentity from EKS (IRSA) names the service account.
        parts = user_name.split(":")
        if len(parts) == 4:
            keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, "/".join(parts[2:])))
            caller = caller or f"serviceaccount {parts[2]}/{parts[3]}"

    if caller is None:
        caller = _fallback_label(kind, arn, key_id, user_name, invoked_by)
    return caller, tuple(keys)


def _fallback_label(
    kind: Any, arn: Any, key_id: Any, user_name: Any, invoked_by: Any
) -> str:
    for value in (arn, user_name, key_id):
        if isinstance(value, str) and value:
            return value
    if isinstance(invoked_by, str) and invoked_by:
        return f"service {invoked_by}"
    return f"unknown {kind}" if kind else "unknown caller"


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)
