"""Web API method handlers; importing the package registers every one."""

from __future__ import annotations

from bot.devtools.slack_emulator.methods import (  # noqa: F401 (registers handlers)
    chat,
    conversations,
    people,
    pins,
    views,
)
from bot.devtools.slack_emulator.methods.registry import (
    REGISTRY,
    Args,
    MethodError,
    MethodSpec,
)

__all__ = ["REGISTRY", "Args", "MethodError", "MethodSpec"]
