"""What every parser produces: a normalized alert with the identity keys it carries."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class KeyKind(StrEnum):
    """Kinds of identity evidence an alert can carry, strongest first."""

    ACCESS_KEY_ID = "access_key_id"
    IAM_USER_ARN = "iam_user_arn"
    IAM_ROLE_ARN = "iam_role_arn"
    ROLE_SESSION = "role_session"
    SPIFFE_ID = "spiffe_id"
    K8S_SERVICE_ACCOUNT = "k8s_service_account"
    K8S_POD = "k8s_pod"
    INSTANCE_ID = "instance_id"
    # A credential found leaked in a repository: "OWNER/REPO:SECRET_TYPE".
    LEAKED_SECRET = "leaked_secret"
    K8S_NAMESPACE = "k8s_namespace"
    IAM_USER_NAME = "iam_user_name"


# When keys point at different workloads, the earlier kind wins: a credential
# identifies a caller more precisely than where the caller happened to run.
KEY_PRECEDENCE: tuple[KeyKind, ...] = tuple(KeyKind)


@dataclass(frozen=True)
class IdentityKey:
    kind: KeyKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind.value}={self.value}"


@dataclass(frozen=True)
class ParsedAlert:
    """One alert from one detector, reduced to what containbot acts on."""

    source: str
    title: str
    severity: str
    detected_at: datetime
    summary: str
    keys: tuple[IdentityKey, ...]
    external_id: str | None = None
    details: dict[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """Stable digest of what makes two deliveries the same alert.

        The same event delivered by several detector nodes (Falco runs on every
        node) carries the same rule, time, output and keys, so it folds into one.
        """
        material = {
            "source": self.source,
            "external_id": self.external_id,
            "title": self.title,
            "detected_at": self.detected_at.isoformat(),
            "summary": self.summary,
            "keys": sorted(str(k) for k in self.keys),
        }
        encoded = json.dumps(material, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:32]

    def keys_of(self, kind: KeyKind) -> list[str]:
        return [k.value for k in self.keys if k.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "severity": self.severity,
            "detected_at": self.detected_at.isoformat(),
            "summary": self.summary,
            "keys": [{"kind": k.kind.value, "value": k.value} for k in self.keys],
            "external_id": self.external_id,
            "details": dict(self.details),
        }
