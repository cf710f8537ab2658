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
from bot.containment import runner
from bot.context import Context
from bot.escalation.scheduler import Escalation
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
    escalation: Escalation | None = None

    def close(self) -> None:
        # Timers stop first, so no page starts while the rest shuts down.
        if self.escalation is not None:
            self.escalation.stop()
        self.ctx.background.drain()
        self.ctx.background.shutdown()
        self.ctx.engine.dispose()


def create_app(
    settings: Settings,
    catalog: Catalog,
    *,
    clock: Clock = utc_now,
    connectors: Connectors | None = None,
    start_scheduler: bool = True,
) -> Containbot:
    """Wire settings, storage, Slack and connectors into a ready app.

    `start_scheduler=False` leaves escalation timers to whoever calls
    `bot.escalation.scheduler.sweep`, as tests do with an injected clock.
    """
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

    # The intake cap also holds for chunked bodies, which carry no length;
    # routes that take larger uploads raise it for their own request.
    web.config["MAX_CONTENT_LENGTH"] = intake_routes.MAX_BODY
    web.register_blueprint(intake_routes.blueprint(ctx))
    web.register_blueprint(evidence_routes.blueprint(ctx))
    ctx.background.run("reconcile", runner.reconcile, ctx)
    escalation = Escalation(ctx) if start_scheduler else None
    if escalation is not None:
        escalation.start()
    return Containbot(bolt=bolt, web=web, ctx=ctx, escalation=escalation)
