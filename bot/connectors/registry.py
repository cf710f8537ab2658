"""Connectors by name, and running one step through the right one."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.connectors.aws import AwsConnector
from bot.connectors.kubernetes import KubernetesConnector
from bot.connectors.spire import SpireConnector
from bot.connectors.vault import VaultConnector
from bot.connectors.webhook import WebhookConnector
from bot.containment.steps import Connector, StepOutcome, StepSpec
from bot.errors import ConnectorError
from bot.settings import Settings

logger = logging.getLogger(__name__)

# What an operator does about a connector the plan names but this process lacks.
_HOW_TO_CONFIGURE = {
    "aws": "give containbot AWS credentials through boto3's standard chain "
    "(AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance "
    "role) and set AWS_DEFAULT_REGION",
    "kubernetes": "set CONTAINBOT_KUBECONFIG (and CONTAINBOT_KUBE_CONTEXT) to a "
    "kubeconfig for the cluster, or CONTAINBOT_KUBE_IN_CLUSTER=1 when containbot "
    "runs in it",
    "vault": "set CONTAINBOT_VAULT_ADDR and VAULT_TOKEN (a token whose policy "
    "allows the revocation paths in docs/connectors.md)",
    "spire": "set CONTAINBOT_SPIRE_SERVER_BIN to the spire-server binary and "
    "CONTAINBOT_SPIRE_SOCKET to the server API socket",
    "webhook": "set CONTAINBOT_WEBHOOK_URL and CONTAINBOT_WEBHOOK_SECRET (the "
    "receiver's contract is in docs/connectors.md)",
}
_NOT_BUILT = (
    "this version of containbot has no {name} connector, so the owning team must "
    "make this change by hand"
)


class Connectors:
    """The connectors this process can run, looked up by a step's `connector`."""

    def __init__(self, connectors: Mapping[str, Connector] | None = None) -> None:
        self._by_name: dict[str, Connector] = dict(connectors or {})

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def get(self, name: str) -> Connector | None:
        return self._by_name.get(name)

    def run(self, step: StepSpec, now: datetime, dry_run: bool = False) -> StepOutcome:
        """Run (or dry-run) `step`; failures come back as a failed outcome."""
        connector = self._by_name.get(step.connector)
        if connector is None:
            return _not_configured(step)

        try:
            if dry_run:
                calls = connector.dry_run(step, now=now)
                outcome = StepOutcome(
                    ok=True, detail="\n".join(calls), evidence={"dry_run": calls}
                )
            else:
                outcome = connector.execute(step, now=now)
        except ConnectorError as err:
            outcome = StepOutcome(ok=False, detail=str(err))

        logger.info(
            "Step %s %s: ok=%s", step.key, "dry run" if dry_run else "run", outcome.ok
        )
        return outcome

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the calls `step` would make, or one line saying why it cannot."""
        outcome = self.run(step, now, dry_run=True)
        return outcome.detail.splitlines() if outcome.ok else [outcome.detail]

    def undo(
        self, step: StepSpec, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Reverse `step` using the evidence its run returned."""
        connector = self._by_name.get(step.connector)
        if connector is None:
            return _not_configured(step)
        if not step.reversible:
            return StepOutcome(ok=False, detail=f"{step.key} cannot be undone.")
        undo = getattr(connector, "undo", None)
        if undo is None:
            return StepOutcome(
                ok=False, detail=f"The {step.connector} connector cannot undo steps."
            )

        try:
            outcome: StepOutcome = undo(step, evidence=evidence)
        except ConnectorError as err:
            outcome = StepOutcome(ok=False, detail=str(err))
        logger.info("Step %s undo: ok=%s", step.key, outcome.ok)
        return outcome


def build_connectors(settings: Settings) -> Connectors:
    """Build every connector the settings allow."""
    # AWS credentials are resolved lazily by boto3 at the first call, so a
    # missing credential shows up as a failed step that says what to set.
    aws = AwsConnector(
        endpoint_url=settings.aws_endpoint_url, region=settings.aws_region
    )
    built: dict[str, Connector] = {aws.name: aws}
    # The others only when configured; a step for a missing one reports how to
    # configure it.
    if settings.kube_config is not None or settings.kube_in_cluster:
        built["kubernetes"] = KubernetesConnector(
            kubeconfig=settings.kube_config,
            context=settings.kube_context,
            in_cluster=settings.kube_in_cluster,
        )
    if settings.vault_addr and settings.vault_token is not None:
        built["vault"] = VaultConnector.from_settings(
            settings.vault_addr, settings.vault_token.get_secret_value()
        )
    if settings.spire_server_bin:
        built["spire"] = SpireConnector(
            settings.spire_server_bin, settings.spire_socket
        )
    if settings.webhook_url and settings.webhook_secret is not None:
        built["webhook"] = WebhookConnector(
            settings.webhook_url, settings.webhook_secret.get_secret_value()
        )
    return Connectors(built)


def _not_configured(step: StepSpec) -> StepOutcome:
    how = _HOW_TO_CONFIGURE.get(step.connector, _NOT_BUILT.format(name=step.connector))
    logger.warning("Step %s needs the %s connector", step.key, step.connector)
    return StepOutcome(
        ok=False,
        detail=f"The {step.connector} connector is not configured: {how}. "
        f"The step was: {step.change}",
    )
