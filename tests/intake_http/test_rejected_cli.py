"""`containbot alerts`: list refused bodies, show one, replay it to the bot."""

from __future__ import annotations

import json

import pytest

from bot.cli import main
from bot.errors import AlertRejected
from bot.intake import parse
from storage import rejected

ALERT = json.dumps(
    {
        "title": "Agent called a tool it was never granted",
        "severity": "high",
        "detected_at": "2026-12-03T14:05:00Z",
        "id": "det-7f3a",
        "identity": {"k8s_service_account": "shop/checkout"},
    }
).encode()


def _refuse(_documents: object, _received_at: object) -> list:
    raise AlertRejected("simulated parser bug")


def test_refused_body_is_listed_shown_and_replayed_once_fixed(
    make_stack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack = make_stack()
    monkeypatch.setenv("CONTAINBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("CONTAINBOT_INTAKE_SECRET_GENERIC", stack.intake_secret)
    with monkeypatch.context() as broken:
        broken.setitem(parse.PARSERS, "generic", _refuse)
        refused = stack.post_alert("generic", ALERT)
    assert refused.status_code == 400

    assert main(["alerts", "rejected", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["size"], r["reason"]) for r in listed] == [
        ("generic", len(ALERT), "simulated parser bug")
    ]
    kept_id = listed[0]["id"]

    assert main(["alerts", "show", str(kept_id)]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(ALERT)

    # The parser is fixed now: the same body goes in.
    assert main(["alerts", "replay", str(kept_id), "--url", stack.server.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith("202 ") and '"opened":true' in out.replace(" ", "")
    assert len(rejected.listing(stack.app.ctx.engine)) == 1


def test_replay_of_a_still_bad_body_is_refused_and_kept_again(
    make_stack,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack = make_stack()
    monkeypatch.setenv("CONTAINBOT_DATABASE_URL", database_url)
    monkeypatch.delenv("CONTAINBOT_INTAKE_SECRET_FALCO", raising=False)
    assert stack.post_alert("falco", b"{not json").status_code == 400
    kept_id = rejected.listing(stack.app.ctx.engine)[0].id
    assert main(["alerts", "replay", str(kept_id), "--url", stack.server.url]) == 2
    assert "CONTAINBOT_INTAKE_SECRET_FALCO is not set" in capsys.readouterr().err
    monkeypatch.setenv("CONTAINBOT_INTAKE_SECRET_FALCO", stack.intake_secret)

    assert main(["alerts", "replay", str(kept_id), "--url", stack.server.url]) == 1

    out = capsys.readouterr().out
    assert out.startswith("400 ") and "not JSON" in out
    # The bot cannot tell a replay from a delivery: each refusal is one row.
    assert main(["alerts", "rejected"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all("not JSON" in line for line in lines)


def test_unknown_id_and_empty_list_say_so(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CONTAINBOT_DATABASE_URL", database_url)

    assert main(["alerts", "show", "999"]) == 2
    assert "no rejected alert with id 999" in capsys.readouterr().err
    assert main(["alerts", "rejected"]) == 0
    assert capsys.readouterr().out.strip() == "no refused alerts"
