"""What the Kubernetes stand-in knows about resources: kinds, selectors, patches."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One API resource as discovery would describe it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """Name the resource as the API server does in messages: pods, x.group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


RESOURCES = {
    r.plural: r
    for r in (
        Resource("", "v1", "namespaces", "Namespace", False),
        Resource("", "v1", "serviceaccounts", "ServiceAccount", True),
        Resource("", "v1", "secrets", "Secret", True),
        Resource("", "v1", "pods", "Pod", True),
        Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
        Resource(
            "rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True
        ),
        Resource(
            "rbac.authorization.k8s.io",
            "v1",
            "clusterrolebindings",
            "ClusterRoleBinding",
            False,
        ),
        Resource("apps", "v1", "deployments", "Deployment", True),
    )
}


class ApiError(Exception):
    """An error the stand-in answers with a `Status` object, as the API server does."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource: Resource, name: str) -> ApiError:
    details = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return ApiError(
        404, "NotFound", f'{resource.qualified} "{name}" not found', details
    )


def already_exists(resource: Resource, name: str) -> ApiError:
    details = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return ApiError(
        409, "AlreadyExists", f'{resource.qualified} "{name}" already exists', details
    )


def conflict(resource: Resource, name: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource.qualified} "{name}": the '
        "object has been modified; please apply your changes to the latest "
        "version and try again",
        {"name": name, "kind": resource.plural},
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


# ---- label and field selectors ------------------------------------------------

_SET_TERM = re.compile(r"^\s*(!?)([\w./-]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")


def _terms(selector: str) -> list[str]:
    """Split on commas that are not inside the parentheses of a set term."""
    terms, depth, start = [], 0, 0
    for index, char in enumerate(selector):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            terms.append(selector[start:index])
            start = index + 1
    terms.append(selector[start:])
    return [term for term in terms if term.strip()]


def label_match(selector: str, labels: dict[str, str]) -> bool:
    """Apply a labelSelector query value (equality and set-based) to `labels`."""
    for term in _terms(selector):
        for op in ("!=", "==", "="):
            if op in term and "(" not in term:
                key, value = (part.strip() for part in term.split(op, 1))
                has = labels.get(key) == value
                if has == (op == "!="):
                    return False
                break
        else:
            found = _SET_TERM.match(term)
            if found is None:
                raise bad_request(f"unable to parse requirement: {term!r}")
            negate, key, op, values = found.groups()
            if op is None:
                if (key in labels) == bool(negate):
                    return False
                continue
            wanted = {v.strip() for v in values.split(",")}
            inside = labels.get(key) in wanted
            if inside != (op == "in"):
                return False
    return True


_FIELDS = {
    "metadata.name": lambda obj: obj["metadata"]["name"],
    "metadata.namespace": lambda obj: obj["metadata"].get("namespace", ""),
    "type": lambda obj: obj.get("type", ""),
    "status.phase": lambda obj: obj.get("status", {}).get("phase", ""),
}


def field_match(selector: str, obj: dict[str, Any], resource: Resource) -> bool:
    """Apply a fieldSelector with the fields the API server indexes for us."""
    for term in _terms(selector):
        negate = "!=" in term
        key, value = re.split(r"!=|==|=", term, maxsplit=1)
        getter = _FIELDS.get(key.strip())
        if getter is None or (key.strip() == "type" and resource.plural != "secrets"):
            raise bad_request(
                f'"{key.strip()}" is not a known field selector: only '
                '"metadata.name", "metadata.namespace"'
            )
        if (getter(obj) == value.strip()) == negate:
            return False
    return True


# ---- patches ------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (RFC 7386): maps merge, null deletes, lists replace."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str]) -> Any:
    for part in parts[:-1]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def json_patch(target: Any, operations: list[dict[str, Any]]) -> Any:
    """Apply a JSON patch (RFC 6902) with add, remove, replace and test."""
    doc = copy.deepcopy(target)
    for operation in operations:
        op, parts = operation.get("op"), _pointer(str(operation.get("path", "")))
        try:
            parent, last = _parent(doc, parts), parts[-1]
            if op == "test":
                current = (
                    parent[int(last)] if isinstance(parent, list) else parent[last]
                )
                if current != operation.get("value"):
                    raise ApiError(
                        422,
                        "Invalid",
                        f"the server rejected our request due to an error in our "
                        f"request: testing value {operation['path']} failed",
                    )
            elif op == "remove":
                del parent[int(last) if isinstance(parent, list) else last]
            elif op in {"add", "replace"}:
                value = copy.deepcopy(operation.get("value"))
                if isinstance(parent, list):
                    index = len(parent) if last == "-" else int(last)
                    if op == "add":
                        parent.insert(index, value)
                    else:
                        parent[index] = value
                else:
                    if op == "replace" and last not in parent:
                        raise KeyError(last)
                    parent[last] = value
            else:
                raise bad_request(f"unsupported JSON patch operation {op!r}")
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our request: "
                f"{op} operation does not apply: doc is missing path: "
                f"{operation.get('path')}",
            ) from exc
    return doc
