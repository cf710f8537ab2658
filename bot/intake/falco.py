"""Read Falco events (`json_output`, or falcosidekick's webhook) and their keys.

falcosidekick posts the same object Falco writes, plus `uuid`, `hostname`, `tags`
and `source`; Falco's own output may come as one object or one object a line.

Keys taken from `output_fields` (null fields are ignored):

* `k8s.ns.name` + `k8s.pod.name`: the pod and its namespace. When Kubernetes
  metadata is missing but the container carries the kubelet's Docker name
  (`k8s_CONTAINER_POD_NAMESPACE_UID_ATTEMPT`), pod and namespace come from that.
* `ka.user.name` of the form `system:serviceaccount:NS:NAME` (k8s_audit rules):
  the service account that made the call.
* `ka.target.namespace`, and `ka.target.name` when the target is a pod (an exec
  or attach lands in that pod).

A field whose value is its own name (`"user.name": "user.name"`) is a format
placeholder that was never filled in; it is ignored and listed in the details.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.errors import AlertRejected
from bot.intake.fields import labelled_items, short, text
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert

SOURCE = "falco"
_PRIORITY = {
    "emergency": "critical",
    "alert": "critical",
    "critical": "critical",
    "error": "high",
    "warning": "medium",
    "notice": "low",
    "informational": "low",
    "info": "low",
    "debug": "low",
}
_SERVICE_ACCOUNT = re.compile(r"^system:serviceaccount:([^:/]+):([^:/]+)$")
# Kubernetes names cannot hold "_", so the kubelet's Docker container name splits
# unambiguously into container, pod, namespace, pod uid and restart count.
_DOCKER_NAME = re.compile(r"^k8s_([^_]+)_([^_]+)_([^_]+)_([^_]+)_\d+$")
# Falco starts `output` with the event time ("19:27:21.002873265: " or an ISO
# time); `time` carries it already, so the summary drops it.
_TIME_PREFIX = re.compile(r"^(\d{2}:\d{2}:\d{2}\.\d+|\d{4}-\d{2}-\d{2}T\S+): ")
_MISSING = (None, "", "<NA>")


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded Falco documents into one alert per event."""
    return [
        _alert(event, label, received_at)
        for where, document in documents
        for label, event in labelled_items(where, document)
    ]


def _alert(event: Any, label: str, received_at: datetime) -> ParsedAlert:
    if not isinstance(event, dict):
        raise AlertRejected(f"{label} is not a JSON object; expected a Falco event")
    missing = [f for f in ("rule", "priority", "output") if event.get(f) in _MISSING]
    if missing:
        raise AlertRejected(f"{label}: Falco event is missing {', '.join(missing)}")
    raw_fields = event.get("output_fields") or {}
    if not isinstance(raw_fields, dict):
        raise AlertRejected(f"{label}: output_fields must be a JSON object")

    fields, placeholders = _filled(raw_fields)
    details = _describe(event, fields)
    if placeholders:
        details["ignored_placeholders"] = short(", ".join(placeholders))
    detected_at = _detected_at(event, fields, label)
    if detected_at is None:
        detected_at = received_at
        details["time"] = "received"
    uuid = event.get("uuid")

    return ParsedAlert(
        source=SOURCE,
        title=str(event["rule"]),
        severity=_severity(event["priority"], label),
        detected_at=detected_at,
        summary=_TIME_PREFIX.sub("", str(event["output"]), count=1),
        keys=tuple(dict.fromkeys(_keys(fields))),
        external_id=uuid if isinstance(uuid, str) and uuid else None,
        details=details,
    )


def _filled(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Split output fields into filled-in values and unexpanded placeholders."""
    fields: dict[str, Any] = {}
    placeholders = []
    for name, value in raw.items():
        if value in _MISSING:
            continue
        if value == name:
            placeholders.append(name)
            continue
        fields[name] = value
    return fields, placeholders


def _keys(fields: dict[str, Any]) -> list[IdentityKey]:
    keys = []
    user = _SERVICE_ACCOUNT.match(text(fields.get("ka.user.name")))
    if user:
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, f"{user[1]}/{user[2]}"))

    namespace = text(fields.get("k8s.ns.name"))
    pod = text(fields.get("k8s.pod.name"))
    docker = _DOCKER_NAME.match(text(fields.get("container.name")))
    if docker and not pod:
        pod, namespace = docker[2], namespace or docker[3]
    if namespace and pod:
        keys.append(IdentityKey(KeyKind.K8S_POD, f"{namespace}/{pod}"))

    target_namespace = text(fields.get("ka.target.namespace"))
    target = text(fields.get("ka.target.name"))
    if target_namespace and target and fields.get("ka.target.resource") == "pods":
        keys.append(IdentityKey(KeyKind.K8S_POD, f"{target_namespace}/{target}"))

    for value in (namespace, target_namespace):
        if value:
            keys.append(IdentityKey(KeyKind.K8S_NAMESPACE, value))
    return keys


def _describe(event: dict[str, Any], fields: dict[str, Any]) -> dict[str, str]:
    """Collect the short facts a responder reads first.

    `proc.cmdline` is left out on purpose: command lines carry passwords and
    tokens often enough (`curl -H "Authorization: …"`) to keep them off Slack.
    """
    details: dict[str, str] = {}
    image = text(fields.get("container.image.repository"))
    tag = text(fields.get("container.image.tag"))
    ka_user = text(fields.get("ka.user.name"))
    target = "/".join(
        part
        for part in (text(fields.get(f"ka.target.{p}")) for p in ("resource", "name"))
        if part
    )
    facts = {
        "rule": event.get("rule"),
        "priority": event.get("priority"),
        "falco_source": event.get("source"),
        "hostname": event.get("hostname"),
        "image": f"{image}:{tag}" if image and tag else image,
        "container": fields.get("container.name") or fields.get("container.id"),
        "user": fields.get("user.name"),
        "process": fields.get("proc.name"),
        "connection": fields.get("fd.name"),
        "k8s_user": "" if _SERVICE_ACCOUNT.match(ka_user) else ka_user,
        "k8s_verb": fields.get("ka.verb"),
        "k8s_target": target,
    }
    tags = event.get("tags")
    if isinstance(tags, list):
        facts["tags"] = ", ".join(str(tag) for tag in tags)
    for name, value in facts.items():
        if value not in _MISSING and not isinstance(value, dict | list):
            details[name] = short(str(value))
    return details


def _detected_at(
    event: dict[str, Any], fields: dict[str, Any], label: str
) -> datetime | None:
    """Return the event time from `time`, else from `evt.time` in nanoseconds."""
    value = event.get("time")
    if isinstance(value, str) and value:
        return _parse_time(value, label)
    nanoseconds = fields.get("evt.time")
    if isinstance(nanoseconds, int) and not isinstance(nanoseconds, bool):
        # Integer division: a float loses the last digits and rounds up.
        seconds, rest = divmod(nanoseconds, 1_000_000_000)
        moment = datetime.fromtimestamp(seconds, tz=UTC)
        return moment + timedelta(microseconds=rest // 1000)
    return None


def _parse_time(value: str, label: str) -> datetime:
    """Parse an RFC 3339 time; Falco writes nanoseconds, Python keeps microseconds."""
    stamp = value.strip().replace("z", "Z")
    # Cut the fraction to six digits so that older parsers and odd lengths agree.
    stamp = re.sub(r"(\.\d{6})\d+", r"\1", stamp)
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise AlertRejected(f"{label}: time {value!r} is not an RFC 3339 time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _severity(priority: Any, label: str) -> str:
    severity = _PRIORITY.get(str(priority).strip().lower())
    if severity is None:
        raise AlertRejected(
            f"{label}: priority {priority!r} is not a Falco priority (Emergency, "
            "Alert, Critical, Error, Warning, Notice, Informational or Debug)"
        )
    return severity
