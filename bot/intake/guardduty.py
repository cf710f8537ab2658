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
import re
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake.arn import iam_principal, role_arn, session_arn, user_arn
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert

SOURCE = "guardduty"
_SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:([^:/]+):([^:/]+)$")
_ROLE_USER_TYPES = ("AssumedRole", "Role")
_SAMPLE_MARK = "GeneratedFinding"
_DETAIL_LIMIT = 200
_BANDS = ("low", "medium", "high", "critical")


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded GuardDuty documents into one alert per finding."""
    alerts = []
    for where, document in documents:
        for label, finding, account in _findings(document, where or "body"):
            alerts.append(_alert(finding, label, account, received_at))
    return alerts


def _findings(document: Any, label: str) -> list[tuple[str, dict[str, Any], Any]]:
    """Unwrap a list and envelopes into (label, finding, envelope account)."""
    if isinstance(document, list):
        # One level only: a list inside a list is refused by _unwrap.
        return [
            found
            for number, item in enumerate(document, start=1)
            for found in _unwrap(item, f"{label}, item {number}")
        ]
    return _unwrap(document, label)


def _unwrap(document: Any, label: str) -> list[tuple[str, dict[str, Any], Any]]:
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
    account = _text(finding.get("accountId")) or _text(envelope_account)
    partition = _text(finding.get("partition")) or "aws"
    resource = _object(finding.get("resource"))
    service = _object(finding.get("service"))
    details: dict[str, str] = {}
    keys = [
        *_access_key_keys(resource, account, partition, details),
        *_instance_keys(resource, details),
        *_kubernetes_keys(resource, partition, details),
    ]
    _describe(finding, resource, service, details)
    if _object(service.get("additionalInfo")).get("sample") is True:
        details["sample"] = "true"
    placeholders = [k.kind.value for k in keys if k.value.startswith(_SAMPLE_MARK)]
    if placeholders:
        # Only GuardDuty sets the sample flag; a placeholder-looking name alone
        # could be an attacker's choice, so it is reported, not trusted.
        details["placeholder_keys"] = ", ".join(dict.fromkeys(placeholders))

    detected_at, time_field = _detected_at(finding, service, label, received_at)
    if time_field is None:
        details["time"] = "received"
    return ParsedAlert(
        source=SOURCE,
        title=_text(finding.get("title")) or str(finding["type"]),
        severity=_severity(finding["severity"], label),
        detected_at=detected_at,
        summary=_text(finding.get("description")) or str(finding["type"]),
        keys=tuple(dict.fromkeys(keys)),
        external_id=str(finding["id"]),
        details=details,
    )


def _access_key_keys(
    resource: dict[str, Any], account: str, partition: str, details: dict[str, str]
) -> list[IdentityKey]:
    access = _object(resource.get("accessKeyDetails"))
    keys = []
    key_id = _text(access.get("accessKeyId"))
    if key_id:
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))
    user_type = _text(access.get("userType"))
    name = _text(access.get("userName"))
    _put(details, "user_type", user_type)
    if not name:
        return keys

    if user_type == "IAMUser":
        keys.append(IdentityKey(KeyKind.IAM_USER_NAME, name))
        if account:
            arn = user_arn(partition, account, name)
            keys.append(IdentityKey(KeyKind.IAM_USER_ARN, arn))
    elif user_type in _ROLE_USER_TYPES and account:
        keys.append(
            IdentityKey(KeyKind.IAM_ROLE_ARN, role_arn(partition, account, name))
        )
        # A role session's principal id is "AROA…:SESSION".
        _, _, session = _text(access.get("principalId")).partition(":")
        if session:
            arn = session_arn(partition, account, name, session)
            keys.append(IdentityKey(KeyKind.ROLE_SESSION, arn))
    return keys


def _instance_keys(
    resource: dict[str, Any], details: dict[str, str]
) -> list[IdentityKey]:
    instance = _object(resource.get("instanceDetails"))
    profile = _object(instance.get("iamInstanceProfile"))
    _put(details, "instance_profile", profile.get("arn"))
    instance_id = _text(instance.get("instanceId"))
    return [IdentityKey(KeyKind.INSTANCE_ID, instance_id)] if instance_id else []


def _kubernetes_keys(
    resource: dict[str, Any], partition: str, details: dict[str, str]
) -> list[IdentityKey]:
    kubernetes = _object(resource.get("kubernetesDetails"))
    keys = []

    username = _text(_object(kubernetes.get("kubernetesUserDetails")).get("username"))
    account = _SERVICE_ACCOUNT.match(username)
    principal = iam_principal(username) if username.startswith("arn:") else None
    if account:
        value = f"{account[1]}/{account[2]}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, value))
    elif principal is not None and principal.kind == "role":
        # EKS names IAM-mapped callers by their role or session ARN.
        arn = role_arn(partition, principal.account, principal.name)
        keys.append(IdentityKey(KeyKind.IAM_ROLE_ARN, arn))
    else:
        _put(details, "k8s_user", username)

    workload = _object(kubernetes.get("kubernetesWorkloadDetails"))
    namespace = _text(workload.get("namespace"))
    name = _text(workload.get("name"))
    kind = _text(workload.get("type"))
    service_account = _text(workload.get("serviceAccountName"))
    if namespace and service_account:
        value = f"{namespace}/{service_account}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, value))
    if namespace and name and kind.lower() in ("pod", "pods"):
        keys.append(IdentityKey(KeyKind.K8S_POD, f"{namespace}/{name}"))
    if namespace:
        keys.append(IdentityKey(KeyKind.K8S_NAMESPACE, namespace))
    if name:
        _put(details, "k8s_workload", f"{kind or 'workload'}/{name}")
    return keys


def _describe(
    finding: dict[str, Any],
    resource: dict[str, Any],
    service: dict[str, Any],
    details: dict[str, str],
) -> None:
    """Add the short facts a responder reads first."""
    action = _object(service.get("action"))
    _put(details, "finding_type", finding.get("type"))
    _put(details, "account", finding.get("accountId"))
    _put(details, "region", finding.get("region"))
    _put(details, "resource_type", resource.get("resourceType"))
    _put(details, "action", action.get("actionType"))
    api_call = _object(action.get("awsApiCallAction"))
    _put(details, "api", api_call.get("api"))
    _put(details, "api_service", api_call.get("serviceName"))
    k8s_call = _object(action.get("kubernetesApiCallAction"))
    if k8s_call.get("verb"):
        _put(details, "k8s_request", f"{k8s_call['verb']} {k8s_call.get('requestUri')}")
    _put(details, "domain", _object(action.get("dnsRequestAction")).get("domain"))
    _put(details, "remote_ip", _remote_ip(action))
    _put(details, "cluster", _object(resource.get("eksClusterDetails")).get("name"))
    _put(details, "image", _object(resource.get("containerDetails")).get("image"))
    _put(details, "count", service.get("count"))


def _remote_ip(action: dict[str, Any]) -> str:
    """Return the caller's address from whichever action kind carries one."""
    for value in action.values():
        remote = _object(_object(value).get("remoteIpDetails"))
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


def _object(value: Any) -> dict[str, Any]:
    """Return `value` if it is a JSON object; GuardDuty writes null for absent parts."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _put(details: dict[str, str], name: str, value: Any) -> None:
    if value is None or value == "" or isinstance(value, dict | list):
        return
    text = str(value)
    if len(text) > _DETAIL_LIMIT:
        text = text[: _DETAIL_LIMIT - 1] + "…"
    details.setdefault(name, text)
