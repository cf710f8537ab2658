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
    # Incident channels are private: they name the compromised identity.
    private_channels: bool = True
    # Activity logs (files, folders, s3://bucket/prefix) read when an incident opens.
    evidence_paths: tuple[str, ...] = ()
    evidence_lookback_hours: int = 24
    evidence_secret: SecretStr | None = None
    # Escalation: minutes after the first page at which the fallback owner, the
    # approver and security on-call are paged; then the ladder repeats.
    escalation_minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    escalation_repeats: int = 2
    # Faster (or slower) ladders per catalog criticality, e.g. customer-facing.
    escalation_by_criticality: dict[str, tuple[float, ...]] = field(
        default_factory=dict
    )
    approval_timeout_minutes: float = 15.0
    stalled_step_minutes: float = 10.0
    pagerduty_routing_key: SecretStr | None = None
    # Routing keys per Slack user group id of a workload's team.
    pagerduty_team_keys: dict[str, SecretStr] = field(default_factory=dict)
    pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    # The scheduler's leader lease; a dead leader is replaced within ttl + renew.
    lease_ttl_seconds: float = 15.0
    lease_renew_seconds: float = 5.0
    # How often the leader re-checks every open incident (failed pages, handoffs).
    sweep_seconds: float = 30.0
    # A page sent later than this after it was due says it is late.
    late_after_seconds: float = 60.0
    # Connectors beyond AWS; each is built only when its settings are present.
    kube_config: Path | None = None
    kube_context: str | None = None
    kube_in_cluster: bool = False
    vault_addr: str | None = None
    vault_token: SecretStr | None = None
    spire_server_bin: str | None = None
    spire_socket: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None

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
            private_channels=_flag(env.get("CONTAINBOT_PRIVATE_CHANNELS", "true")),
            evidence_paths=tuple(
                p.strip()
                for p in env.get("CONTAINBOT_EVIDENCE", "").split(",")
                if p.strip()
            ),
            evidence_lookback_hours=_number(
                env, "CONTAINBOT_EVIDENCE_LOOKBACK_HOURS", 24
            ),
            evidence_secret=optional_secret("CONTAINBOT_INTAKE_SECRET_EVIDENCE"),
            escalation_minutes=_minutes(env, "CONTAINBOT_ESCALATION_MINUTES")
            or (5.0, 10.0, 15.0),
            escalation_repeats=_number(env, "CONTAINBOT_ESCALATION_REPEATS", 2),
            escalation_by_criticality={
                name.removeprefix(_CRITICALITY_PREFIX).lower().replace("_", "-"): (
                    _minutes(env, name)
                )
                for name in env
                if name.startswith(_CRITICALITY_PREFIX) and env[name].strip()
            },
            approval_timeout_minutes=_positive(
                env, "CONTAINBOT_APPROVAL_TIMEOUT_MINUTES", 15.0
            ),
            stalled_step_minutes=_positive(
                env, "CONTAINBOT_STALLED_STEP_MINUTES", 10.0
            ),
            pagerduty_routing_key=optional_secret("CONTAINBOT_PAGERDUTY_ROUTING_KEY"),
            pagerduty_team_keys={
                name.removeprefix(_PAGERDUTY_TEAM_PREFIX): SecretStr(env[name].strip())
                for name in env
                if name.startswith(_PAGERDUTY_TEAM_PREFIX) and env[name].strip()
            },
            pagerduty_url=env.get("CONTAINBOT_PAGERDUTY_URL")
            or "https://events.pagerduty.com/v2/enqueue",
            lease_ttl_seconds=_positive(env, "CONTAINBOT_LEASE_TTL_SECONDS", 15.0),
            lease_renew_seconds=_positive(env, "CONTAINBOT_LEASE_RENEW_SECONDS", 5.0),
            sweep_seconds=_positive(env, "CONTAINBOT_SWEEP_SECONDS", 30.0),
            late_after_seconds=_positive(env, "CONTAINBOT_LATE_AFTER_SECONDS", 60.0),
            kube_config=Path(env["CONTAINBOT_KUBECONFIG"])
            if env.get("CONTAINBOT_KUBECONFIG", "").strip()
            else None,
            kube_context=env.get("CONTAINBOT_KUBE_CONTEXT") or None,
            kube_in_cluster=_flag(env.get("CONTAINBOT_KUBE_IN_CLUSTER", "")),
            vault_addr=env.get("CONTAINBOT_VAULT_ADDR") or None,
            vault_token=optional_secret("VAULT_TOKEN"),
            spire_server_bin=env.get("CONTAINBOT_SPIRE_SERVER_BIN") or None,
            spire_socket=env.get("CONTAINBOT_SPIRE_SOCKET") or None,
            webhook_url=env.get("CONTAINBOT_WEBHOOK_URL") or None,
            webhook_secret=optional_secret("CONTAINBOT_WEBHOOK_SECRET"),
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


_CRITICALITY_PREFIX = "CONTAINBOT_ESCALATION_MINUTES_"
_PAGERDUTY_TEAM_PREFIX = "CONTAINBOT_PAGERDUTY_ROUTING_KEY_"


def _minutes(env: dict[str, str], name: str) -> tuple[float, ...]:
    """Parse "5,10,15" into rising minutes after the first page; () when unset."""
    value = env.get(name, "").strip()
    if not value:
        return ()
    try:
        minutes = tuple(float(part) for part in value.split(","))
    except ValueError:
        raise SettingsError(
            f"{name} must be rising minutes separated by commas, such as 5,10,15"
        ) from None
    if any(m <= 0 for m in minutes) or list(minutes) != sorted(set(minutes)):
        raise SettingsError(f"{name} must be positive minutes in rising order")
    return minutes


def _positive(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {value!r}") from None
    if number <= 0:
        raise SettingsError(f"{name} must be greater than zero")
    return number
