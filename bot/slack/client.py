"""The Slack Web API client, with the SDK's own retry handlers."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def make_client(token: str, *, base_url: str | None = None) -> WebClient:
    """Build a WebClient that waits out 429s and retries 5xx and dropped sockets."""
    client = WebClient(token=token, base_url=base_url or WebClient.BASE_URL)
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ]
    )
    # WebClient starts with a ConnectionErrorRetryHandler of one retry; keep one.
    if not any(
        isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers
    ):
        client.retry_handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
    return client
