"""A Vault stand-in for the HTTP API calls containbot's Vault connector makes.

It follows Vault's v1 HTTP API as documented for Vault 1.15+:

- POST auth/token/lookup-accessor and auth/token/revoke-accessor (an unknown or
  revoked accessor answers 400 `invalid accessor`, as Vault does; revoking a token
  also revokes its child tokens and the leases it created);
- LIST sys/leases/lookup/<prefix>, PUT sys/leases/lookup and PUT
  sys/leases/revoke-prefix/<prefix>;
- POST auth/<mount>/role/<role>/secret-id-accessor/lookup (404 when unknown, as
  since Vault 1.9) and .../destroy (500 `failed to find accessor entry` when
  unknown, as Vault answers);
- KV version 2: GET and POST <mount>/data/<path> (with `options.cas`), GET
  <mount>/metadata/<path>.

Every request needs `X-Vault-Token`; a token unknown to the stand-in, or one whose
policy (a list of path prefixes here, not Vault's policy language) does not cover
the path, gets 403 `permission denied`. Responses carry Vault's envelope
(`request_id`, `data`, `warnings`...); errors are `{"errors": [...]}`.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from bot.devtools.standins.server import WsgiServer


class VaultError(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = list(errors)


class VaultStandin:
    """Hold tokens, leases, AppRole secret ids and KV v2 secrets in memory."""

    def __init__(self, root_token: str = "standin-root-token") -> None:
        # Token value -> path prefixes it may call ("" means every path).
        self.policies: dict[str, tuple[str, ...]] = {root_token: ("",)}
        self.tokens: dict[str, dict[str, Any]] = {}  # by accessor
        self.leases: dict[str, dict[str, Any]] = {}  # by lease id
        self.secret_ids: dict[tuple[str, str], dict[str, Any]] = {}  # (role, accessor)
        self.roles: set[str] = set()
        self.kv: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._server = WsgiServer(self, "vault")

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    # ---- seeding (Python side) ----

    def add_token(
        self, policies: list[str], display_name: str, parent: str | None = None
    ) -> str:
        """Create a token and return its accessor."""
        accessor = secrets.token_hex(12)
        now = _now()
        self.tokens[accessor] = {
            "accessor": accessor,
            "creation_time": int(datetime.now(UTC).timestamp()),
            "creation_ttl": 2764800,
            "display_name": display_name,
            "entity_id": "",
            "expire_time": None,
            "explicit_max_ttl": 0,
            "id": "",
            "issue_time": now,
            "meta": None,
            "num_uses": 0,
            "orphan": parent is None,
            "path": "auth/token/create",
            "policies": sorted(policies),
            "renewable": True,
            "ttl": 2764800,
            "type": "service",
            "parent": parent,
        }
        return accessor

    def add_lease(self, lease_id: str, token_accessor: str | None = None) -> None:
        self.leases[lease_id] = {"id": lease_id, "token_accessor": token_accessor}

    def add_secret_id(self, role: str) -> str:
        self.roles.add(role)
        accessor = str(uuid.uuid4())
        self.secret_ids[(role, accessor)] = {
            "secret_id_accessor": accessor,
            "creation_time": _now(),
            "metadata": {},
            "secret_id_num_uses": 0,
            "secret_id_ttl": 0,
        }
        return accessor

    def put_kv(self, mount: str, path: str, data: dict[str, str]) -> None:
        self.kv.setdefault((mount, path), []).append(dict(data))

    # ---- WSGI ----

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        method = request.method
        if method == "GET" and request.args.get("list") == "true":
            method = "LIST"
        path = request.path.removeprefix("/v1/")
        with self.lock:
            self.calls.append((method, path))
            try:
                self._authorize(request.headers.get("X-Vault-Token", ""), path)
                status, data = self._route(method, path, _json(request))
            except VaultError as err:
                status, data = err.status, {"errors": err.errors}
        if status == 204:
            response = Response(status=204)
        else:
            response = Response(json.dumps(data), status, mimetype="application/json")
        return response(environ, start_response)

    def _authorize(self, token: str, path: str) -> None:
        allowed = self.policies.get(token)
        if allowed is None or not any(path.startswith(p) for p in allowed):
            raise VaultError(403, "permission denied")

    def _route(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | None]:
        parts = path.split("/")
        if path == "auth/token/lookup-accessor" and method in {"POST", "PUT"}:
            return 200, _envelope(self._token(body.get("accessor", "")))
        if path == "auth/token/revoke-accessor" and method in {"POST", "PUT"}:
            self._revoke(self._token(body.get("accessor", ""))["accessor"])
            return 204, None
        if path.startswith("sys/leases/lookup/") and method == "LIST":
            return self._list_leases(path.removeprefix("sys/leases/lookup/"))
        if path == "sys/leases/lookup" and method in {"POST", "PUT"}:
            lease = self.leases.get(body.get("lease_id", ""))
            if lease is None:
                raise VaultError(400, "invalid lease")
            return 200, _envelope({"id": lease["id"], "renewable": True, "ttl": 600})
        if path.startswith("sys/leases/revoke-prefix/") and method in {"POST", "PUT"}:
            prefix = path.removeprefix("sys/leases/revoke-prefix/")
            for lease_id in [k for k in self.leases if k.startswith(prefix)]:
                del self.leases[lease_id]
            return 204, None
        if len(parts) == 6 and parts[0] == "auth" and parts[2] == "role":
            return self._secret_id(parts[3], "/".join(parts[4:]), body)
        if len(parts) >= 3 and parts[1] in {"data", "metadata"}:
            return self._kv(method, parts[0], parts[1], "/".join(parts[2:]), body)
        raise VaultError(404, f"no handler for route {path!r}. route entry not found.")

    def _token(self, accessor: str) -> dict[str, Any]:
        if not accessor:
            raise VaultError(400, "missing accessor")
        found = self.tokens.get(accessor)
        if found is None:
            raise VaultError(400, "invalid accessor")
        return {k: v for k, v in found.items() if k != "parent"}

    def _revoke(self, accessor: str) -> None:
        children = [a for a, t in self.tokens.items() if t["parent"] == accessor]
        for child in children:
            self._revoke(child)
        del self.tokens[accessor]
        for lease_id in [
            k for k, v in self.leases.items() if v["token_accessor"] == accessor
        ]:
            del self.leases[lease_id]

    def _list_leases(self, prefix: str) -> tuple[int, dict[str, Any] | None]:
        keys = set()
        for lease_id in self.leases:
            if lease_id.startswith(prefix):
                rest = lease_id.removeprefix(prefix).lstrip("/")
                keys.add(rest.split("/", 1)[0] + ("/" if "/" in rest else ""))
        if not keys:
            raise VaultError(404)
        return 200, _envelope({"keys": sorted(keys)})

    def _secret_id(
        self, role: str, action: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | None]:
        if role not in self.roles:
            raise VaultError(500, f'role "{role}" does not exist')
        accessor = body.get("secret_id_accessor", "")
        missing = f'failed to find accessor entry for secret_id_accessor: "{accessor}"'
        entry = self.secret_ids.get((role, accessor))
        if action == "secret-id-accessor/lookup":
            if entry is None:
                raise VaultError(404, missing)
            return 200, _envelope(entry)
        if action == "secret-id-accessor/destroy":
            if entry is None:
                raise VaultError(500, f"1 error occurred:\n\t* {missing}\n\n")
            del self.secret_ids[(role, accessor)]
            return 204, None
        raise VaultError(404, f"unsupported path {action}")

    def _kv(
        self, method: str, mount: str, kind: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any] | None]:
        versions = self.kv.get((mount, path))
        if kind == "data" and method in {"POST", "PUT"}:
            current = len(versions or [])
            cas = (body.get("options") or {}).get("cas")
            if cas is not None and int(cas) != current:
                raise VaultError(
                    400, "check-and-set parameter did not match the current version"
                )
            self.kv.setdefault((mount, path), []).append(dict(body.get("data") or {}))
            return 200, _envelope(_version_meta(current + 1))
        if versions is None:
            raise VaultError(404)
        if kind == "data" and method == "GET":
            data = {
                "data": dict(versions[-1]),
                "metadata": _version_meta(len(versions)),
            }
            return 200, _envelope(data)
        if kind == "metadata" and method == "GET":
            return 200, _envelope(
                {
                    "current_version": len(versions),
                    "oldest_version": 1,
                    "versions": {
                        str(n): _version_meta(n) for n in range(1, len(versions) + 1)
                    },
                }
            )
        raise VaultError(405, f"{method} is not supported on {mount}/{kind}")


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": data,
        "wrap_info": None,
        "warnings": None,
        "auth": None,
    }


def _version_meta(version: int) -> dict[str, Any]:
    return {
        "created_time": _now(),
        "deletion_time": "",
        "destroyed": False,
        "version": version,
    }


def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
