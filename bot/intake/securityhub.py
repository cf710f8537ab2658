"""Read AWS Security Hub findings (ASFF) and the identity keys they carry.

Accepted shapes: a bare ASFF finding, a list of findings, `{"Findings": [...]}` (the
GetFindings response, the BatchImportFindings request), and the EventBridge events
"Security Hub Findings - Imported" and "Security Hub Findings - Custom Action",
whose `detail.findings` holds the findings. Newline-delimited findings work too.

Keys taken from a finding's `Resources`:

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

`Action`, `Network` and GuardDuty's `aws/guardduty/service/...` product fields name
addresses, APIs and ports but no caller, so they fill the details only. Compliance
findings (CIS, PCI, foundational best practices) name an account or a configured
resource rather than a caller: they parse with no keys and match no workload.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake.arn import iam_principal, parse_arn, role_arn, session_arn, user_arn
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert

SOURCE = "securityhub"
EVENT_TYPES = (
    "Security Hub Findings - Imported",
    "Security Hub Findings - Custom Action",
)
_LABELS = {
    "INFORMATIONAL": "low",
    "LOW": "low",
    "MEDIUM": "medium",
    "HIGH": "high",
    "CRITICAL": "critical",
}
_KEY_ID_PREFIX = "AWS::IAM::AccessKey:"
_ROLE_TYPES = ("AssumedRole", "Role")
_SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:([^:/]+):([^:/]+)$")
_K8S = "kubernetesDetails/"
_GUARDDUTY = "aws/guardduty/service/"
_SAMPLE_MARK = "GeneratedFinding"
_DETAIL_LIMIT = 200

Found = tuple[str, dict[str, Any], Any]


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded Security Hub documents into one alert per finding."""
    alerts = []
    for where, document in documents:
        for label, finding, account in _findings(document, where or "body"):
            alerts.append(_alert(finding, label, account, received_at))
    return alerts


def _findings(document: Any, label: str) -> list[Found]:
    """Unwrap a list and envelopes into (label, finding, envelope account)."""
    if isinstance(document, list):
        # One level only: a list inside a list is refused by _unwrap.
        return [
            found
            for number, item in enumerate(document, start=1)
            for found in _unwrap(item, f"{label}, item {number}")
        ]
    return _unwrap(document, label)


def _unwrap(document: Any, label: str) -> list[Found]:
    if not isinstance(document, dict):
        raise AlertRejected(f"{label} is not a JSON object; expected an ASFF finding")

    account = None
    is_event = "detail-type" in document
    if is_event:
        detail = _event_detail(document, label)
        account, document = document.get("account"), detail
    for envelope in ("Findings", "findings"):
        if envelope in document:
            items = document[envelope]
            if not isinstance(items, list):
                raise AlertRejected(f"{label}: {envelope!r} must be a list")
            return [
                (f"{label}, finding {n}", _finding_object(item, label), account)
                for n, item in enumerate(items, start=1)
            ]
    if is_event:
        raise AlertRejected(f"{label}: the event's detail has no 'findings' list")
    return [(label, _finding_object(document, label), None)]


def _event_detail(event: dict[str, Any], label: str) -> dict[str, Any]:
    kind = event["detail-type"]
    if kind == "Findings Imported V2":
        # The V2 event carries OCSF findings, a different format altogether.
        raise AlertRejected(
            f"{label} is a 'Findings Imported V2' event, whose findings are OCSF, "
            "not ASFF; route 'Security Hub Findings - Imported' events instead"
        )
    if kind not in EVENT_TYPES:
        raise AlertRejected(
            f"{label} is an EventBridge event of detail-type {kind!r}, not "
            "'Security Hub Findings - Imported' or '… - Custom Action'"
        )
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise AlertRejected(f"{label} is an EventBridge event without a detail")
    return detail


def _finding_object(value: Any, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AlertRejected(f"{label}: a finding must be a JSON object")
    if "ProductArn" not in value and "resource" in value and "type" in value:
        raise AlertRejected(
            f"{label} is a GuardDuty finding, not an ASFF finding; "
            "post it to /alerts/guardduty"
        )
    return value


def _alert(
    finding: dict[str, Any], label: str, envelope_account: Any, received_at: datetime
) -> ParsedAlert:
    missing = [f for f in ("Id", "ProductArn", "Title") if not _text(finding.get(f))]
    if missing:
        raise AlertRejected(f"{label}: ASFF finding is missing {', '.join(missing)}")
    resources = finding.get("Resources") or []
    if not isinstance(resources, list):
        raise AlertRejected(f"{label}: Resources must be a list")

    # The finding's own account owns the resource; the envelope's may be the
    # administrator account that aggregates findings.
    account = _text(finding.get("AwsAccountId")) or _text(envelope_account)
    product_fields = _object(finding.get("ProductFields"))
    details: dict[str, str] = {}
    keys = []
    for resource in resources:
        keys += _resource_keys(_object(resource), account, details)
    keys += _kubernetes_keys(product_fields, details)
    _describe(finding, resources, product_fields, details)
    severity = _severity(finding, label, details)
    if finding.get("Sample") is True:
        details["sample"] = "true"
    placeholders = [k.kind.value for k in keys if k.value.startswith(_SAMPLE_MARK)]
    if placeholders:
        # Only the Sample flag is trusted; a placeholder-looking name alone could
        # be an attacker's choice, so it is reported, not acted on.
        details["placeholder_keys"] = ", ".join(dict.fromkeys(placeholders))

    detected_at = _detected_at(finding, label)
    if detected_at is None:
        detected_at = received_at
        details["time"] = "received"
    return ParsedAlert(
        source=SOURCE,
        title=_text(finding["Title"]),
        severity=severity,
        detected_at=detected_at,
        summary=_text(finding.get("Description")) or _text(finding["Title"]),
        keys=tuple(dict.fromkeys(keys)),
        external_id=_text(finding["Id"]),
        details=details,
    )


def _resource_keys(
    resource: dict[str, Any], account: str, details: dict[str, str]
) -> list[IdentityKey]:
    kind = _text(resource.get("Type"))
    resource_id = _text(resource.get("Id"))
    partition = _text(resource.get("Partition")) or "aws"
    own = _object(_object(resource.get("Details")).get(kind))
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
        _put(details, "cluster", _text(own.get("Name")) or cluster)
    other = _object(_object(resource.get("Details")).get("Other"))
    return keys + _kubernetes_keys(other, details)


def _access_key_keys(
    resource_id: str,
    key: dict[str, Any],
    account: str,
    partition: str,
    details: dict[str, str],
) -> list[IdentityKey]:
    keys = []
    key_id = _text(key.get("AccessKeyId"))
    if not key_id and resource_id.startswith(_KEY_ID_PREFIX):
        key_id = resource_id.removeprefix(_KEY_ID_PREFIX).strip()
    if key_id:
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))

    account = _text(key.get("AccountId")) or account
    # UserName is the deprecated spelling of PrincipalName; older findings use it.
    name = _text(key.get("PrincipalName")) or _text(key.get("UserName"))
    principal_type = _text(key.get("PrincipalType"))
    _put(details, "principal_type", principal_type)
    _put(details, "principal", name)
    if not name:
        return keys
    if principal_type == "IAMUser":
        keys.append(IdentityKey(KeyKind.IAM_USER_NAME, name))
        if account:
            arn = user_arn(partition, account, name)
            keys.append(IdentityKey(KeyKind.IAM_USER_ARN, arn))
    elif principal_type in _ROLE_TYPES and account:
        keys.append(
            IdentityKey(KeyKind.IAM_ROLE_ARN, role_arn(partition, account, name))
        )
        _, _, session = _text(key.get("PrincipalId")).partition(":")
        if session:
            arn = session_arn(partition, account, name, session)
            keys.append(IdentityKey(KeyKind.ROLE_SESSION, arn))
    return keys


def _user_keys(
    resource_id: str, user: dict[str, Any], account: str, partition: str
) -> list[IdentityKey]:
    principal = iam_principal(resource_id)
    if principal is not None and principal.kind == "user":
        return [
            IdentityKey(KeyKind.IAM_USER_NAME, principal.name),
            IdentityKey(KeyKind.IAM_USER_ARN, resource_id),
        ]
    name = _text(user.get("UserName"))
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
    name = _text(role.get("RoleName"))
    if name and account:
        return [IdentityKey(KeyKind.IAM_ROLE_ARN, role_arn(partition, account, name))]
    return []


def _arn_service(text: str) -> str:
    arn = parse_arn(text)
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


def _kubernetes_keys(
    flat: dict[str, Any], details: dict[str, str]
) -> list[IdentityKey]:
    """Read the Kubernetes caller and workload from GuardDuty's flattened fields."""
    # Any prefix before "kubernetesDetails/" is accepted: the same names appear in
    # Details.Other and, with an aws/guardduty/ prefix, in ProductFields.
    fields = {
        name.rpartition(_K8S)[2]: _text(value)
        for name, value in flat.items()
        if _K8S in name
    }
    keys = []
    username = fields.get("kubernetesUserDetails/username", "")
    account = _SERVICE_ACCOUNT.match(username)
    arn = parse_arn(username)
    principal = iam_principal(username)
    if account:
        value = f"{account[1]}/{account[2]}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, value))
    elif arn is not None and principal is not None and principal.kind == "role":
        # EKS names IAM-mapped callers by their role or session ARN.
        value = role_arn(arn.partition, principal.account, principal.name)
        keys.append(IdentityKey(KeyKind.IAM_ROLE_ARN, value))
    else:
        _put(details, "k8s_user", username)

    namespace = fields.get("kubernetesWorkloadDetails/namespace", "")
    name = fields.get("kubernetesWorkloadDetails/name", "")
    kind = fields.get("kubernetesWorkloadDetails/type", "")
    service_account = fields.get("kubernetesWorkloadDetails/serviceAccountName", "")
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
    resources: list[Any],
    product_fields: dict[str, Any],
    details: dict[str, str],
) -> None:
    """Add the short facts a responder reads first."""
    types = finding.get("Types")
    kinds = [_text(_object(r).get("Type")) for r in resources]
    _put(details, "product", finding.get("ProductName"))
    _put(details, "product", product_fields.get("aws/securityhub/ProductName"))
    _put(
        details, "finding_type", types[0] if isinstance(types, list) and types else None
    )
    _put(details, "account", finding.get("AwsAccountId"))
    _put(details, "region", finding.get("Region"))
    _put(details, "resource_type", ", ".join(dict.fromkeys(k for k in kinds if k)))
    _put(details, "compliance", _object(finding.get("Compliance")).get("Status"))
    workflow = _object(finding.get("Workflow")).get("Status")
    _put(details, "workflow", workflow or finding.get("WorkflowState"))
    _put(details, "record_state", finding.get("RecordState"))

    action = _object(finding.get("Action"))
    api_call = _object(action.get("AwsApiCallAction"))
    _put(details, "action", action.get("ActionType"))
    _put(details, "api", api_call.get("Api"))
    _put(details, "api_service", api_call.get("ServiceName"))
    remote = _object(api_call.get("RemoteIpDetails"))
    _put(details, "remote_ip", remote.get("IpAddressV4"))
    _put(details, "remote_ip", _object(finding.get("Network")).get("SourceIpV4"))

    gd = {k.removeprefix(_GUARDDUTY): v for k, v in product_fields.items()}
    _put(details, "action", gd.get("action/actionType"))
    _put(details, "api", gd.get("action/awsApiCallAction/api"))
    _put(details, "api_service", gd.get("action/awsApiCallAction/serviceName"))
    for name, value in gd.items():
        if name.endswith("remoteIpDetails/ipAddressV4"):
            _put(details, "remote_ip", value)
    _put(details, "count", gd.get("count"))


def _severity(finding: dict[str, Any], label: str, details: dict[str, str]) -> str:
    """Map ASFF's Severity.Label (or, without one, Severity.Normalized) to a band.

    AWS's bands for Normalized: 0 informational, 1-39 low, 40-69 medium, 70-89
    high, 90-100 critical. Informational counts as low.
    """
    severity = _object(finding.get("Severity"))
    text = _text(severity.get("Label")).upper()
    if text:
        band = _LABELS.get(text)
        if band is None:
            raise AlertRejected(
                f"{label}: Severity.Label {text!r} is not INFORMATIONAL, LOW, "
                "MEDIUM, HIGH or CRITICAL"
            )
        details["severity_label"] = text
        return band

    score = severity.get("Normalized")
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise AlertRejected(
            f"{label}: ASFF finding has neither Severity.Label nor a numeric "
            "Severity.Normalized"
        )
    if not 0 <= score <= 100:
        raise AlertRejected(
            f"{label}: Severity.Normalized {score!r} is outside 0 to 100"
        )
    details["severity_normalized"] = str(score)
    if score < 40:
        return "low"
    if score < 70:
        return "medium"
    if score < 90:
        return "high"
    return "critical"


def _detected_at(finding: dict[str, Any], label: str) -> datetime | None:
    """Return when the activity was last seen, falling back to when AWS wrote it."""
    for field in ("LastObservedAt", "UpdatedAt", "CreatedAt"):
        value = finding.get(field)
        if value in (None, ""):
            continue
        # ASFF allows nine fraction digits; Python keeps six.
        text = re.sub(r"(\.\d{6})\d+", r"\1", str(value).strip().replace("z", "Z"))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise AlertRejected(
                f"{label}: {field} {value!r} is not an RFC 3339 time"
            ) from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def _object(value: Any) -> dict[str, Any]:
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
