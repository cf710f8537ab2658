"""What the domain code needs, built once by the app factory and passed down."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.background import Background
from bot.catalog.model import Catalog, Workload
from bot.clock import Clock
from bot.connectors.registry import Connectors
from bot.intake.match import WorkloadIndex
from bot.people import Directory
from bot.settings import Settings


@dataclass
class Context:
    settings: Settings
    engine: Engine
    catalog: Catalog
    index: WorkloadIndex
    slack: WebClient
    directory: Directory
    connectors: Connectors
    background: Background
    clock: Clock

    def workload(self, name: str | None) -> Workload | None:
        return self.catalog.get(name) if name else None
