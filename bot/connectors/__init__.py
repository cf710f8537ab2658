"""Connectors: the systems containbot changes, each through its official client."""

from __future__ import annotations

from bot.connectors.aws import AwsConnector
from bot.connectors.registry import Connectors, build_connectors

__all__ = ["AwsConnector", "Connectors", "build_connectors"]
