"""Typed shape of a catalog file; validation errors name the workload and field."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# A Slack member id (U… or W…) or an e-mail address resolved with users.lookupByEmail.
_PERSON = re.compile(r"^([UW][A-Z0-9]{2,}|[^@\s]+@[^@\s]+\.[^@\s]+)$")
# Slack user group ids start with S; a member id is accepted too for small teams.
_TEAM = re.compile(r"^([SUW][A-Z0-9]{2,}|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_WORKLOAD_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityKind(StrEnum):
    AWS_IAM_USER = "aws_iam_user"
    AWS_IAM_ROLE = "aws_iam_role"
    K8S_SERVICE_ACCOUNT = "k8s_service_account"
    VAULT_TOKEN = "vault_token"
    SPIFFE_ID = "spiffe_id"
    API_KEY = "api_key"


class Criticality(StrEnum):
    CUSTOMER_FACING = "customer-facing"
    BATCH = "batch"
    CROSS_ACCOUNT = "cross-account"
    AGENTIC = "agentic"
    INTERNAL = "internal"


class SecretKind(StrEnum):
    AWS_SECRETS_MANAGER = "aws_secretsmanager"
    K8S_SECRET = "k8s_secret"
    VAULT_KV = "vault_kv"


class Identity(_Strict):
    """A non-human identity the workload calls APIs with."""

    kind: IdentityKind
    # An ARN for AWS, `namespace/name` for a service account, the SPIFFE ID, the
    # Vault token accessor, or a key's name for an API key. Never a secret value.
    principal: str = Field(min_length=1)
    access_key_ids: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    static: bool = False
    shared_with: tuple[str, ...] = ()

    @field_validator("access_key_ids")
    @classmethod
    def _key_ids_look_like_aws(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for key_id in value:
            if not re.fullmatch(r"(AKIA|ASIA)[A-Z0-9]{12,124}", key_id):
                raise ValueError(
                    f"{key_id!r} is not an AWS access key id (AKIA… or ASIA…)"
                )
        return value

    @model_validator(mode="after")
    def _principal_fits_kind(self) -> Identity:
        principal = self.principal
        if self.kind == IdentityKind.AWS_IAM_USER and ":user/" not in principal:
            raise ValueError("principal of an aws_iam_user must be a user ARN")
        if self.kind == IdentityKind.AWS_IAM_ROLE and ":role/" not in principal:
            raise ValueError("principal of an aws_iam_role must be a role ARN")
        if self.kind == IdentityKind.K8S_SERVICE_ACCOUNT and principal.count("/") != 1:
            raise ValueError("principal of a k8s_service_account is namespace/name")
        if self.kind == IdentityKind.SPIFFE_ID and not principal.startswith(
            "spiffe://"
        ):
            raise ValueError("principal of a spiffe_id starts with spiffe://")
        if self.access_key_ids and self.kind != IdentityKind.AWS_IAM_USER:
            raise ValueError("access_key_ids belong to an aws_iam_user identity only")
        return self

    @property
    def aws_name(self) -> str:
        """The user or role name at the end of an IAM ARN."""
        return self.principal.rsplit("/", 1)[-1]

    @property
    def aws_account(self) -> str | None:
        parts = self.principal.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None


class Secret(_Strict):
    """A secret the workload can read; a candidate for rotation."""

    kind: SecretKind
    name: str = Field(min_length=1)
    rotation_days: int | None = Field(default=None, ge=1)
    last_rotated: datetime | None = None
    shared_with: tuple[str, ...] = ()


class Network(_Strict):
    """Where the workload runs, used to match alerts and to cut its network path."""

    cluster: str | None = None
    namespace: str | None = None
    pod_prefix: str | None = None
    pod_labels: dict[str, str] = Field(default_factory=dict)
    instance_ids: tuple[str, ...] = ()


class Teams(_Strict):
    """Slack user groups (S…) that execute or verify their part of containment."""

    security: str | None = None
    platform: str | None = None
    identity: str | None = None

    @field_validator("security", "platform", "identity")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        if value is not None and not _TEAM.fullmatch(value):
            raise ValueError("must be a Slack user group id (S…) or member id (U…)")
        return value


class Workload(_Strict):
    """One API-connected workload and who answers for it."""

    name: str
    description: str = ""
    owner: str | None = None
    fallback_owner: str | None = None
    approver: str | None = None
    # May approve in the approver's place once the approval timer has fired.
    fallback_approver: str | None = None
    teams: Teams = Teams()
    identities: tuple[Identity, ...] = ()
    secrets: tuple[Secret, ...] = ()
    network: Network = Network()
    criticality: tuple[Criticality, ...] = ()
    tool_grants: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _name_is_slug(cls, value: str) -> str:
        if not _WORKLOAD_NAME.fullmatch(value):
            raise ValueError(
                "must be lowercase letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 63 characters"
            )
        return value

    @field_validator("owner", "fallback_owner", "approver", "fallback_approver")
    @classmethod
    def _person(cls, value: str | None) -> str | None:
        if value is not None and not _PERSON.fullmatch(value):
            raise ValueError("must be a Slack member id (U…) or an e-mail address")
        return value

    @property
    def people(self) -> tuple[str, ...]:
        """Owner, fallback owner and approver, in paging order, without repeats."""
        named = (self.owner, self.fallback_owner, self.approver)
        return tuple(dict.fromkeys(p for p in named if p))


class Catalog(_Strict):
    """All workloads, unique by name."""

    workloads: tuple[Workload, ...]

    @model_validator(mode="after")
    def _names_unique(self) -> Catalog:
        seen: set[str] = set()
        for workload in self.workloads:
            if workload.name in seen:
                raise ValueError(f"workload {workload.name!r} is listed twice")
            seen.add(workload.name)
        return self

    def get(self, name: str) -> Workload | None:
        return next((w for w in self.workloads if w.name == name), None)
