"""The Vault connector: revoke tokens, leases and AppRole secret ids; rotate KV."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import hvac
import requests
from hvac import exceptions as vault_exc

from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

ACTIONS = ("revoke_token", "revoke_leases", "destroy_secret_id", "rotate_secret")
_PARAMS = {
    "revoke_token": ("accessor",),
    "revoke_leases": ("lease_prefix",),
    "destroy_secret_id": ("role", "secret_id_accessor"),
    "rotate_secret": ("secret_id",),
}
# Token fields worth keeping as evidence; never `id`, which is the token itself.
_TOKEN_FIELDS = ("display_name", "policies", "expire_time", "ttl", "orphan", "path")


@contextmanager
def vault_errors(what: str, *, missing: str) -> Iterator[None]:
    """Raise `ConnectorError` naming `what` failed; `missing` says what to check."""
    try:
        yield
    except vault_exc.Forbidden as exc:
        raise ConnectorError(
            f"{what} failed: Vault answered 403 permission denied. Check that "
            "VAULT_TOKEN is valid and that its policy grants `update` on this path "
            "(docs/connectors.md lists the paths)."
        ) from exc
    except vault_exc.InvalidPath as exc:
        raise ConnectorError(
            f"{what} failed: not found. Check that {missing}."
        ) from exc
    except vault_exc.VaultDown as exc:
        raise ConnectorError(f"{what} failed: Vault is sealed or in standby.") from exc
    except vault_exc.VaultError as exc:
        raise ConnectorError(f"{what} failed: {_errors(exc)}") from exc
    except requests.RequestException as exc:
        raise ConnectorError(
            f"{what} failed: cannot reach Vault ({type(exc).__name__}). Check "
            "CONTAINBOT_VAULT_ADDR and the network path to it."
        ) from exc


def _errors(exc: vault_exc.VaultError) -> str:
    return "; ".join(str(e).strip() for e in exc.errors or []) or type(exc).__name__


class VaultConnector:
    """Run containment steps against one Vault cluster through hvac."""

    name = "vault"

    def __init__(self, client: hvac.Client) -> None:
        self._vault = client

    @classmethod
    def from_settings(cls, addr: str, token: str) -> VaultConnector:
        """Build the connector for `addr`; the token stays inside the hvac client."""
        return cls(hvac.Client(url=addr, token=token, timeout=20))

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact API calls `execute` would make, one per line."""
        action, p = self._action(step), step.params
        if action == "revoke_token":
            body = f"accessor={p['accessor']}"
            return [
                f"POST /v1/auth/token/lookup-accessor {body}",
                f"POST /v1/auth/token/revoke-accessor {body}",
                f"POST /v1/auth/token/lookup-accessor {body} (expect 400 invalid "
                "accessor)",
            ]
        if action == "revoke_leases":
            prefix = p["lease_prefix"]
            return [
                f"LIST /v1/sys/leases/lookup/{prefix}",
                f"PUT /v1/sys/leases/revoke-prefix/{prefix}",
                f"LIST /v1/sys/leases/lookup/{prefix} (expect none)",
            ]
        if action == "destroy_secret_id":
            base = f"/v1/auth/{p.get('mount', 'approle')}/role/{p['role']}"
            body = f"secret_id_accessor={p['secret_id_accessor']}"
            return [
                f"POST {base}/secret-id-accessor/lookup {body}",
                f"POST {base}/secret-id-accessor/destroy {body}",
                f"POST {base}/secret-id-accessor/lookup {body} (expect 404)",
            ]
        mount, path = _kv_path(p["secret_id"])
        return [
            f"GET /v1/{mount}/data/{path}",
            f"POST /v1/{mount}/data/{path} options.cas=<version read> data=<a new "
            "random value for every key, not shown>",
            f"GET /v1/{mount}/data/{path}",
        ]

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Apply the step idempotently, then read its effect back."""
        action = self._action(step)
        logger.info("Running %s on %s", step.key, step.target)
        run: Callable[[StepSpec], StepOutcome] = getattr(self, f"_{action}")
        return run(step)

    def undo(
        self, step: StepSpec, *, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Say why no Vault step can be undone."""
        self._action(step)
        return StepOutcome(
            ok=False,
            detail=f"{step.key} cannot be undone: Vault cannot bring back a revoked "
            "token, lease or secret id, nor make an exposed value safe again. Issue "
            "new credentials to the workload instead.",
        )

    def _revoke_token(self, step: StepSpec) -> StepOutcome:
        accessor = step.params["accessor"]
        before = self._lookup_token(accessor)
        if before is not None:
            with vault_errors(
                f"Revoking the token with accessor {accessor}",
                missing="the accessor is right",
            ):
                self._vault.auth.token.revoke_accessor(accessor)
            logger.info("Revoked Vault token with accessor %s", accessor)

        after = self._lookup_token(accessor)
        evidence: dict[str, Any] = {
            "accessor": accessor,
            "revoked_now": before is not None,
            "token": {k: before.get(k) for k in _TOKEN_FIELDS} if before else None,
            "lookup_after": "invalid accessor" if after is None else "valid",
        }
        if after is not None:
            detail = f"The token with accessor {accessor} still looks up as valid."
            return StepOutcome(ok=False, detail=detail, evidence=evidence)
        detail = (
            f"Revoked the Vault token with accessor {accessor} with its child tokens "
            "and leases; lookup now answers invalid accessor."
            if before is not None
            else f"Nothing to revoke: the token with accessor {accessor} was already "
            "revoked or expired (lookup answers invalid accessor)."
        )
        return StepOutcome(ok=True, detail=detail, evidence=evidence)

    def _lookup_token(self, accessor: str) -> dict[str, Any] | None:
        with vault_errors(
            f"Looking up the token with accessor {accessor}", missing="it exists"
        ):
            try:
                found = self._vault.auth.token.lookup_accessor(accessor)
            except vault_exc.InvalidRequest as exc:
                # Vault answers 400 "invalid accessor" for revoked and expired tokens.
                if "invalid accessor" in _errors(exc):
                    return None
                raise
        return dict(found.get("data") or {})

    def _revoke_leases(self, step: StepSpec) -> StepOutcome:
        prefix = step.params["lease_prefix"]
        before = self._leases(prefix)
        with vault_errors(
            f"Revoking leases under {prefix}", missing="the lease prefix is right"
        ):
            self._vault.sys.revoke_prefix(prefix)
        logger.info("Revoked Vault leases under %s", prefix)

        after = self._leases(prefix)
        evidence = {"lease_prefix": prefix, "before": before, "after": after}
        if after:
            detail = f"Leases still under {prefix}: {', '.join(after)}."
            return StepOutcome(ok=False, detail=detail, evidence=evidence)
        detail = f"Revoked {len(before)} lease key(s) under {prefix}; none left."
        return StepOutcome(ok=True, detail=detail, evidence=evidence)

    def _leases(self, prefix: str) -> list[str]:
        with vault_errors(f"Listing leases under {prefix}", missing="it exists"):
            try:
                listed = self._vault.sys.list_leases(prefix)
            except vault_exc.InvalidPath:
                return []  # Vault answers 404 when no lease is left under a prefix.
        return sorted((listed.get("data") or {}).get("keys") or [])

    def _destroy_secret_id(self, step: StepSpec) -> StepOutcome:
        role, accessor = step.params["role"], step.params["secret_id_accessor"]
        mount = step.params.get("mount", "approle")
        before = self._secret_id(role, accessor, mount)
        if before is not None:
            with vault_errors(
                f"Destroying secret id {accessor} of AppRole {role}",
                missing=f"AppRole {role} exists at auth/{mount}",
            ):
                self._vault.auth.approle.destroy_secret_id_accessor(
                    role, accessor, mount_point=mount
                )
            logger.info("Destroyed secret id %s of AppRole %s", accessor, role)

        after = self._secret_id(role, accessor, mount)
        evidence = {"role": role, "secret_id_accessor": accessor, "gone": after is None}
        if after is not None:
            detail = f"Secret id {accessor} of AppRole {role} still looks up."
            return StepOutcome(ok=False, detail=detail, evidence=evidence)
        done = "Destroyed" if before is not None else "Nothing to do: already gone,"
        detail = f"{done} secret id {accessor} of AppRole {role}; lookup answers 404."
        return StepOutcome(ok=True, detail=detail, evidence=evidence)

    def _secret_id(self, role: str, accessor: str, mount: str) -> dict[str, Any] | None:
        with vault_errors(
            f"Looking up secret id {accessor} of AppRole {role}",
            missing=f"AppRole {role} exists at auth/{mount}",
        ):
            try:
                found = self._vault.auth.approle.read_secret_id_accessor(
                    role, accessor, mount_point=mount
                )
            except vault_exc.InvalidPath:
                return None
        return dict(found.get("data") or {}) if isinstance(found, dict) else None

    def _rotate_secret(self, step: StepSpec) -> StepOutcome:
        secret_id = step.params["secret_id"]
        mount, path = _kv_path(secret_id)
        missing = f"{path} exists in the KV version 2 engine mounted at {mount}/"
        kv = self._vault.secrets.kv.v2
        with vault_errors(f"Reading KV secret {secret_id}", missing=missing):
            current = kv.read_secret_version(
                path=path, mount_point=mount, raise_on_deleted_version=True
            )["data"]
        keys = sorted(current["data"] or {})
        version = int(current["metadata"]["version"])
        fresh = {key: secrets.token_urlsafe(32) for key in keys}
        with vault_errors(f"Writing KV secret {secret_id}", missing=missing):
            # cas makes a concurrent write fail instead of being overwritten.
            kv.create_or_update_secret(
                path=path, secret=fresh, cas=version, mount_point=mount
            )
            after = kv.read_secret_version(
                path=path, mount_point=mount, raise_on_deleted_version=True
            )["data"]
        same = after["data"] == fresh
        del fresh
        logger.info("Rotated Vault KV secret %s", secret_id)

        evidence = {
            "secret_id": secret_id,
            "keys": keys,
            "previous_version": version,
            "current_version": after["metadata"]["version"],
        }
        if not same:
            detail = f"KV secret {secret_id} does not read back the new values."
            return StepOutcome(ok=False, detail=detail, evidence=evidence)
        detail = (
            f"KV secret {secret_id} has version {evidence['current_version']} with "
            f"new random values for {', '.join(keys) or 'no key'} (was {version}, "
            "still readable as a previous version)."
        )
        return StepOutcome(ok=True, detail=detail, evidence=evidence)

    def _action(self, step: StepSpec) -> str:
        if step.connector != self.name or step.action not in ACTIONS:
            raise ConnectorError(
                f"The vault connector cannot run {step.connector}.{step.action}; "
                f"it runs {', '.join(ACTIONS)}."
            )
        absent = [p for p in _PARAMS[step.action] if not step.params.get(p)]
        if absent:
            raise ConnectorError(f"Step {step.key} lacks {', '.join(absent)}.")
        return step.action


def _kv_path(secret_id: str) -> tuple[str, str]:
    """Split the catalog's `mount/path` into the KV mount and the secret's path."""
    mount, _, path = secret_id.strip("/").partition("/")
    if not path:
        raise ConnectorError(
            f"Vault secret {secret_id!r} must be named <mount>/<path> in the catalog, "
            "such as kv/checkout/db."
        )
    return mount, path
