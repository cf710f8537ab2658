"""A Kubernetes API server stand-in for the calls containbot's connector makes.

It follows the Kubernetes REST API as documented for v1.30+ (api-concepts and the
OpenAPI spec the official Python client is generated from):

- core/v1: namespaces, serviceaccounts, secrets, pods (list with labelSelector and
  fieldSelector, get, create, update, patch, delete);
- networking.k8s.io/v1 networkpolicies, rbac.authorization.k8s.io/v1 rolebindings
  (namespaced and across namespaces) and clusterrolebindings, apps/v1 deployments:
  the same verbs;
- apps/v1 deployments/{name}/scale as an autoscaling/v1 Scale (get, patch, update).

Errors are `Status` objects with the API server's codes and messages: 401
Unauthorized, 403 Forbidden, 404 NotFound (also for a create in a namespace that
does not exist), 409 AlreadyExists and Conflict (stale resourceVersion), 422
Invalid. Merge and strategic-merge patches are applied as JSON merge patches, which
is what strategic merge does for every field containbot patches (maps, and lists
without a patch merge key such as RoleBinding subjects); JSON patches support add,
remove, replace and test. What it does not do: no controllers run (scaling a
Deployment changes its replicas but no pod goes away), no watch, no pagination
(`limit` is ignored and every item is returned), no server-side apply, no
generateName, and admission and schema validation are limited to a name being set.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from bot.devtools.standins.kubernetes_objects import (
    RESOURCES,
    ApiError,
    Resource,
    already_exists,
    bad_request,
    conflict,
    field_match,
    json_patch,
    label_match,
    merge_patch,
    not_found,
)
from bot.devtools.standins.kubernetes_routes import (
    body_json,
    deleted,
    forbidden,
    now,
    route,
    scale_of,
    verb_of,
)
from bot.devtools.standins.server import WsgiServer

Key = tuple[str, str, str]  # (plural, namespace or "", name)
_UNKNOWN_PATCH = (
    "the body of the request was in an unknown format - accepted media types "
    "include: application/json-patch+json, application/merge-patch+json, "
    "application/strategic-merge-patch+json"
)


class KubernetesStandin:
    """Hold cluster objects in memory and answer the REST calls on them."""

    def __init__(self, token: str = "standin-token") -> None:
        self.token = token
        self.user = "system:serviceaccount:containbot:containbot"
        self.objects: dict[Key, dict[str, Any]] = {}
        # (verb, plural) pairs answered 403, to test RBAC gaps.
        self.forbidden: set[tuple[str, str]] = set()
        self.calls: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._versions = itertools.count(1000)
        self._server = WsgiServer(self, "kubernetes")

    def start(self) -> str:
        return self._server.start()

    def stop(self) -> None:
        self._server.stop()

    @property
    def url(self) -> str:
        return self._server.url

    # ---- seeding and inspection (Python side, no HTTP) ----

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Store `obj` as if created, creating its namespace if needed."""
        resource = next(r for r in RESOURCES.values() if r.kind == obj["kind"])
        namespace = obj["metadata"].get("namespace", "") if resource.namespaced else ""
        with self.lock:
            if namespace and ("namespaces", "", namespace) not in self.objects:
                self._store(
                    RESOURCES["namespaces"], "", {"metadata": {"name": namespace}}
                )
            return copy.deepcopy(self._store(resource, namespace, obj))

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.objects.get((plural, namespace, name))
            return copy.deepcopy(found)

    def names(self, plural: str, namespace: str = "") -> list[str]:
        with self.lock:
            return sorted(
                n for p, ns, n in self.objects if p == plural and ns == namespace
            )

    # ---- WSGI ----

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.calls.append((request.method, request.full_path.rstrip("?")))
            try:
                status, body = self._handle(request)
            except ApiError as err:
                status, body = err.code, err.status()
        response = Response(
            json.dumps(body), status=status, mimetype="application/json"
        )
        return response(environ, start_response)

    def _handle(self, request: Request) -> tuple[int, dict[str, Any]]:
        if request.headers.get("Authorization", "") != f"Bearer {self.token}":
            raise ApiError(401, "Unauthorized", "Unauthorized")
        resource, namespace, name, sub = route(request.path)
        verb = verb_of(request.method, name, namespace)
        if (verb, resource.plural) in self.forbidden:
            raise forbidden(self.user, verb, resource, namespace, name)
        if sub == "scale":
            return self._scale(request, namespace, name)
        if name is None:
            if request.method == "GET":
                return 200, self._list(resource, namespace, request)
            if request.method == "POST":
                return 201, self._create(resource, namespace, body_json(request))
        elif request.method == "GET":
            return 200, self._existing(resource, namespace, name)
        elif request.method == "PUT":
            return 200, self._update(resource, namespace, name, body_json(request))
        elif request.method == "PATCH":
            return 200, self._patch(resource, namespace, name, request)
        elif request.method == "DELETE":
            return 200, self._delete(resource, namespace, name)
        raise ApiError(405, "MethodNotAllowed", f"{request.method} is not supported")

    def _list(
        self, resource: Resource, namespace: str | None, request: Request
    ) -> dict[str, Any]:
        labels = request.args.get("labelSelector", "")
        fields = request.args.get("fieldSelector", "")
        items = []
        for (plural, ns, _), obj in sorted(self.objects.items()):
            if plural != resource.plural or (namespace and ns != namespace):
                continue
            if labels and not label_match(labels, obj["metadata"].get("labels", {})):
                continue
            if fields and not field_match(fields, obj, resource):
                continue
            # List items carry no kind or apiVersion, as the API server sends them.
            item = {k: v for k, v in obj.items() if k not in {"kind", "apiVersion"}}
            items.append(copy.deepcopy(item))
        return {
            "kind": f"{resource.kind}List",
            "apiVersion": resource.api_version,
            "metadata": {"resourceVersion": str(next(self._versions))},
            "items": items,
        }

    def _create(
        self, resource: Resource, namespace: str | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        name = body.get("metadata", {}).get("name")
        if not name:
            raise ApiError(
                422,
                "Invalid",
                f'{resource.kind} "" is invalid: metadata.name: Required value: name '
                "or generateName is required (the stand-in supports name only)",
            )
        ns = namespace or ""
        if ns and ("namespaces", "", ns) not in self.objects:
            raise not_found(RESOURCES["namespaces"], ns)
        if (resource.plural, ns, name) in self.objects:
            raise already_exists(resource, name)
        return copy.deepcopy(self._store(resource, ns, body))

    def _existing(
        self, resource: Resource, namespace: str | None, name: str
    ) -> dict[str, Any]:
        found = self.objects.get((resource.plural, namespace or "", name))
        if found is None:
            raise not_found(resource, name)
        return copy.deepcopy(found)

    def _update(
        self, resource: Resource, namespace: str | None, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        current = self._existing(resource, namespace, name)
        version = body.get("metadata", {}).get("resourceVersion")
        if version and version != current["metadata"]["resourceVersion"]:
            raise conflict(resource, name)
        body = copy.deepcopy(body)
        for kept in ("uid", "creationTimestamp"):
            body.setdefault("metadata", {})[kept] = current["metadata"][kept]
        return copy.deepcopy(self._store(resource, namespace or "", body))

    def _patch(
        self, resource: Resource, namespace: str | None, name: str, request: Request
    ) -> dict[str, Any]:
        current = self._existing(resource, namespace, name)
        patch = json.loads(request.get_data() or b"null")
        if request.mimetype == "application/json-patch+json":
            if not isinstance(patch, list):
                raise bad_request("a JSON patch must be a list of operations")
            patched = json_patch(current, patch)
        elif request.mimetype in {
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
        }:
            if not isinstance(patch, dict):
                raise bad_request("a merge patch must be a JSON object")
            version = patch.get("metadata", {}).get("resourceVersion")
            if version and version != current["metadata"]["resourceVersion"]:
                raise conflict(resource, name)
            patched = merge_patch(current, patch)
        else:
            raise ApiError(415, "UnsupportedMediaType", _UNKNOWN_PATCH)
        patched["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return self._update(resource, namespace, name, patched)

    def _delete(
        self, resource: Resource, namespace: str | None, name: str
    ) -> dict[str, Any]:
        current = self._existing(resource, namespace, name)
        del self.objects[(resource.plural, namespace or "", name)]
        return deleted(resource, name, current["metadata"]["uid"])

    def _scale(
        self, request: Request, namespace: str | None, name: str | None
    ) -> tuple[int, dict[str, Any]]:
        deployments = RESOURCES["deployments"]
        current = self._existing(deployments, namespace, name or "")
        scale = scale_of(current)
        if request.method == "GET":
            return 200, scale
        if request.method not in {"PATCH", "PUT"}:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} on scale")
        body = body_json(request)
        if (
            request.method == "PATCH"
            and request.mimetype == "application/json-patch+json"
        ):
            wanted = json_patch(scale, body)  # type: ignore[arg-type]
        else:
            wanted = merge_patch(scale, body)
        replicas = wanted.get("spec", {}).get("replicas")
        if not isinstance(replicas, int) or replicas < 0:
            raise ApiError(
                422,
                "Invalid",
                f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
                f"{replicas}: must be greater than or equal to 0",
            )
        # No controller runs here, so status follows spec at once.
        current["spec"]["replicas"] = replicas
        current.setdefault("status", {})["replicas"] = replicas
        stored = self._store(deployments, namespace or "", current)
        return 200, scale_of(stored)

    def _store(
        self, resource: Resource, namespace: str, obj: dict[str, Any]
    ) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            meta["namespace"] = namespace
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now())
        meta["resourceVersion"] = str(next(self._versions))
        self.objects[(resource.plural, namespace, meta["name"])] = obj
        return obj
