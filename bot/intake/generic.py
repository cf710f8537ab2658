"""Read the generic alert shape, for detectors containbot has no parser of its own for.

The shape is published as a JSON Schema in `bot/schemas/generic-alert.schema.json`;
this module checks the same rules by hand, so the service needs no schema library,
and names the field in every refusal (`identity.spiffe_id must start with
spiffe://`). A body is one alert object, a list of them, or one object a line.

Each `identity` field gives the key of the same name. A pod given as `NS/POD` also
gives its namespace; a bare pod name needs `identity.k8s_namespace` beside it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import AlertRejected
from bot.intake.fields import labelled_items
from bot.intake.model import KEY_PRECEDENCE, IdentityKey, KeyKind, ParsedAlert

SOURCE = "generic"
SCHEMA_PATH = Path(__file__).parents[1] / "schemas" / "generic-alert.schema.json"
SEVERITIES = ("low", "medium", "high", "critical")
FIELDS = ("title", "severity", "detected_at", "summary", "id", "identity", "details")
REQUIRED = ("title", "severity", "detected_at", "identity")
LIMITS = {"title": 300, "summary": 4000, "id": 200}
DETAILS_MAX = 50
DETAIL_VALUE_MAX = 1000

# The same patterns sit in the schema file; a test holds the two together. They
# avoid \d and \w, which match non-ASCII digits in Python but not in JSON Schema.
RFC3339 = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAME = r"[a-z0-9]([-.a-z0-9]*[a-z0-9])?"
IDENTITY: dict[str, tuple[str, str]] = {
    "access_key_id": (
        r"^[A-Z0-9]{16,128}$",
        "must be an AWS access key id: 16 to 128 capital letters and digits",
    ),
    "iam_user_arn": (
        r"^arn:aws[a-z-]*:iam::[0-9]{12}:user/[A-Za-z0-9_+=,.@/-]+$",
        "must be an IAM user ARN, arn:aws:iam::ACCOUNT:user/NAME",
    ),
    "iam_role_arn": (
        r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$",
        "must be an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME",
    ),
    "k8s_service_account": (
        f"^{_LABEL}/{_NAME}$",
        "must be NAMESPACE/NAME in lower case",
    ),
    "k8s_namespace": (
        f"^{_LABEL}$",
        "must be a namespace name: lower-case letters, digits and '-'",
    ),
    "k8s_pod": (
        f"^({_LABEL}/)?{_NAME}$",
        "must be NAMESPACE/POD, or a pod name beside identity.k8s_namespace",
    ),
    "spiffe_id": (
        r"^spiffe://[a-z0-9._-]+(/[^/?#]+)*$",
        "must be spiffe://TRUST-DOMAIN/PATH with a lower-case trust domain",
    ),
    "instance_id": (
        r"^i-([0-9a-f]{8}|[0-9a-f]{17})$",
        "must be an EC2 instance id: i- and 8 or 17 lower-case hex digits",
    ),
}
_MAX_LENGTH = {"k8s_namespace": 63}


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded generic documents into one alert per object."""
    alerts = []
    for where, document in documents:
        for label, alert in labelled_items(where, document):
            problems = problems_in(alert)
            if problems:
                raise AlertRejected(f"{label}: {'; '.join(problems)}")
            alerts.append(_alert(alert, label))
    return alerts


def problems_in(alert: Any) -> list[str]:
    """List every way `alert` breaks the generic shape; empty when it is valid."""
    if not isinstance(alert, dict):
        return ["an alert must be a JSON object"]
    problems = [f"{name} is required" for name in REQUIRED if name not in alert]
    problems += [
        f"{name} is not a field of the generic shape; use {', '.join(FIELDS)}"
        for name in alert
        if name not in FIELDS
    ]
    for name, limit in LIMITS.items():
        if name in alert:
            problems += _text_problems(name, alert[name], limit)
    severity = alert.get("severity")
    if "severity" in alert and severity not in SEVERITIES:
        problems.append(f"severity must be one of {', '.join(SEVERITIES)}")
    problems += _time_problems(alert)
    if "identity" in alert:
        problems += _identity_problems(alert["identity"])
    if "details" in alert:
        problems += _details_problems(alert["details"])
    return problems


def _text_problems(name: str, value: Any, limit: int) -> list[str]:
    if not isinstance(value, str):
        return [f"{name} must be a string"]
    if len(value) > limit:
        return [f"{name} must be at most {limit} characters"]
    # An empty summary is allowed; an empty title or id says nothing.
    if name != "summary" and not value.strip():
        return [f"{name} must not be blank"]
    return []


def _time_problems(alert: dict[str, Any]) -> list[str]:
    if "detected_at" not in alert:
        return []
    value = alert["detected_at"]
    if not isinstance(value, str) or not re.fullmatch(RFC3339, value):
        return [
            "detected_at must be an RFC 3339 time with an offset, like "
            "2026-12-03T14:05:00Z"
        ]
    if _parse_time(value) is None:
        return [f"detected_at {value!r} is not a real date and time"]
    return []


def _identity_problems(identity: Any) -> list[str]:
    if not isinstance(identity, dict):
        return ["identity must be an object"]
    problems = []
    for name, value in identity.items():
        if name not in IDENTITY:
            known = ", ".join(IDENTITY)
            problems.append(f"identity.{name} is not an identity field; use {known}")
        elif not isinstance(value, str):
            problems.append(f"identity.{name} must be a string")
        elif name == "spiffe_id" and not value.startswith("spiffe://"):
            problems.append("identity.spiffe_id must start with spiffe://")
        elif len(value) > _MAX_LENGTH.get(name, 2048):
            limit = _MAX_LENGTH.get(name, 2048)
            problems.append(f"identity.{name} must be at most {limit} characters")
        elif not re.fullmatch(IDENTITY[name][0], value):
            problems.append(f"identity.{name} {IDENTITY[name][1]}")
    pod = identity.get("k8s_pod")
    if isinstance(pod, str) and "/" not in pod and "k8s_namespace" not in identity:
        problems.append(
            "identity.k8s_pod without a namespace needs identity.k8s_namespace"
        )
    return problems


def _details_problems(details: Any) -> list[str]:
    if not isinstance(details, dict):
        return ["details must be an object of strings"]
    problems = []
    if len(details) > DETAILS_MAX:
        problems.append(f"details must hold at most {DETAILS_MAX} entries")
    for name, value in details.items():
        if not isinstance(value, str):
            problems.append(f"details.{name} must be a string")
        elif len(value) > DETAIL_VALUE_MAX:
            problems.append(
                f"details.{name} must be at most {DETAIL_VALUE_MAX} characters"
            )
    return problems


def _alert(alert: dict[str, Any], label: str) -> ParsedAlert:
    values: dict[str, str] = dict(alert["identity"])
    pod = values.get("k8s_pod", "")
    if pod and "/" not in pod:
        values["k8s_pod"] = f"{values['k8s_namespace']}/{pod}"
    keys = [IdentityKey(KeyKind(name), value) for name, value in values.items()]
    if "/" in pod:
        keys.append(IdentityKey(KeyKind.K8S_NAMESPACE, pod.partition("/")[0]))
    # Strongest kind first, as every other parser orders its keys.
    keys.sort(key=lambda key: KEY_PRECEDENCE.index(key.kind))

    detected_at = _parse_time(alert["detected_at"])
    if detected_at is None:
        # problems_in refuses such times first; this keeps the type honest.
        raise AlertRejected(f"{label}: detected_at is not a real date and time")
    title = alert["title"].strip()
    return ParsedAlert(
        source=SOURCE,
        title=title,
        severity=alert["severity"],
        detected_at=detected_at,
        summary=alert.get("summary", "").strip() or title,
        keys=tuple(dict.fromkeys(keys)),
        external_id=alert["id"].strip() if "id" in alert else None,
        details=dict(alert.get("details", {})),
    )


def _parse_time(value: str) -> datetime | None:
    """Parse a time that matched RFC3339; None when the date does not exist."""
    text = f"{value[:10]}T{value[11:]}".replace("z", "Z")
    # Python keeps six fraction digits; RFC 3339 allows any number.
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", text)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
