"""Turn Kubernetes audit events (plain, GKE and AKS envelopes) into activity records."""

from __future__ import annotations

import json
from typing import Any

from bot.evidence.classify import k8s_read
from bot.evidence.records import ActivityRecord, LogKind, parse_time
from bot.intake.arn import iam_principal
from bot.intake.model import IdentityKey, KeyKind

_SA_PREFIX = "system:serviceaccount:"
_POD_NAME = "authentication.kubernetes.io/pod-name"
# gRPC status codes GKE audit logs use, as the HTTP status they stand for.
_GRPC_TO_HTTP = {0: 200, 3: 400, 5: 404, 6: 409, 7: 403, 16: 401}


def is_audit_event(event: dict[str, Any]) -> bool:
    """Return whether `event` is an audit.k8s.io event."""
    if str(event.get("apiVersion", "")).startswith("audit.k8s.io/"):
        return True
    # Falco's test traces drop apiVersion; kind, auditID and verb still say it.
    return event.get("kind") == "Event" and "auditID" in event and "verb" in event


def unwrap(event: dict[str, Any]) -> dict[str, Any] | None:
    """Return the audit.k8s.io event in `event`, unwrapping the AKS envelope."""
    if is_audit_event(event):
        return event
    props = event.get("properties")
    log = props.get("log") if isinstance(props, dict) else None
    if isinstance(log, str):
        try:
            log = json.loads(log)
        except ValueError:
            return None
    if isinstance(log, dict) and is_audit_event(log):
        return log
    return None


def is_gke(event: dict[str, Any]) -> bool:
    """Return whether `event` is a GKE Cloud Audit Log entry for the k8s API."""
    payload = event.get("protoPayload")
    return isinstance(payload, dict) and payload.get("serviceName") == "k8s.io"


def to_record(event: dict[str, Any]) -> ActivityRecord:
    """Return the activity record of one audit.k8s.io event."""
    user = _dict(event.get("user"))
    ref = _dict(event.get("objectRef"))
    status = _dict(event.get("responseStatus"))
    caller, keys = caller_of(str(user.get("username") or ""), _dict(user.get("extra")))

    verb = str(event.get("verb") or "unknown")
    resource = str(ref.get("resource") or "")
    subresource = ref.get("subresource")
    if resource:
        group = ref.get("apiGroup") or "core"
        service = f"{group}/{resource}"
        if subresource:
            service = f"{service}/{subresource}"
    else:
        service = "nonResourceURL"
    name = ref.get("name")
    namespace = ref.get("namespace")
    target = "/".join(str(p) for p in (namespace, name) if p) or None
    if not target and not resource:
        target = str(event.get("requestURI") or "") or None

    code = status.get("code")
    error = str(code) if isinstance(code, int) and code >= 400 else None
    reads = None
    if error is None and resource:
        reads = k8s_read(verb, resource, subresource)
    read_names = ((target or f"{namespace or '*'}/*"),) if reads else ()

    ips = event.get("sourceIPs")
    return ActivityRecord(
        log=LogKind.K8S_AUDIT,
        time=parse_time(
            event.get("requestReceivedTimestamp")
            or event.get("stageTimestamp")
            or event.get("timestamp")
        ),
        caller=caller,
        keys=keys,
        service=service,
        operation=verb,
        resource=target,
        source_ip=str(ips[0]) if isinstance(ips, list) and ips else None,
        error_code=error,
        denied=code in (401, 403),
        reads=reads,
        read_names=read_names,
    )


def gke_to_record(entry: dict[str, Any]) -> ActivityRecord:
    """Return the activity record of one GKE `protoPayload` audit entry."""
    payload = entry["protoPayload"]
    auth = _dict(payload.get("authenticationInfo"))
    meta = _dict(payload.get("requestMetadata"))
    caller, keys = caller_of(str(auth.get("principalEmail") or ""), {})
    # methodName is io.k8s.<group>.<version>.<resource>.<verb>, or io.k8s.<verb>.
    method = str(payload.get("methodName") or "")
    parts = method.split(".")
    verb = parts[-1] if parts else "unknown"
    resource_name = str(payload.get("resourceName") or "")
    if len(parts) >= 6:
        service = f"{parts[2]}/{parts[4]}"
    else:
        service = "nonResourceURL"
    code = _dict(payload.get("status")).get("code", 0)
    http = _GRPC_TO_HTTP.get(code, 500) if isinstance(code, int) else 500
    return ActivityRecord(
        log=LogKind.K8S_AUDIT,
        time=parse_time(entry.get("timestamp")),
        caller=caller,
        keys=keys,
        service=service,
        operation=verb,
        resource=resource_name or None,
        source_ip=str(meta.get("callerIp") or "") or None,
        error_code=str(http) if http >= 400 else None,
        denied=http in (401, 403),
    )


def caller_of(
    username: str, extra: dict[str, Any]
) -> tuple[str, tuple[IdentityKey, ...]]:
    """Return a caller label and identity keys for a Kubernetes user."""
    keys: list[IdentityKey] = []
    caller = username or "unknown user"
    parts = username.split(":")
    namespace = None
    if username.startswith(_SA_PREFIX) and len(parts) == 4:
        namespace = parts[2]
        caller = f"{parts[2]}/{parts[3]}"
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, caller))
    for pod in _list(extra.get(_POD_NAME)):
        if namespace:
            keys.append(IdentityKey(KeyKind.K8S_POD, f"{namespace}/{pod}"))
    # aws-iam-authenticator (EKS) records the IAM identity behind the user.
    for key_id in _list(extra.get("accessKeyId")):
        keys.append(IdentityKey(KeyKind.ACCESS_KEY_ID, key_id))
    for arn in _list(extra.get("arn")):
        principal = iam_principal(arn)
        if principal is not None:
            kind = (
                KeyKind.IAM_USER_ARN
                if principal.kind == "user"
                else (
                    KeyKind.ROLE_SESSION
                    if ":assumed-role/" in arn
                    else KeyKind.IAM_ROLE_ARN
                )
            )
            keys.append(IdentityKey(kind, arn))
    return caller, tuple(keys)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []
