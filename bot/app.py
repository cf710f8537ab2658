"""The app factory: build the Bolt app and the HTTP routes from settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask, Response, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.background import Background
from bot.catalog.model import Catalog
from bot.clock import Clock, utc_now
from bot.connectors.registry import Connectors, build_connectors
from bot.context import Context
from bot.intake.match import WorkloadIndex
from bot.people import Directory
from bot.settings import Settings
from bot.slack.client import make_client
from handlers import (
    evidence_routes,
    intake_routes,
    slack_actions,
    slack_commands,
    slack_errors,
)
from storage.db import create_tables, make_engine

logger = logging.getLogger(__name__)


@dataclass
class Containbot:
    """The running pieces: Bolt for Slack, Flask for HTTP, and their context."""

    bolt: App
    web: Flask
    ctx: Context

    def close(self) -> None:
        self.ctx.background.drain()
        self.ctx.background.shutdown()
        self.ctx.engine.dispose()


def create_app(
    settings: Settings,
    catalog: Catalog,
    *,
    clock: Clock = utc_now,
    connectors: Connectors | None = None,
) -> Containbot:
    """Wire settings, storage, Slack and connectors into a ready app."""
    engine = make_engine(settings.database_url)
    create_tables(engine)
    slack = make_client(
        settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    ctx = Context(
        settings=settings,
        engine=engine,
        catalog=catalog,
        index=WorkloadIndex(catalog),
        slack=slack,
        directory=Directory(slack),
        connectors=connectors or build_connectors(settings),
        background=Background(),
        clock=clock,
    )

    bolt = App(
        client=slack,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        name="containbot",
        listener_executor=ctx.background,
    )
    slack_errors.register(bolt)
    slack_commands.register(bolt, ctx)
    slack_actions.register(bolt, ctx)

    web = Flask("containbot")
    slack_handler = SlackRequestHandler(bolt)

    @web.post("/slack/events")
    def slack_events() -> Response:
        return slack_handler.handle(request)

    web.register_blueprint(intake_routes.blueprint(ctx))
    web.register_blueprint(evidence_routes.blueprint(ctx))
    return Containbot(bolt=bolt, web=web, ctx=ctx)
