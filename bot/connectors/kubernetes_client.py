"""Build the official Kubernetes client from a kubeconfig or in-cluster config."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client, config

from bot.connectors.kubernetes_errors import k8s_errors


@dataclass(frozen=True)
class KubeApis:
    """The typed API groups containbot calls, sharing one `ApiClient`."""

    api_client: client.ApiClient
    core: client.CoreV1Api
    rbac: client.RbacAuthorizationV1Api
    networking: client.NetworkingV1Api
    apps: client.AppsV1Api

    @classmethod
    def of(cls, api_client: client.ApiClient) -> KubeApis:
        return cls(
            api_client=api_client,
            core=client.CoreV1Api(api_client),
            rbac=client.RbacAuthorizationV1Api(api_client),
            networking=client.NetworkingV1Api(api_client),
            apps=client.AppsV1Api(api_client),
        )

    @property
    def host(self) -> str:
        return str(self.api_client.configuration.host)

    def plain(self, obj: Any) -> Any:
        """Return a client model as the JSON the API server sent (camelCase keys)."""
        return self.api_client.sanitize_for_serialization(obj)


def load_api_client(
    kubeconfig: Path | None, context: str | None, in_cluster: bool
) -> client.ApiClient:
    """Build an `ApiClient` from a kubeconfig file, or from the pod's own config."""
    with k8s_errors("Loading the Kubernetes configuration", missing="it exists"):
        if kubeconfig is not None:
            return config.new_client_from_config(
                config_file=str(kubeconfig), context=context
            )
        if in_cluster:
            configuration = client.Configuration()
            config.load_incluster_config(client_configuration=configuration)
            return client.ApiClient(configuration)
        # The default kubeconfig (~/.kube/config), with the context if one is named.
        return config.new_client_from_config(context=context)
