"""Turn Kubernetes client failures into `ConnectorError`s that say what to check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from kubernetes.client.exceptions import ApiException
from kubernetes.config import ConfigException
from urllib3.exceptions import HTTPError

from bot.errors import ConnectorError

# Every call gets a connect and a read timeout: containment must not hang.
TIMEOUT = (5, 20)


def status_message(exc: ApiException) -> str:
    """Return the message of the `Status` object the API server answered with."""
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or exc.reason or "no message").rstrip(". ")


@contextmanager
def k8s_errors(what: str, *, missing: str) -> Iterator[None]:
    """Raise `ConnectorError` naming `what` failed; `missing` says what to check."""
    try:
        yield
    except ApiException as exc:
        raise ConnectorError(_describe(what, exc, missing)) from exc
    except ConfigException as exc:
        raise ConnectorError(
            f"{what} failed: the Kubernetes configuration cannot be loaded ({exc}). "
            "Check CONTAINBOT_KUBECONFIG and CONTAINBOT_KUBE_CONTEXT, or run "
            "containbot in the cluster with CONTAINBOT_KUBE_IN_CLUSTER=1."
        ) from exc
    except HTTPError as exc:
        raise ConnectorError(
            f"{what} failed: cannot reach the Kubernetes API server ({exc}). Check "
            "the network path to it and the server address in the kubeconfig."
        ) from exc


def _describe(what: str, exc: ApiException, missing: str) -> str:
    message = status_message(exc)
    if exc.status == 404:
        return f"{what} failed: {message}. Check that {missing}."
    if exc.status == 401:
        return (
            f"{what} failed: the API server rejected containbot's credentials (401 "
            "Unauthorized). Check the kubeconfig user, or the service account token "
            "when running in the cluster."
        )
    if exc.status == 403:
        return (
            f"{what} failed: containbot's Kubernetes identity is not allowed to do "
            f"this ({message}). Grant the verb in the ClusterRole bound to it; "
            "docs/connectors.md lists what each step needs."
        )
    if exc.status == 409:
        return (
            f"{what} failed: {message}. Someone changed the object at the same "
            "time; run the step again."
        )
    if exc.status == 422:
        return f"{what} failed: the API server rejected the object ({message})."
    return f"{what} failed: HTTP {exc.status}: {message}"


def is_missing(exc: ApiException) -> bool:
    """Tell whether an API error means the object is not there."""
    return exc.status == 404
