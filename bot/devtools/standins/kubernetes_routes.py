"""Routing and helpers of the Kubernetes API stand-in: paths, verbs, Scale."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request

from bot.devtools.standins.kubernetes_objects import (
    RESOURCES,
    ApiError,
    Resource,
    bad_request,
)


def route(path: str) -> tuple[Resource, str | None, str | None, str | None]:
    """Split a request path into resource, namespace, name and subresource."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, rest = "", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, rest = parts[1], parts[3:]
    else:
        raise ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    resource = RESOURCES.get(rest[0]) if rest else None
    if resource is None or resource.group != group or len(rest) > 3:
        raise ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub not in (None, "scale") or (sub and resource.plural != "deployments"):
        raise ApiError(
            404, "NotFound", "the server could not find the requested resource"
        )
    return resource, namespace, name, sub


def verb_of(method: str, name: str | None, namespace: str | None) -> str:
    if method == "GET":
        return "get" if name else "list"
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete",
    }.get(method, method.lower())


def forbidden(
    user: str, verb: str, resource: Resource, namespace: str | None, name: str | None
) -> ApiError:
    subject = f'{resource.qualified} "{name}"' if name else resource.qualified
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return ApiError(
        403,
        "Forbidden",
        f'{subject} is forbidden: User "{user}" cannot {verb} resource '
        f'"{resource.plural}" in API group "{resource.group}"{where}',
        {"name": name or "", "kind": resource.plural, "group": resource.group},
    )


def body_json(request: Request) -> Any:
    try:
        return json.loads(request.get_data() or b"{}")
    except ValueError as exc:
        raise bad_request(f"the request body is not JSON: {exc}") from exc


def scale_of(deployment: dict[str, Any]) -> dict[str, Any]:
    meta = deployment["metadata"]
    match = deployment["spec"].get("selector", {}).get("matchLabels", {})
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {
            "replicas": deployment.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(match.items())),
        },
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deleted(resource: Resource, name: str, uid: str) -> dict[str, Any]:
    """Return the `Status` the API server answers a completed delete with."""
    details = {"name": name, "kind": resource.plural, "uid": uid}
    if resource.group:
        details["group"] = resource.group
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }
