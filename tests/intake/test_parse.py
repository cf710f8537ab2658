"""Body decoding and dispatch: every refusal names what is wrong with the body."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.errors import AlertRejected
from bot.intake.parse import decode_documents, parse_alerts

NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
FALCO_EVENT = {
    "rule": "Terminal shell in container",
    "priority": "Notice",
    "output": "A shell was spawned in a container",
    "time": "2026-12-03T14:00:00.123456789Z",
    "output_fields": {"k8s.ns.name": "shop", "k8s.pod.name": "checkout-1"},
}


def reject(source: str, body: bytes) -> AlertRejected:
    with pytest.raises(AlertRejected) as caught:
        parse_alerts(source, body, received_at=NOW)
    return caught.value


def test_unknown_source_is_404_and_lists_known_sources() -> None:
    error = reject("splunk", b"{}")

    assert error.status == 404
    assert error.reason == (
        "unknown alert source 'splunk'; "
        "known sources are falco, generic, github, guardduty, securityhub"
    )


def test_empty_body_is_refused() -> None:
    assert reject("falco", b"  \n").reason == (
        "body is empty; expected a JSON object or list"
    )


def test_non_utf8_body_names_the_byte_position() -> None:
    error = reject("falco", b'{"rule": "\xff"}')

    assert error.status == 400
    assert error.reason == "body is not UTF-8 text (invalid byte at position 10)"


def test_broken_json_names_line_column_and_character() -> None:
    error = reject("guardduty", b'{\n  "id": "f1",\n  "type" "x"\n}')

    assert error.reason == (
        "body is not JSON: Expecting ':' delimiter at line 3, column 10 (character 25)"
    )


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b'"text"', "string"), (b"42", "number"), (b"null", "null"), (b"true", "boolean")],
)
def test_scalar_documents_are_refused(body: bytes, kind: str) -> None:
    assert reject("falco", body).reason == (
        f"body is a JSON {kind}, not an object or a list"
    )


def test_ndjson_skips_blank_lines_and_labels_each_line() -> None:
    line = json.dumps(FALCO_EVENT)
    documents = decode_documents(f"{line}\n\n   \r\n{line}\r\n".encode())

    assert [where for where, _ in documents] == ["line 1", "line 4"]


def test_ndjson_with_a_bad_line_names_it() -> None:
    line = json.dumps(FALCO_EVENT)
    body = f"{line}\n\n[2025-05-28 08:43:44,445] INFO in handler\n".encode()

    assert reject("falco", body).reason == (
        "line 3 is not JSON (Expecting ',' delimiter at column 6); "
        "send one JSON document, or one JSON object per line"
    )


def test_ndjson_scalar_line_is_refused_by_line() -> None:
    body = f"{json.dumps(FALCO_EVENT)}\n17\n".encode()

    assert reject("falco", body).reason == (
        "line 2 is a JSON number, not an object or a list"
    )


def test_line_separator_inside_a_string_does_not_split_a_line() -> None:
    event = dict(FALCO_EVENT, output="before\u2028after")
    line = json.dumps(event, ensure_ascii=False)
    alerts = parse_alerts("falco", f"{line}\n{line}".encode(), received_at=NOW)

    assert [a.summary for a in alerts] == ["before\u2028after"] * 2


@pytest.mark.parametrize("body", [b"[]", b'{"findings": []}', b'{"Findings": []}'])
def test_no_findings_is_refused(body: bytes) -> None:
    assert reject("guardduty", body).reason == (
        "the guardduty body holds no findings or events"
    )


def test_empty_falco_list_is_refused() -> None:
    assert reject("falco", b"[]").reason == (
        "the falco body holds no findings or events"
    )


def test_byte_order_mark_is_tolerated() -> None:
    body = b"\xef\xbb\xbf" + json.dumps(FALCO_EVENT).encode()

    assert len(parse_alerts("falco", body, received_at=NOW)) == 1


def test_a_body_for_the_wrong_source_names_the_missing_fields() -> None:
    body = json.dumps(FALCO_EVENT).encode()

    assert reject("guardduty", body).reason == (
        "body: GuardDuty finding is missing id, type, severity"
    )
    assert reject("falco", b'{"id": "f1", "type": "Recon:IAMUser/x"}').reason == (
        "body: Falco event is missing rule, priority, output"
    )
