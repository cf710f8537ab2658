"""Read Amazon GuardDuty findings and the identity keys they carry.

Accepted shapes: a bare finding, a list of findings, `{"findings": [...]}` (the
GetFindings response; `Findings` too), and the EventBridge event whose
`detail-type` is "GuardDuty Finding". Newline-delimited findings work as well.

Keys taken from a finding's `resource`:

* `accessKeyDetails`: the access key id; for an IAM user its name and user ARN;
  for an assumed role the role ARN and the session ARN
  (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`, as CloudTrail shows it).
* `instanceDetails.instanceId`. The instance profile ARN is shown in the details
  only: a profile's name need not be its role's name.
* `kubernetesDetails`: a `system:serviceaccount:NS:NAME` user, and the workload's
  namespace, pod and service account.

Sample findings ("Generate sample findings") keep their `GeneratedFinding…`
placeholders as key values: they match no catalog entry. GuardDuty's own sample
flag becomes `sample: true` in the details, and placeholder-looking key values are
listed under `placeholder_keys`, so nobody mistakes a sample for a compromise.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake.aws_findings import (
    Found,
    findings_in,
    kubernetes_keys,
    mark_sample,
    principal_keys,
)
from bot.intake.fields import json_object, put, text
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert

SOURCE = "guardduty"
_BANDS = ("low", "medium", "high", "critical")


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded GuardDuty documents into one alert per finding."""
    return [
        _alert(finding, label, account, received_at)
        for label, finding, account in findings_in(documents, _unwrap)
    ]


def _unwrap(document: Any, label: str) -> list[Found]:
    """Unwrap an EventBridge event or a findings list into (label, finding, account)."""
    if not isinstance(document, dict):
        raise AlertRejected(f"{label} is not a JSON object; expected a finding")

    if "detail-type" in document:
        kind = document["detail-type"]
        if kind != "GuardDuty Finding":
            raise AlertRejected(
                f"{label} is an EventBridge event of detail-type {kind!r}, "
                "not 'GuardDuty Finding'"
            )
        detail = document.get("detail")
        if not isinstance(detail, dict):
            raise AlertRejected(f"{label} is an EventBridge event without a detail")
        return [(label, detail, document.get("account"))]

    for envelope in ("findings", "Findings"):
        if envelope in document:
            items = document[envelope]
            if not isinstance(items, list):
                raise AlertRejected(f"{label}: {envelope!r} must be a list")
            return [
                (f"{label}, finding {n}", _finding_object(item, label), None)
                for n, item in enumerate(items, start=1)
            ]
    return [(label, _finding_object(document, label), None)]


def _finding_object(value: Any, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AlertRejected(f"{label}: a finding must be a JSON object")
    if "ProductArn" in value:
        # Security Hub's ASFF also wraps findings in "Findings", capitalised.
        raise AlertRejected(
            f"{label} is a Security Hub (ASFF) finding, not a GuardDuty finding"
        )
    return value


def _alert(
    finding: dict[str, Any], label: str, envelope_account: Any, received_at: datetime
) -> ParsedAlert:
    missing = [f for f in ("id", "type", "severity") if finding.get(f) in (None, "")]
    if missing:
        raise AlertRejected(
            f"{label}: GuardDuty finding is missing {', '.join(missing)}"
        )

    # The finding's own account owns the resource; the envelope's may be the
    # delegated administrator account that forwarded it.
    account = text(finding.get("accountId")) or text(envelope_account)
    partition = text(finding.get("partition")) or "aws"
    resource = json_object(finding.get("resource"))
    service = json_object(finding.get("service"))
    details: dict[str, str] = {}
    keys = [
        *_access_key_keys(resource, account, partition, details),
        *_instance_keys(resource, details),
        *_kubernetes_keys(resource, partition, details),
    ]
    _describe(finding, resource, service, details)
    sample = json_object(service.get("additionalInfo")).get("sample") is True
    mark_sample(keys, sample, details)

    detected_at, time_field = _detected_at(finding, service, label, received_at)
    if time_field is None:
        details["time"] = "received"
    return ParsedAlert(
        source=SOURCE,
        title=text(finding.get("title")) or str(finding["type"]),
        severity=_severity(finding["severity"], label),
        detected_at=detected_at,
        summary=text(finding.get("description")) or str(finding["type"]),
        keys=tuple(dict.fromkeys(keys)),
        external_id=str(finding["id"]),
        details=details,
    )


def _access_key_keys(
    resource: dict[str, Any], account: str, partition: str, details: dict[str, str]
) -> list[IdentityKey]:
    access = json_object(resource.get("accessKeyDetails"))
    keys = []
    key_id = text(access.get("accessKeyId"))
    if key_id:
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))
    user_type = text(access.get("userType"))
    put(details, "user_type", user_type)
    name = text(access.get("userName"))
    principal_id = text(access.get("principalId"))
    return keys + principal_keys(user_type, name, principal_id, account, partition)


def _instance_keys(
    resource: dict[str, Any], details: dict[str, str]
) -> list[IdentityKey]:
    instance = json_object(resource.get("instanceDetails"))
    profile = json_object(instance.get("iamInstanceProfile"))
    put(details, "instance_profile", profile.get("arn"))
    instance_id = text(instance.get("instanceId"))
    return [IdentityKey(KeyKind.INSTANCE_ID, instance_id)] if instance_id else []


def _kubernetes_keys(
    resource: dict[str, Any], partition: str, details: dict[str, str]
) -> list[IdentityKey]:
    kubernetes = json_object(resource.get("kubernetesDetails"))
    user = json_object(kubernetes.get("kubernetesUserDetails"))
    workload = json_object(kubernetes.get("kubernetesWorkloadDetails"))
    return kubernetes_keys(text(user.get("username")), workload, details, partition)


def _describe(
    finding: dict[str, Any],
    resource: dict[str, Any],
    service: dict[str, Any],
    details: dict[str, str],
) -> None:
    """Add the short facts a responder reads first."""
    action = json_object(service.get("action"))
    put(details, "finding_type", finding.get("type"))
    put(details, "account", finding.get("accountId"))
    put(details, "region", finding.get("region"))
    put(details, "resource_type", resource.get("resourceType"))
    put(details, "action", action.get("actionType"))
    api_call = json_object(action.get("awsApiCallAction"))
    put(details, "api", api_call.get("api"))
    put(details, "api_service", api_call.get("serviceName"))
    k8s_call = json_object(action.get("kubernetesApiCallAction"))
    if k8s_call.get("verb"):
        put(details, "k8s_request", f"{k8s_call['verb']} {k8s_call.get('requestUri')}")
    put(details, "domain", json_object(action.get("dnsRequestAction")).get("domain"))
    put(details, "remote_ip", _remote_ip(action))
    put(details, "cluster", json_object(resource.get("eksClusterDetails")).get("name"))
    put(details, "image", json_object(resource.get("containerDetails")).get("image"))
    put(details, "count", service.get("count"))


def _remote_ip(action: dict[str, Any]) -> str:
    """Return the caller's address from whichever action kind carries one."""
    for value in action.values():
        remote = json_object(json_object(value).get("remoteIpDetails"))
        address = remote.get("ipAddressV4") or remote.get("ipAddressV6")
        if address:
            return str(address)
    return ""


def _detected_at(
    finding: dict[str, Any],
    service: dict[str, Any],
    label: str,
    received_at: datetime,
) -> tuple[datetime, str | None]:
    """Return when the activity was last seen, and the field it came from.

    `eventLastSeen` is when the activity happened; `updatedAt` and `createdAt` are
    when GuardDuty wrote the finding, close behind. Without any of them the time
    the body arrived stands in.
    """
    candidates = (
        ("service.eventLastSeen", service.get("eventLastSeen")),
        ("updatedAt", finding.get("updatedAt")),
        ("createdAt", finding.get("createdAt")),
    )
    for field, value in candidates:
        if value in (None, ""):
            continue
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise AlertRejected(
                f"{label}: {field} {value!r} is not an ISO 8601 time"
            ) from exc
        if moment.tzinfo is None:
            # GuardDuty writes UTC; a naive time is UTC that lost its suffix.
            moment = moment.replace(tzinfo=UTC)
        return moment, field
    return received_at, None


def _severity(value: Any, label: str) -> str:
    """Map GuardDuty's 1.0-10.0 score onto low, medium, high and critical.

    The bands are AWS's: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical
    9.0-10.0. A value below 1 is reserved by AWS and counts as low.
    """
    if isinstance(value, str) and value.lower() in _BANDS:
        return value.lower()
    try:
        score = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        score = math.nan
    if not math.isfinite(score):
        raise AlertRejected(f"{label}: severity {value!r} is not a number")
    if score < 4:
        return "low"
    if score < 7:
        return "medium"
    if score < 9:
        return "high"
    return "critical"
