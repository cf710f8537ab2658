"""Settings, read once from the environment (and `.env`), failing fast."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv
from pydantic import SecretStr

from bot.errors import SettingsError

DEFAULT_DATABASE_URL = "sqlite:///containbot.db"

# Intake sources that each carry their own shared secret.
INTAKE_SOURCES = ("guardduty", "falco", "securityhub", "github", "generic")


@dataclass(frozen=True)
class Settings:
    """Everything containbot reads from its environment, secrets masked in repr."""

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    catalog_path: Path = Path("catalog.yml")
    intake_secrets: dict[str, SecretStr] = field(default_factory=dict)
    security_oncall: str | None = None
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    dry_run: bool = False
    # Activity logs (files, folders, s3://bucket/prefix) read when an incident opens.
    evidence_paths: tuple[str, ...] = ()
    evidence_lookback_hours: int = 24
    evidence_secret: SecretStr | None = None

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, *, dotenv: bool = True
    ) -> Settings:
        """Build settings from `env` (default: the process environment and .env)."""
        if env is None:
            if dotenv:
                load_dotenv(override=False)
            env = dict(os.environ)

        def required(name: str, purpose: str) -> SecretStr:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"{name} is not set: it is {purpose}.")
            return SecretStr(value)

        def optional_secret(name: str) -> SecretStr | None:
            value = env.get(name, "").strip()
            return SecretStr(value) if value else None

        intake_secrets = {}
        for source in INTAKE_SOURCES:
            secret = optional_secret(f"CONTAINBOT_INTAKE_SECRET_{source.upper()}")
            if secret is not None:
                intake_secrets[source] = secret

        return cls(
            slack_bot_token=required(
                "SLACK_BOT_TOKEN",
                "the bot token (xoxb-...) from the app's install page",
            ),
            slack_signing_secret=required(
                "SLACK_SIGNING_SECRET",
                "the signing secret from the app's Basic Information page, "
                "used to verify every request from Slack",
            ),
            slack_app_token=optional_secret("SLACK_APP_TOKEN"),
            slack_api_url=env.get("SLACK_API_URL") or None,
            database_url=env.get("CONTAINBOT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            catalog_path=Path(env.get("CONTAINBOT_CATALOG") or "catalog.yml"),
            intake_secrets=intake_secrets,
            security_oncall=env.get("CONTAINBOT_SECURITY_ONCALL") or None,
            aws_endpoint_url=env.get("CONTAINBOT_AWS_ENDPOINT_URL") or None,
            aws_region=env.get("AWS_DEFAULT_REGION") or "us-east-1",
            dry_run=_flag(env.get("CONTAINBOT_DRY_RUN", "")),
            evidence_paths=tuple(
                p.strip()
                for p in env.get("CONTAINBOT_EVIDENCE", "").split(",")
                if p.strip()
            ),
            evidence_lookback_hours=_number(
                env, "CONTAINBOT_EVIDENCE_LOOKBACK_HOURS", 24
            ),
            evidence_secret=optional_secret("CONTAINBOT_INTAKE_SECRET_EVIDENCE"),
        )


def _number(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise SettingsError(f"{name} must not be negative")
    return number


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}
