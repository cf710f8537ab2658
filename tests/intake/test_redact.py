"""Secret values never reach the rejected-alert store."""

from __future__ import annotations

import json

from bot.intake.redact import REDACTED, redact_body


def test_secret_fields_are_replaced_at_any_depth() -> None:
    body = json.dumps(
        {
            "action": "created",
            "alert": {"secret": "ghp_leakedvalue", "secret_type": "github_pat"},
            "creds": [{"SecretAccessKey": "abc", "AccessKeyId": "AKIA123"}],
        }
    ).encode()

    cleaned = json.loads(redact_body(body))

    assert cleaned["alert"] == {"secret": REDACTED, "secret_type": "github_pat"}
    assert cleaned["creds"] == [{"SecretAccessKey": REDACTED, "AccessKeyId": "AKIA123"}]
    assert b"ghp_leakedvalue" not in redact_body(body)


def test_non_json_and_clean_bodies_are_kept_as_they_are() -> None:
    assert redact_body(b"{not json") == b"{not json"
    clean = b'{"rule": "x", "output": "y"}'
    assert redact_body(clean) == clean


def test_a_body_too_deep_to_search_is_dropped() -> None:
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    assert redact_body(deep) == b""


def test_common_secret_field_names_and_token_formats_are_caught() -> None:
    body = json.dumps(
        {
            "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "client_secret": "s3cr3t",
            "access_token": "abc",
            "privateKey": "pk",
            "token_url": "https://example.com/token",
            "output": "leaked xoxb-123456789012-abcdefghij in a log line",
        }
    ).encode()

    cleaned = json.loads(redact_body(body))

    assert cleaned["aws_secret_access_key"] == REDACTED
    assert cleaned["client_secret"] == REDACTED
    assert cleaned["access_token"] == REDACTED and cleaned["privateKey"] == REDACTED
    assert cleaned["token_url"] == "https://example.com/token"
    assert "xoxb-" not in cleaned["output"]


def test_a_cut_or_broken_body_is_redacted_as_text() -> None:
    head = b'{"alert": {"secret": "ghp_LEAKEDLEAKEDLEAKEDLEAKED12", "title": "x'
    cleaned = redact_body(head)

    assert b"ghp_LEAKED" not in cleaned
    assert b'"title": "x' in cleaned
