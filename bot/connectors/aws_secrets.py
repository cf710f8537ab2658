"""Secrets Manager containment: put a new random value as the current version."""

from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from bot.connectors.aws_errors import aws_errors, value_redacted
from bot.containment.steps import StepOutcome, StepSpec

logger = logging.getLogger(__name__)


def version_stages(sm: Any, secret_id: str) -> dict[str, list[str]]:
    """Read the secret's version ids and their staging labels (never the value)."""
    with aws_errors(
        f"secretsmanager:DescribeSecret for {secret_id}",
        missing=f"secret {secret_id} exists in the region containbot uses "
        "(AWS_DEFAULT_REGION) and the catalog names it right",
    ):
        described = sm.describe_secret(SecretId=secret_id)
    return {
        version: list(stages)
        for version, stages in described.get("VersionIdsToStages", {}).items()
    }


def current_version(stages: dict[str, list[str]]) -> str | None:
    """Return the version id labelled AWSCURRENT."""
    return next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)


def rotate_calls(sm: Any, step: StepSpec) -> list[str]:
    """List the calls that rotating the secret would make."""
    secret_id = step.params["secret_id"]
    # A read confirms the secret exists before anyone approves.
    version_stages(sm, secret_id)
    return [
        f"secretsmanager:DescribeSecret SecretId={secret_id}",
        f"secretsmanager:PutSecretValue SecretId={secret_id} "
        "ClientRequestToken=<new uuid> SecretString=<new random value, not shown> "
        "VersionStages=[AWSCURRENT]",
        f"secretsmanager:DescribeSecret SecretId={secret_id}",
    ]


def rotate(sm: Any, step: StepSpec) -> StepOutcome:
    """Make a new random value AWSCURRENT, then read the version stages back."""
    secret_id = step.params["secret_id"]
    before = current_version(version_stages(sm, secret_id))

    version = str(uuid.uuid4())
    value = secrets.token_urlsafe(32)
    with (
        value_redacted(value),
        aws_errors(
            f"secretsmanager:PutSecretValue for {secret_id}",
            missing=f"secret {secret_id} exists and is not scheduled for deletion",
        ),
    ):
        sm.put_secret_value(
            SecretId=secret_id,
            ClientRequestToken=version,
            SecretString=value,
            VersionStages=["AWSCURRENT"],
        )
    del value
    logger.info("Rotated secret %s to version %s", secret_id, version)

    stages = version_stages(sm, secret_id)
    after = current_version(stages)
    evidence = {
        "secret_id": secret_id,
        "previous_version": before,
        "current_version": after,
        "version_stages": stages,
    }
    if after != version or after == before:
        detail = (
            f"Secret {secret_id} reads back AWSCURRENT={after}, expected {version}."
        )
        return StepOutcome(ok=False, detail=detail, evidence=evidence)
    detail = (
        f"Secret {secret_id} has a new AWSCURRENT version {after} "
        f"(was {before}); the old value is AWSPREVIOUS."
    )
    return StepOutcome(ok=True, detail=detail, evidence=evidence)
