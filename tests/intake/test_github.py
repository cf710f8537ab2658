"""GitHub secret scanning webhooks: the key, the dropped secret, every refusal."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from bot.intake.github import verify_github_signature
from bot.intake.model import KeyKind
from tests.conftest import CORPUS
from tests.intake.helpers import NOW, keys, parse_as, rejection

FOLDER = CORPUS / "github-secret-scanning"
SECRET = "ghp_0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX"
K = KeyKind

# Every file in the corpus folder, with the keys of each alert it yields.
CORPUS_KEYS: dict[str, list[list[tuple[KeyKind, str]]]] = {
    # octokit's example: an Adafruit IO key reopened in Codertocat/Hello-World.
    "reopened.payload.json": [
        [(K.LEAKED_SECRET, "Codertocat/Hello-World:adafruit_io_key")]
    ],
}


parse = partial(parse_as, "github")
reject = partial(rejection, "github")


def payload(action: str = "created", **alert: Any) -> dict[str, Any]:
    return {
        "action": action,
        "alert": {
            "number": 7,
            "secret_type": "github_personal_access_token",
            "secret_type_display_name": "GitHub Personal Access Token",
            "created_at": "2026-12-03T14:00:00Z",
            "updated_at": "2026-12-03T14:05:00Z",
            "html_url": "https://github.com/acme/billing/security/secret-scanning/7",
            **alert,
        },
        "repository": {"full_name": "acme/billing"},
        "sender": {"login": "octo-dev"},
    }


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_corpus_expectations_cover_every_file() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(CORPUS_KEYS)


@pytest.mark.parametrize("name", sorted(CORPUS_KEYS))
def test_corpus_file_yields_exact_keys(name: str) -> None:
    alerts = parse((FOLDER / name).read_bytes())

    assert [keys(alert) for alert in alerts] == CORPUS_KEYS[name]


def test_corpus_reopened_alert_fields() -> None:
    (alert,) = parse((FOLDER / "reopened.payload.json").read_bytes())

    assert alert.source == "github"
    assert alert.title == "adafruit_io_key leaked in Codertocat/Hello-World"
    assert alert.severity == "high"
    assert alert.external_id == "Codertocat/Hello-World#191"
    # The example alert carries no times, so the arrival time stands in.
    assert alert.detected_at == NOW
    assert alert.details == {
        "action": "reopened",
        "repository": "Codertocat/Hello-World",
        "alert_number": "191",
        "secret_type": "adafruit_io_key",
        "sender": "Codertocat",
        "time": "received",
    }


def test_created_alert_fields() -> None:
    (alert,) = parse(payload(validity="unknown", push_protection_bypassed=False))

    assert keys(alert) == [
        (K.LEAKED_SECRET, "acme/billing:github_personal_access_token")
    ]
    assert alert.title == "GitHub Personal Access Token leaked in acme/billing"
    assert alert.summary == (
        "GitHub secret scanning alert #7 (created): a secret of type GitHub "
        "Personal Access Token was committed to acme/billing."
    )
    assert alert.detected_at == datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    assert alert.details["push_protection_bypassed"] == "false"
    assert alert.details["validity"] == "unknown"
    assert alert.details["html_url"].endswith("/secret-scanning/7")


def test_the_secret_itself_is_never_kept() -> None:
    (alert,) = parse(payload(secret=SECRET))

    assert SECRET not in json.dumps(alert.to_json())
    assert SECRET not in repr(alert)
    assert all(SECRET not in value for value in alert.details.values())
    assert "secret" not in alert.details


@pytest.mark.parametrize(
    ("action", "extra", "severity"),
    [
        ("created", {}, "high"),
        ("reopened_by_user", {}, "high"),
        ("publicly_leaked", {}, "critical"),
        ("validated", {"validity": "active"}, "critical"),
        ("validated", {"validity": "inactive"}, "high"),
        ("resolved", {"resolution": "revoked", "validity": "active"}, "low"),
    ],
)
def test_every_action_parses_and_is_named(
    action: str, extra: dict[str, Any], severity: str
) -> None:
    (alert,) = parse(payload(action, **extra))

    # Resolved and validated change a known leak; the caller decides what they do.
    assert alert.details["action"] == action
    assert alert.severity == severity
    assert alert.external_id == "acme/billing#7"


def test_resolution_and_resolver_are_shown() -> None:
    body = payload("resolved", resolution="revoked", resolved_by={"login": "sec-amy"})

    (alert,) = parse(body)

    assert alert.details["resolution"] == "revoked"
    assert alert.details["resolved_by"] == "sec-amy"


def test_list_and_ndjson_bodies() -> None:
    first, second = payload(), payload("resolved")
    ndjson = f"{json.dumps(first)}\n{json.dumps(second)}\n".encode()

    assert parse([first, second]) == parse(ndjson)
    assert [a.details["action"] for a in parse(ndjson)] == ["created", "resolved"]


def test_refusals_name_the_problem() -> None:
    ping = {"zen": "Design for failure.", "hook_id": 1, "hook": {}}
    code_scanning = payload()
    del code_scanning["alert"]["secret_type"]
    location = payload()
    location["location"] = {"type": "commit"}
    no_repo = payload()
    del no_repo["repository"]
    no_action = payload()
    del no_action["action"]

    assert reject(ping) == (
        "body is GitHub's ping event, sent once when a webhook is created; "
        "it carries no alert"
    )
    assert reject({"action": "opened", "issue": {}}) == (
        "body has no 'alert' object; expected a secret_scanning_alert webhook"
    )
    assert reject(code_scanning) == (
        "body: alert.secret_type is missing; only secret_scanning_alert "
        "webhooks are accepted here"
    )
    assert reject(location) == (
        "body is a secret_scanning_alert_location event; subscribe the webhook "
        "to 'Secret scanning alerts' only"
    )
    assert reject(no_repo) == "body: repository.full_name is missing"
    assert reject(no_action) == "body: action is missing"
    assert reject(payload(number="7")) == "body: alert.number must be an integer"
    assert reject(payload(number=True)) == "body: alert.number must be an integer"
    assert reject(payload(updated_at="last tuesday")) == (
        "body: alert.updated_at 'last tuesday' is not an ISO 8601 time"
    )
    assert reject([payload(), "x"]) == (
        "body, item 2 is not a JSON object; expected a secret_scanning_alert webhook"
    )
    assert reject([]) == "the github body holds no findings or events"


def test_signature_accepts_githubs_hmac() -> None:
    body = json.dumps(payload()).encode()
    header = sign(body, "s3cret")
    upper = "sha256=" + header.removeprefix("sha256=").upper()

    assert verify_github_signature(body, header, "s3cret")
    assert verify_github_signature(body, f"  {upper} ", "s3cret")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        "sha1=0123456789abcdef0123456789abcdef01234567",
        "sha256=deadbeef",
        "sha256=é",
    ],
)
def test_signature_refuses_missing_or_malformed_headers(header: str | None) -> None:
    assert not verify_github_signature(b"{}", header, "s3cret")


def test_signature_refuses_other_secrets_tampered_bodies_and_no_secret() -> None:
    body = b'{"action": "created"}'
    header = sign(body, "s3cret")

    assert not verify_github_signature(body, header, "other")
    assert not verify_github_signature(body + b" ", header, "s3cret")
    assert not verify_github_signature(body, sign(body, ""), "")
