"""A whole bot on loopback: Slack emulator, moto over HTTP, real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.catalog import Catalog, load_catalog, parse_catalog
from bot.demo.stack import Stack, start_stack
from tests.conftest import REPO

EXAMPLE_CATALOG = REPO / "bot" / "examples" / "catalog.yml"

StackFactory = Callable[..., Stack]


@pytest.fixture
def make_stack(database_url: str) -> Iterator[StackFactory]:
    """Start stacks on the test's database; each is stopped after the test."""
    started: list[Stack] = []

    def start(catalog: Catalog | str | None = None) -> Stack:
        if catalog is None:
            catalog = load_catalog(EXAMPLE_CATALOG)
        elif isinstance(catalog, str):
            catalog = parse_catalog(catalog)
        stack = start_stack(catalog, database_url=database_url)
        started.append(stack)
        return stack

    yield start
    for stack in started:
        stack.close()
