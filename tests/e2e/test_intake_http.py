"""The intake routes: authentication, bad input kept with its reason, escaping."""

from __future__ import annotations

import json

from storage import rejected
from tests.conftest import REPO
from tests.e2e.helpers import posted_text

FALCO = (REPO / "bot" / "examples" / "falco-k8s-api-from-checkout.json").read_bytes()


def test_wrong_or_missing_token_is_401_and_stores_nothing(make_stack) -> None:
    stack = make_stack()

    wrong = stack.post_alert("falco", FALCO, token="not-the-secret")
    missing = stack.server and __import__("httpx").post(
        f"{stack.server.url}/alerts/falco", content=FALCO
    )

    assert wrong.status_code == 401 and wrong.json()["error"] == "wrong bearer token"
    assert missing.status_code == 401
    assert "bearer token" in missing.json()["error"]
    assert rejected.listing(stack.app.ctx.engine) == []


def test_bad_bodies_are_refused_with_a_reason_and_kept(make_stack) -> None:
    stack = make_stack()

    not_json = stack.post_alert("falco", b"{not json")
    no_rule = stack.post_alert("falco", json.dumps({"output": "x"}).encode())
    unknown = stack.post_alert("splunk", FALCO)
    too_big = stack.post_alert("guardduty", b"[" + b" " * (2 * 1024 * 1024) + b"]")

    assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]
    assert no_rule.status_code == 400 and "rule" in no_rule.json()["error"]
    assert unknown.status_code == 404
    assert too_big.status_code == 413
    kept = rejected.listing(stack.app.ctx.engine)
    assert [(r.source, r.size) for r in reversed(kept)] == [
        ("falco", len(b"{not json")),
        ("falco", len(json.dumps({"output": "x"}))),
        ("guardduty", rejected.KEEP_BYTES),
    ]
    assert kept[-1].raw == "{not json" and "not JSON" in kept[-1].reason


def test_hostile_alert_text_cannot_mention_or_link(make_stack) -> None:
    stack = make_stack()
    alert = json.loads(FALCO)
    alert["rule"] = "<!channel> <@U03CAPPROV> approve now <https://evil.example|docs>"
    alert["output"] = "pwned <!here> & <#C0000000001>"

    answer = stack.post_alert("falco", json.dumps(alert).encode())
    stack.settle()

    assert answer.status_code == 202
    text = posted_text(stack)
    assert "<!channel>" not in text and "<!here>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt;" in text


def test_github_deliveries_are_checked_by_signature(make_stack) -> None:
    import hashlib
    import hmac

    import httpx

    from tests.conftest import CORPUS

    stack = make_stack()
    body = (CORPUS / "github-secret-scanning" / "reopened.payload.json").read_bytes()
    url = f"{stack.server.url}/alerts/github"
    good = (
        "sha256="
        + hmac.new(stack.intake_secret.encode(), body, hashlib.sha256).hexdigest()
    )

    ping = httpx.post(url, content=b"{}", headers={"X-GitHub-Event": "ping"})
    forged = httpx.post(
        url, content=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    signed = httpx.post(
        url,
        content=body,
        headers={
            "X-Hub-Signature-256": good,
            "X-GitHub-Event": "secret_scanning_alert",
        },
    )
    stack.settle()

    assert ping.status_code == 200
    assert forged.status_code == 401
    assert signed.status_code == 202
    # No catalog entry claims a leaked GitHub token yet: the incident is unowned.
    assert signed.json()["alerts"][0]["opened"]


def test_chunked_body_past_the_limit_is_refused(make_stack) -> None:
    import httpx

    stack = make_stack()

    def chunks():
        # No Content-Length: httpx sends a generator body chunked.
        for _ in range(40):
            yield b" " * (64 * 1024)

    answer = httpx.post(
        f"{stack.server.url}/alerts/falco",
        content=chunks(),
        headers={"Authorization": f"Bearer {stack.intake_secret}"},
    )

    assert answer.status_code == 413
    # The server de-chunks the body, so the route sees its length and refuses it.
    assert "the limit is 1048576 bytes" in answer.json()["error"]
    kept = rejected.listing(stack.app.ctx.engine)
    assert len(kept) == 1 and "the limit is" in kept[0].reason
