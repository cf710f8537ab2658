"""The AWS connector: IAM and Secrets Manager through boto3."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

from bot.connectors import aws_iam, aws_secrets
from bot.containment.steps import StepOutcome, StepSpec
from bot.errors import ConnectorError

logger = logging.getLogger(__name__)

ACTIONS = ("deactivate_access_keys", "revoke_role_sessions", "rotate_secret")

# Containment must not hang on a slow endpoint; standard retries absorb throttling.
_CLIENT_CONFIG = Config(
    connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 4}
)


class AwsConnector:
    """Run containment steps against AWS with credentials from boto3's chain."""

    name = "aws"

    def __init__(
        self,
        session: boto3.Session | None = None,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
    ) -> None:
        # Credentials come from the session or boto3's default chain, never from
        # the catalog.
        self._session = session or boto3.Session(region_name=region)
        self._endpoint_url = endpoint_url
        self._region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def dry_run(self, step: StepSpec, *, now: datetime) -> list[str]:
        """Return the exact API calls `execute` would make, one per line."""
        action = self._action(step)
        if action == "deactivate_access_keys":
            return aws_iam.deactivate_calls(self._client("iam"), step)
        if action == "revoke_role_sessions":
            return aws_iam.revoke_calls(step, now)
        return aws_secrets.rotate_calls(self._client("secretsmanager"), step)

    def execute(self, step: StepSpec, *, now: datetime) -> StepOutcome:
        """Apply the step idempotently, then read its effect back."""
        action = self._action(step)
        logger.info("Running %s on %s", step.key, step.target)
        if action == "deactivate_access_keys":
            return aws_iam.deactivate_keys(self._client("iam"), step)
        if action == "revoke_role_sessions":
            return aws_iam.revoke_sessions(self._client("iam"), step, now)
        return aws_secrets.rotate(self._client("secretsmanager"), step)

    def undo(
        self, step: StepSpec, *, evidence: Mapping[str, Any] | None = None
    ) -> StepOutcome:
        """Reverse a step that ran; `evidence` is what its `execute` returned."""
        action = self._action(step)
        logger.info("Undoing %s on %s", step.key, step.target)
        if action == "deactivate_access_keys":
            return aws_iam.reactivate_keys(self._client("iam"), step, evidence)
        if action == "revoke_role_sessions":
            return aws_iam.remove_revocation(self._client("iam"), step)
        return StepOutcome(
            ok=False,
            detail=f"Rotating {step.target} cannot be undone: the old value is "
            "compromised. It stays available as AWSPREVIOUS until the next rotation.",
        )

    def _action(self, step: StepSpec) -> str:
        if step.connector != self.name or step.action not in ACTIONS:
            raise ConnectorError(
                f"The aws connector cannot run {step.connector}.{step.action}; "
                f"it runs {', '.join(ACTIONS)}."
            )
        return step.action

    def _client(self, service: str) -> Any:
        # Steps run in parallel; boto3 sessions are not safe to share while
        # creating clients, though the clients themselves are.
        with self._lock:
            if service in self._clients:
                return self._clients[service]
            self._clients[service] = self._session.client(
                service,
                region_name=self._region,
                endpoint_url=self._endpoint_url,
                config=_CLIENT_CONFIG,
            )
        return self._clients[service]
