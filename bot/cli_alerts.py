"""`containbot alerts`: list, show and replay alert bodies the intake refused."""

from __future__ import annotations

import argparse
import json
import os
import sys

import httpx
from sqlalchemy.engine import Engine

from bot.errors import ContainbotError
from bot.settings import DEFAULT_DATABASE_URL, INTAKE_SOURCES
from storage import rejected
from storage.db import create_tables, make_engine
from storage.tables import RejectedAlert

_ENV_HELP = (
    "These commands read only CONTAINBOT_DATABASE_URL (default "
    f"{DEFAULT_DATABASE_URL}) and, for replay, CONTAINBOT_INTAKE_SECRET_<SOURCE>; "
    "they need no Slack settings, so an operator can run them beside a bot that "
    "is down or misconfigured."
)


def register(commands: argparse._SubParsersAction) -> None:
    """Add `alerts rejected`, `alerts show` and `alerts replay` to the CLI."""
    alerts = commands.add_parser(
        "alerts",
        help="inspect and replay alert bodies the intake refused",
        description=_ENV_HELP,
    )
    sub = alerts.add_subparsers(title="alerts commands")

    listing = sub.add_parser(
        "rejected", help="list refused bodies, newest first", description=_ENV_HELP
    )
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(run=_rejected)

    show = sub.add_parser(
        "show", help="print one refused body as received", description=_ENV_HELP
    )
    show.add_argument("id", type=int)
    show.set_defaults(run=_show)

    replay = sub.add_parser(
        "replay",
        help="post one refused body to a running bot's intake route again",
        description=_ENV_HELP
        + " The body is sent unchanged; if it is still refused, the bot keeps "
        "it once more as a new row, with the reason it gives now.",
    )
    replay.add_argument("id", type=int)
    replay.add_argument(
        "--url",
        default=f"http://127.0.0.1:{os.environ.get('CONTAINBOT_PORT', '3000')}",
        help="the bot's base URL (default: http://127.0.0.1:$CONTAINBOT_PORT)",
    )
    replay.set_defaults(run=_replay)


def database_url() -> str:
    """Return the database URL from the environment alone."""
    return os.environ.get("CONTAINBOT_DATABASE_URL") or DEFAULT_DATABASE_URL


def intake_secret(source: str) -> str:
    """Return the source's intake secret from the environment, or explain."""
    name = f"CONTAINBOT_INTAKE_SECRET_{source.upper()}"
    value = os.environ.get(name, "").strip()
    if not value:
        raise ContainbotError(
            f"{name} is not set: replay signs in as the {source} detector with it."
        )
    return value


def _rejected(args: argparse.Namespace) -> int:
    engine = _engine()
    rows = rejected.listing(engine, limit=args.limit)
    engine.dispose()
    if args.json:
        listed = [
            {
                "id": row.id,
                "received_at": row.received_at.isoformat(),
                "source": row.source,
                "size": row.size,
                "reason": row.reason,
            }
            for row in rows
        ]
        print(json.dumps(listed, indent=2))
        return 0
    if not rows:
        print("no refused alerts")
    for row in rows:
        when = row.received_at.strftime("%Y-%m-%d %H:%M:%S")
        print(f"{row.id:>6}  {when}  {row.source:<11} {row.size:>8} B  {row.reason}")
    return 0


def _show(args: argparse.Namespace) -> int:
    row = _get(args.id)
    sys.stdout.write(row.raw)
    if not row.raw.endswith("\n"):
        sys.stdout.write("\n")
    return 0


def _replay(args: argparse.Namespace) -> int:
    row = _get(args.id)
    if row.source not in INTAKE_SOURCES:
        raise ContainbotError(f"rejected alert {args.id} has no known source")
    if row.size > len(row.raw.encode()):
        # Only the head of an oversized body was kept; sending it would be a
        # different body, refused for a different reason.
        raise ContainbotError(
            f"rejected alert {args.id} was kept cut to its first bytes "
            f"({row.size} bytes received); it cannot be replayed"
        )
    headers = {"Authorization": f"Bearer {intake_secret(row.source)}"}
    if row.content_type:
        headers["Content-Type"] = row.content_type
    try:
        answer = httpx.post(
            f"{args.url.rstrip('/')}/alerts/{row.source}",
            content=row.raw.encode(),
            headers=headers,
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise ContainbotError(f"could not reach the bot at {args.url}: {exc}") from exc
    print(f"{answer.status_code} {answer.text.strip()}")
    return 0 if answer.status_code == 202 else 1


def _engine() -> Engine:
    engine = make_engine(database_url())
    # A fresh database has no table yet; an empty listing is the right answer.
    create_tables(engine)
    return engine


def _get(rejected_id: int) -> RejectedAlert:
    engine = _engine()
    row = rejected.get(engine, rejected_id)
    engine.dispose()
    if row is None:
        raise ContainbotError(f"no rejected alert with id {rejected_id}")
    return row
