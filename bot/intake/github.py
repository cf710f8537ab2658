"""Read GitHub `secret_scanning_alert` webhooks, and check GitHub's signature.

A secret committed to a repository is a compromised identity: whoever can read the
repository can call APIs with it. Each alert gives one `leaked_secret` key,
`OWNER/REPO:SECRET_TYPE` (for example `acme/billing:aws_access_key_id`), which a
catalog entry can claim for the secrets its workload keeps in that repository.
The alert number is in the external id, `OWNER/REPO#NUMBER`, so every action on
one alert (created, reopened, resolved, …) refers to the same thing.

Every action is parsed and put in `details["action"]`; `resolved` and `validated`
report a change to a known leak rather than a new one, and the caller decides what
they do to an open incident. The secret itself (`alert.secret`, present in some
deliveries and in the REST API) is never read: only named fields are copied.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from bot.errors import AlertRejected
from bot.intake.fields import json_object, labelled_items, short, text
from bot.intake.model import IdentityKey, KeyKind, ParsedAlert

SOURCE = "github"
SIGNATURE_HEADER = "X-Hub-Signature-256"


def verify_github_signature(body: bytes, header: str | None, secret: str) -> bool:
    """Return whether `header` is GitHub's `sha256=<hex>` HMAC of `body`."""
    if not header or not secret:
        return False
    scheme, _, given = header.strip().partition("=")
    if scheme != "sha256" or not given:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # Compare bytes: compare_digest refuses str holding non-ASCII characters.
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def alerts_from(
    documents: list[tuple[str, Any]], received_at: datetime
) -> list[ParsedAlert]:
    """Parse decoded webhook payloads into one alert per payload."""
    return [
        _alert(payload, label, received_at)
        for where, document in documents
        for label, payload in labelled_items(where, document)
    ]


def _alert(payload: Any, label: str, received_at: datetime) -> ParsedAlert:
    alert, repository, action = _checked(payload, label)
    number = alert["number"]
    secret_type = text(alert["secret_type"])
    display = text(alert.get("secret_type_display_name")) or secret_type
    details = _describe(payload, alert, repository, action)

    detected_at = _detected_at(alert, label)
    if detected_at is None:
        detected_at = received_at
        details["time"] = "received"
    return ParsedAlert(
        source=SOURCE,
        title=f"{display} leaked in {repository}",
        severity=_severity(action, alert),
        detected_at=detected_at,
        summary=(
            f"GitHub secret scanning alert #{number} ({action}): a secret of type "
            f"{display} was committed to {repository}."
        ),
        keys=(IdentityKey(KeyKind.LEAKED_SECRET, f"{repository}:{secret_type}"),),
        external_id=f"{repository}#{number}",
        details=details,
    )


def _checked(payload: Any, label: str) -> tuple[dict[str, Any], str, str]:
    """Return the alert, repository name and action, or refuse the payload."""
    if not isinstance(payload, dict):
        raise AlertRejected(
            f"{label} is not a JSON object; expected a secret_scanning_alert webhook"
        )
    if "zen" in payload and "hook_id" in payload:
        raise AlertRejected(
            f"{label} is GitHub's ping event, sent once when a webhook is created; "
            "it carries no alert"
        )
    alert = payload.get("alert")
    if not isinstance(alert, dict):
        raise AlertRejected(
            f"{label} has no 'alert' object; expected a secret_scanning_alert webhook"
        )
    if "location" in payload:
        raise AlertRejected(
            f"{label} is a secret_scanning_alert_location event; subscribe the "
            "webhook to 'Secret scanning alerts' only"
        )
    if not text(alert.get("secret_type")):
        # Code scanning and Dependabot alerts also arrive as "alert" objects.
        raise AlertRejected(
            f"{label}: alert.secret_type is missing; only secret_scanning_alert "
            "webhooks are accepted here"
        )
    number = alert.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise AlertRejected(f"{label}: alert.number must be an integer")
    repository = text(json_object(payload.get("repository")).get("full_name"))
    if not repository:
        raise AlertRejected(f"{label}: repository.full_name is missing")
    action = text(payload.get("action"))
    if not action:
        raise AlertRejected(f"{label}: action is missing")
    return alert, repository, action


def _describe(
    payload: dict[str, Any], alert: dict[str, Any], repository: str, action: str
) -> dict[str, str]:
    """Collect the short facts a responder reads first, never the secret."""
    facts = {
        "action": action,
        "repository": repository,
        "alert_number": alert.get("number"),
        "secret_type": alert.get("secret_type"),
        "secret_type_display_name": alert.get("secret_type_display_name"),
        "html_url": alert.get("html_url"),
        "validity": alert.get("validity"),
        "publicly_leaked": alert.get("publicly_leaked"),
        "push_protection_bypassed": alert.get("push_protection_bypassed"),
        "resolution": alert.get("resolution"),
        "resolved_by": json_object(alert.get("resolved_by")).get("login"),
        "sender": json_object(payload.get("sender")).get("login"),
    }
    details: dict[str, str] = {}
    for name, value in facts.items():
        if value is None or value == "" or isinstance(value, dict | list):
            continue
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        details[name] = short(shown)
    return details


def _severity(action: str, alert: dict[str, Any]) -> str:
    """Rate a leak: critical when public or confirmed live, low once resolved."""
    if action == "resolved":
        return "low"
    public = action == "publicly_leaked" or alert.get("publicly_leaked") is True
    if public or alert.get("validity") == "active":
        return "critical"
    return "high"


def _detected_at(alert: dict[str, Any], label: str) -> datetime | None:
    """Return when the alert last changed (`updated_at`), else when it was made."""
    for field in ("updated_at", "created_at"):
        value = alert.get(field)
        if value in (None, ""):
            continue
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise AlertRejected(
                f"{label}: alert.{field} {value!r} is not an ISO 8601 time"
            ) from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None
