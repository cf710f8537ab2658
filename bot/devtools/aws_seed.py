"""Seed moto's AWS server with the catalog's IAM users, roles and secrets."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.exceptions import ClientError

from bot.catalog.model import Catalog, IdentityKind, SecretKind, Workload
from bot.connectors.aws_errors import aws_errors, error_code, value_redacted
from bot.connectors.aws_iam import key_statuses
from bot.connectors.aws_secrets import version_stages
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

_EXISTS = {"EntityAlreadyExists", "ResourceExistsException"}


def seed_aws(catalog: Catalog, *, endpoint_url: str, region: str = "us-east-1") -> None:
    """Create every catalog IAM user (with its keys), role and secret in moto."""
    iam, sm = _clients(endpoint_url, region)
    workloads = catalog.workloads

    for identity in _unique(i for w in workloads for i in w.identities):
        name = identity.aws_name
        if identity.kind == IdentityKind.AWS_IAM_USER:
            arn = _create(iam.create_user, f"IAM user {name}", UserName=name)
            account = arn.split(":")[4] if arn else identity.aws_account
            for key_id in identity.access_key_ids:
                _seed_key(iam, name, key_id, account or "", endpoint_url)
        elif identity.kind == IdentityKind.AWS_IAM_ROLE:
            trust = _trust_policy(identity.aws_account or "123456789012")
            _create(
                iam.create_role,
                f"IAM role {name}",
                RoleName=name,
                AssumeRolePolicyDocument=trust,
            )

    seen: set[str] = set()
    for secret in (s for w in workloads for s in w.secrets):
        if secret.kind != SecretKind.AWS_SECRETS_MANAGER or secret.name in seen:
            continue
        seen.add(secret.name)
        value = secrets.token_urlsafe(32)
        with value_redacted(value):
            _create(
                sm.create_secret,
                f"secret {secret.name}",
                Name=secret.name,
                SecretString=value,
            )


def aws_state(
    catalog_or_workload: Catalog | Workload,
    *,
    endpoint_url: str,
    region: str = "us-east-1",
) -> dict[str, dict[str, Any]]:
    """Read back key statuses, inline role policies and secret version stages."""
    iam, sm = _clients(endpoint_url, region)
    if isinstance(catalog_or_workload, Catalog):
        workloads: tuple[Workload, ...] = catalog_or_workload.workloads
    else:
        workloads = (catalog_or_workload,)

    state: dict[str, dict[str, Any]] = {"users": {}, "roles": {}, "secrets": {}}
    for identity in _unique(i for w in workloads for i in w.identities):
        name = identity.aws_name
        if identity.kind == IdentityKind.AWS_IAM_USER:
            state["users"][name] = key_statuses(iam, name)
        elif identity.kind == IdentityKind.AWS_IAM_ROLE:
            with aws_errors(
                f"iam:ListRolePolicies for role {name}",
                missing=f"IAM role {name} was seeded",
            ):
                names = iam.list_role_policies(RoleName=name)["PolicyNames"]
            state["roles"][name] = sorted(names)
    for secret in (s for w in workloads for s in w.secrets):
        if secret.kind == SecretKind.AWS_SECRETS_MANAGER:
            state["secrets"][secret.name] = version_stages(sm, secret.name)
    return state


def _seed_key(iam: Any, user: str, key_id: str, account: str, endpoint: str) -> None:
    """Give `user` an access key, pinned to the catalog's `key_id` when possible."""
    if key_id in key_statuses(iam, user):
        return
    with aws_errors(f"iam:CreateAccessKey for {user}", missing=f"user {user}"):
        created = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]

    if _pin_key_id(account, created, key_id) and key_id in key_statuses(iam, user):
        logger.info("Seeded IAM user %s with access key %s", user, key_id)
        return
    logger.warning(
        "moto at %s does not run in this process, so user %s got access key %s "
        "instead of the catalog's %s; alerts still match by user name, and the "
        "connector deactivates every active key of the user",
        endpoint,
        user,
        created,
        key_id,
    )


def _pin_key_id(account: str, created: str, wanted: str) -> bool:
    """Rename a key in moto's in-process IAM backend; False if moto is elsewhere."""
    # AWS (and so moto's API) never lets a caller choose an access key id. When
    # moto's server is a thread of this process its backend is plain module
    # state, so the key created over HTTP can take the id the catalog names.
    try:
        from moto.iam.models import iam_backends
    except ImportError:
        return False
    account_backends = iam_backends.get(account)
    backend = account_backends.get("aws") if account_backends else None
    key = backend.access_keys.get(created) if backend else None
    if key is None:
        return False
    key.access_key_id = wanted
    backend.access_keys[wanted] = backend.access_keys.pop(created)
    return True


def _create(method: Any, what: str, **params: Any) -> str | None:
    """Call a create method, treating "already exists" as done; return the ARN."""
    try:
        response = method(**params)
    except ClientError as exc:
        if error_code(exc) in _EXISTS:
            return None
        raise ConnectorError(f"Seeding {what} in moto failed: {exc}") from exc
    logger.info("Seeded %s", what)
    return response.get("User", {}).get("Arn") or response.get("ARN")


def _trust_policy(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )


def _unique(identities: Iterable[Any]) -> Iterable[Any]:
    seen: set[tuple[str, str]] = set()
    for identity in identities:
        if (identity.kind, identity.principal) not in seen:
            seen.add((identity.kind, identity.principal))
            yield identity


def _clients(endpoint_url: str, region: str) -> tuple[Any, Any]:
    # Fixed dummy credentials: moto accepts anything, and real AWS rejects these,
    # so seeding can never create resources in a real account.
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name=region,
    )
    return (
        session.client("iam", endpoint_url=endpoint_url),
        session.client("secretsmanager", endpoint_url=endpoint_url),
    )
