"""Map Web API method names to handlers and the rate-limit tier of each."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.devtools.slack_emulator.ratelimit import Tier
from bot.devtools.slack_emulator.state import WorkspaceState


class MethodError(Exception):
    """Answer `{"ok": false, "error": error, **extra}` with HTTP 200, as Slack does."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class Args:
    """Read request arguments, whether they came as form fields or JSON."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def text(self, name: str, default: str = "") -> str:
        """Return an argument as a string; missing becomes `default`."""
        value = self.values.get(name)
        return default if value is None else str(value)

    def flag(self, name: str) -> bool:
        """Return a boolean argument; slack_sdk sends True as "1"."""
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true")

    def has(self, name: str) -> bool:
        """Say whether the caller sent the argument at all."""
        return self.values.get(name) is not None

    def json(self, name: str) -> Any:
        """Return a structured argument; form bodies carry it as a JSON string."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return _NotJson(value)
        return value

    def id_list(self, name: str) -> list[str]:
        """Split a comma-separated id list, dropping blanks."""
        return [part.strip() for part in self.text(name).split(",") if part.strip()]


class _NotJson(str):
    """A structured argument that did not parse; handlers report it."""


def is_unparsed(value: Any) -> bool:
    """Say whether `Args.json` could not parse the value it was given."""
    return isinstance(value, _NotJson)


Handler = Callable[[WorkspaceState, Args], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    """A handler, its tier, and the argument its rate limit is keyed on."""

    name: str
    tier: Tier
    handler: Handler
    limit_by: str | None


REGISTRY: dict[str, MethodSpec] = {}


def method(
    name: str, tier: Tier, *, limit_by: str | None = None
) -> Callable[[Handler], Handler]:
    """Register a handler for `name`, limited per `tier` (and per `limit_by`)."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = MethodSpec(name, tier, handler, limit_by)
        return handler

    return register
