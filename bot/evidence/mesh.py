"""Turn Istio ztunnel and Envoy access log entries into activity records.

ztunnel (Istio ambient) names the caller by SPIFFE ID. Istio's default Envoy
JSON access log names no peer identity at all, so such an entry is attributed to
the caller's address only, and `caller` says so.
"""

from __future__ import annotations

import re
from typing import Any

from bot.evidence.records import ActivityRecord, LogKind, parse_time
from bot.intake.model import IdentityKey, KeyKind

_FIELD = re.compile(r'([a-z_][\w.]*)=("(?:[^"\\]|\\.)*"|\S+)')
_SPIFFE_SA = re.compile(r"^spiffe://[^/]+/ns/([^/]+)/sa/([^/]+)$")
# The SNI Istio sets for mTLS: outbound_.PORT_.SUBSET_.HOST
_ISTIO_SNI = re.compile(r"^outbound_\.(\d+)_\.[^_]*_\.(.+)$")
ZTUNNEL_MARK = "access: connection"


def is_ztunnel(line: str) -> bool:
    """Return whether a text line is a ztunnel access log entry."""
    return ZTUNNEL_MARK in line


def is_envoy(entry: dict[str, Any]) -> bool:
    """Return whether a JSON object is an Envoy access log entry."""
    return "upstream_cluster" in entry or "downstream_remote_address" in entry


def ztunnel_to_record(line: str) -> ActivityRecord:
    """Return the activity record of one ztunnel access log line."""
    fields = {k: v.strip('"') for k, v in _FIELD.findall(line)}
    identity = fields.get("src.identity")
    src_ip = _host(fields.get("src.addr"))
    keys: list[IdentityKey] = []
    if identity:
        keys.extend(spiffe_keys(identity))
    namespace, workload = fields.get("src.namespace"), fields.get("src.workload")
    if namespace and workload:
        keys.append(IdentityKey(KeyKind.K8S_POD, f"{namespace}/{workload}"))
    service = (
        fields.get("dst.service")
        or fields.get("dst.workload")
        or fields.get("dst.hbone_addr")
        or fields.get("dst.addr")
        or "unknown destination"
    )
    error = fields.get("error")
    return ActivityRecord(
        log=LogKind.MESH,
        time=parse_time(line.split(None, 1)[0] if line.strip() else None),
        caller=identity or _unattributed(src_ip),
        keys=tuple(keys),
        service=service,
        operation=f"connect {fields.get('direction', '')}".strip(),
        resource=fields.get("dst.workload"),
        source_ip=src_ip,
        error_code=error or None,
    )


def envoy_to_record(entry: dict[str, Any]) -> ActivityRecord:
    """Return the activity record of one Envoy JSON access log entry."""
    src_ip = _host(_text(entry.get("downstream_remote_address")))
    keys: list[IdentityKey] = []
    # Present only where the mesh was configured to log the peer certificate.
    peer = _text(entry.get("downstream_peer_uri_san"))
    if peer and peer.startswith("spiffe://"):
        keys.extend(spiffe_keys(peer))
    code = entry.get("response_code")
    code = code if isinstance(code, int) else 0
    method, path = _text(entry.get("method")), _text(entry.get("path"))
    operation = " ".join(p for p in (method, path) if p) or "request"
    return ActivityRecord(
        log=LogKind.MESH,
        time=parse_time(entry.get("start_time")),
        caller=peer or _unattributed(src_ip),
        keys=tuple(keys),
        service=_destination(entry),
        operation=operation,
        source_ip=src_ip,
        error_code=str(code) if code >= 400 or code == 0 else None,
        denied=code in (401, 403),
    )


def spiffe_keys(spiffe_id: str) -> list[IdentityKey]:
    """Return the SPIFFE key and, for Istio-style IDs, the service account key."""
    keys = [IdentityKey(KeyKind.SPIFFE_ID, spiffe_id)]
    match = _SPIFFE_SA.match(spiffe_id)
    if match:
        keys.append(IdentityKey(KeyKind.K8S_SERVICE_ACCOUNT, "/".join(match.groups())))
    return keys


def _destination(entry: dict[str, Any]) -> str:
    cluster = _text(entry.get("upstream_cluster")) or ""
    parts = cluster.split("|")
    # outbound|PORT|SUBSET|HOST names the destination outright.
    if len(parts) == 4 and parts[0] == "outbound" and parts[3]:
        return f"{parts[3]}:{parts[1]}"
    sni = _ISTIO_SNI.match(_text(entry.get("requested_server_name")) or "")
    if sni:
        return f"{sni.group(2)}:{sni.group(1)}"
    authority = _text(entry.get("authority"))
    if authority:
        return authority
    local = _text(entry.get("downstream_local_address"))
    return local or "unknown destination"


def _unattributed(ip: str | None) -> str:
    return f"address {ip} (no identity in the log)" if ip else "no identity in the log"


def _host(address: str | None) -> str | None:
    if not address:
        return None
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or value in ("", "-"):
        return None
    return value
