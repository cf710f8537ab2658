"""Kubernetes failures say what to check; settings build every connector."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.catalog import load_catalog
from bot.connectors import build_connectors
from bot.connectors.kubernetes import KubernetesConnector
from bot.containment.plan import build_plan, stop_step
from bot.containment.steps import StepSpec
from bot.devtools.standins import KubernetesStandin
from bot.errors import ConnectorError
from bot.settings import Settings
from tests.connectors.kubernetes_fixtures import (  # noqa: F401
    TOKEN,
    api_client,
    cluster,
    kubeconfig,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "examples" / "catalog.yml"
NOW = datetime(2026, 12, 3, 14, 10, tzinfo=UTC)


def checkout_steps() -> dict[str, StepSpec]:
    catalog = load_catalog(EXAMPLE)
    workload = catalog.get("checkout-api")
    assert workload is not None
    plan = build_plan(workload, catalog, now=NOW) + [stop_step(workload)]
    return {step.action: step for step in plan}


def test_missing_namespace_is_named(cluster: KubernetesStandin) -> None:  # noqa: F811
    kube = KubernetesConnector(api_client(cluster.url))
    steps = checkout_steps()
    revoke = replace(
        steps["revoke_service_account_tokens"],
        params={"namespace": "ghost", "service_account": "checkout"},
    )
    isolate = replace(
        steps["isolate_network"], params={"namespace": "ghost", "pod_labels": "app=x"}
    )

    with pytest.raises(ConnectorError) as revoked:
        kube.execute(revoke, now=NOW)
    with pytest.raises(ConnectorError) as isolated:
        kube.execute(isolate, now=NOW)

    assert 'serviceaccounts "checkout" not found' in str(revoked.value)
    assert "namespace ghost and service account checkout exist" in str(revoked.value)
    assert 'namespaces "ghost" not found' in str(isolated.value)


def test_forbidden_verb_is_explained(
    cluster: KubernetesStandin,  # noqa: F811
) -> None:
    cluster.forbidden.add(("delete", "secrets"))
    kube = KubernetesConnector(api_client(cluster.url))

    with pytest.raises(ConnectorError) as raised:
        kube.execute(checkout_steps()["revoke_service_account_tokens"], now=NOW)

    message = str(raised.value)
    assert 'cannot delete resource "secrets"' in message
    assert "Grant the verb in the ClusterRole" in message


def test_wrong_token_is_a_credentials_error(cluster: KubernetesStandin) -> None:  # noqa: F811
    kube = KubernetesConnector(api_client(cluster.url, token="expired"))

    with pytest.raises(ConnectorError, match="401 Unauthorized"):
        kube.dry_run(checkout_steps()["isolate_network"], now=NOW)


def test_step_without_pods_says_to_fix_the_catalog() -> None:
    kube = KubernetesConnector(api_client("http://127.0.0.1:9"))
    step = replace(checkout_steps()["isolate_network"], params={"namespace": "shop"})

    with pytest.raises(ConnectorError, match="pod_labels or pod_prefix"):
        kube.execute(step, now=NOW)


def test_unreachable_api_server() -> None:
    kube = KubernetesConnector(api_client("http://127.0.0.1:9"))

    with pytest.raises(ConnectorError, match="cannot reach the Kubernetes API server"):
        kube.execute(checkout_steps()["scale_to_zero"], now=NOW)


def test_no_token_or_secret_value_in_logs_or_evidence(
    cluster: KubernetesStandin,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    kube = KubernetesConnector(api_client(cluster.url))
    outcomes = [kube.execute(step, now=NOW) for step in checkout_steps().values()]

    text = caplog.text + repr(outcomes)
    assert all(o.ok for o in outcomes), outcomes
    assert TOKEN not in text
    assert "c2VjcmV0LXRva2Vu" not in text  # the token secret's data


def test_build_connectors_from_settings_runs_the_whole_plan(
    cluster: KubernetesStandin,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-test"),
        slack_signing_secret=SecretStr("test"),
        kube_config=kubeconfig(tmp_path / "kubeconfig", cluster.url),
        kube_context="standin",
    )
    connectors = build_connectors(settings)

    outcomes = [connectors.run(step, NOW) for step in checkout_steps().values()]

    assert "kubernetes" in connectors
    assert "vault" not in connectors and "webhook" not in connectors
    assert all(o.ok for o in outcomes), [o.detail for o in outcomes]


def test_settings_read_connector_variables_and_mask_secrets(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "CONTAINBOT_KUBECONFIG": str(tmp_path / "kc"),
            "CONTAINBOT_KUBE_CONTEXT": "prod",
            "CONTAINBOT_VAULT_ADDR": "https://vault.internal:8200",
            "VAULT_TOKEN": "hvs.do-not-print",
            "CONTAINBOT_SPIRE_SERVER_BIN": "/opt/spire/bin/spire-server",
            "CONTAINBOT_SPIRE_SOCKET": "/run/spire/api.sock",
            "CONTAINBOT_WEBHOOK_URL": "https://soar.internal/containbot",
            "CONTAINBOT_WEBHOOK_SECRET": "whsec-do-not-print",
        },
        dotenv=False,
    )

    connectors = build_connectors(settings)

    assert settings.kube_context == "prod"
    assert "hvs.do-not-print" not in repr(settings)
    assert "whsec-do-not-print" not in repr(settings)
    assert all(
        name in connectors for name in ("kubernetes", "vault", "spire", "webhook")
    )


def test_unconfigured_connectors_say_which_variables_to_set() -> None:
    from bot.connectors import Connectors

    steps = checkout_steps()
    outcome = Connectors().run(steps["isolate_network"], NOW)

    assert not outcome.ok
    assert "CONTAINBOT_KUBECONFIG" in outcome.detail
