"""Read AWS Security Hub findings (ASFF) and the identity keys they carry.

Accepted shapes: a bare ASFF finding, a list of findings, `{"Findings": [...]}` (the
GetFindings response, the BatchImportFindings request), and the EventBridge events
"Security Hub Findings - Imported" and "Security Hub Findings - Custom Action",
whose `detail.findings` holds the findings. Newline-delimited findings work too.

Keys come from a finding's `Resources` and its flattened Kubernetes fields (see
`bot.intake.securityhub_resources`). `Action`, `Network` and GuardDuty's
`aws/guardduty/service/...` product fields name addresses, APIs and ports but no
caller, so they fill the details only. Compliance findings (CIS, PCI, foundational
best practices) name an account or a configured resource rather than a caller: they
parse with no keys and match no workload.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake.aws_findings import Found, findings_in, mark_sample
from bot.intake.fields import json_object, put, text
from bot.intake.model import ParsedAlert
from bot.intake.securityhub_resources import flat_kubernetes_keys, resource_keys

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
_GUARDDUTY = "aws/guardduty/service/"


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded Security Hub documents into one alert per finding."""
    return [
        _alert(finding, label, account, received_at)
        for label, finding, account in findings_in(documents, _unwrap)
    ]


def _unwrap(document: Any, label: str) -> list[Found]:
    """Unwrap an EventBridge event or a findings list into (label, finding, account)."""
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
    missing = [f for f in ("Id", "ProductArn", "Title") if not text(finding.get(f))]
    if missing:
        raise AlertRejected(f"{label}: ASFF finding is missing {', '.join(missing)}")
    resources = finding.get("Resources") or []
    if not isinstance(resources, list):
        raise AlertRejected(f"{label}: Resources must be a list")

    # The finding's own account owns the resource; the envelope's may be the
    # administrator account that aggregates findings.
    account = text(finding.get("AwsAccountId")) or text(envelope_account)
    product_fields = json_object(finding.get("ProductFields"))
    details: dict[str, str] = {}
    keys = []
    for resource in resources:
        keys += resource_keys(json_object(resource), account, details)
    keys += flat_kubernetes_keys(product_fields, details)
    _describe(finding, resources, product_fields, details)
    severity = _severity(finding, label, details)
    mark_sample(keys, finding.get("Sample") is True, details)

    detected_at = _detected_at(finding, label)
    if detected_at is None:
        detected_at = received_at
        details["time"] = "received"
    return ParsedAlert(
        source=SOURCE,
        title=text(finding["Title"]),
        severity=severity,
        detected_at=detected_at,
        summary=text(finding.get("Description")) or text(finding["Title"]),
        keys=tuple(dict.fromkeys(keys)),
        external_id=text(finding["Id"]),
        details=details,
    )


def _describe(
    finding: dict[str, Any],
    resources: list[Any],
    product_fields: dict[str, Any],
    details: dict[str, str],
) -> None:
    """Add the short facts a responder reads first."""
    types = finding.get("Types")
    kinds = [text(json_object(r).get("Type")) for r in resources]
    put(details, "product", finding.get("ProductName"))
    put(details, "product", product_fields.get("aws/securityhub/ProductName"))
    put(
        details, "finding_type", types[0] if isinstance(types, list) and types else None
    )
    put(details, "account", finding.get("AwsAccountId"))
    put(details, "region", finding.get("Region"))
    put(details, "resource_type", ", ".join(dict.fromkeys(k for k in kinds if k)))
    put(details, "compliance", json_object(finding.get("Compliance")).get("Status"))
    workflow = json_object(finding.get("Workflow")).get("Status")
    put(details, "workflow", workflow or finding.get("WorkflowState"))
    put(details, "record_state", finding.get("RecordState"))

    action = json_object(finding.get("Action"))
    api_call = json_object(action.get("AwsApiCallAction"))
    put(details, "action", action.get("ActionType"))
    put(details, "api", api_call.get("Api"))
    put(details, "api_service", api_call.get("ServiceName"))
    remote = json_object(api_call.get("RemoteIpDetails"))
    put(details, "remote_ip", remote.get("IpAddressV4"))
    put(details, "remote_ip", json_object(finding.get("Network")).get("SourceIpV4"))

    gd = {k.removeprefix(_GUARDDUTY): v for k, v in product_fields.items()}
    put(details, "action", gd.get("action/actionType"))
    put(details, "api", gd.get("action/awsApiCallAction/api"))
    put(details, "api_service", gd.get("action/awsApiCallAction/serviceName"))
    for name, value in gd.items():
        if name.endswith("remoteIpDetails/ipAddressV4"):
            put(details, "remote_ip", value)
    put(details, "count", gd.get("count"))


def _severity(finding: dict[str, Any], label: str, details: dict[str, str]) -> str:
    """Map ASFF's Severity.Label (or, without one, Severity.Normalized) to a band.

    AWS's bands for Normalized: 0 informational, 1-39 low, 40-69 medium, 70-89
    high, 90-100 critical. Informational counts as low.
    """
    severity = json_object(finding.get("Severity"))
    name = text(severity.get("Label")).upper()
    if name:
        band = _LABELS.get(name)
        if band is None:
            raise AlertRejected(
                f"{label}: Severity.Label {name!r} is not INFORMATIONAL, LOW, "
                "MEDIUM, HIGH or CRITICAL"
            )
        details["severity_label"] = name
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
        stamp = re.sub(r"(\.\d{6})\d+", r"\1", str(value).strip().replace("z", "Z"))
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError as exc:
            raise AlertRejected(
                f"{label}: {field} {value!r} is not an RFC 3339 time"
            ) from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None
