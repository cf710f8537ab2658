"""Garbage gets a 4xx with a reason, is kept, and never takes the server down."""

from __future__ import annotations

import os

import httpx
import pytest

from storage import rejected

GARBAGE = {
    "random bytes": (os.urandom(4096), "application/octet-stream"),
    "empty body": (b"", "application/json"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    "deep objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"),
    "wrong content type": (b"<alert><title>x</title></alert>", "text/xml"),
    "form post": (b"title=x&severity=high", "application/x-www-form-urlencoded"),
    "NUL and BOM": (b"\xef\xbb\xbf\x00\x00{}", "application/json"),
    "a lone number": (b"12345678901234567890" * 500, "application/json"),
}


@pytest.mark.parametrize("source", ["falco", "generic"])
def test_garbage_is_refused_with_a_reason_and_the_server_lives(
    make_stack, source: str
) -> None:
    stack = make_stack()
    url = f"{stack.server.url}/alerts/{source}"
    auth = {"Authorization": f"Bearer {stack.intake_secret}"}

    for name, (body, content_type) in GARBAGE.items():
        answer = httpx.post(
            url, content=body, headers={**auth, "Content-Type": content_type}
        )
        assert 400 <= answer.status_code < 500, name
        assert answer.json()["error"], name

    health = httpx.get(f"{stack.server.url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json() == {"ok": True}
    kept = rejected.listing(stack.app.ctx.engine, limit=100)
    assert len(kept) == len(GARBAGE)
    assert all(row.reason for row in kept)
