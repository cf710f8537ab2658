"""Shared fixtures: real SQLite and PostgreSQL databases, one per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from bot.devtools.scratch_db import postgres_schema

POSTGRES_URL = os.environ.get(
    "CONTAINBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parents[1]
# The public sample files live beside the repository, in ../shared/corpus;
# CONTAINBOT_CORPUS points elsewhere when the clone sits somewhere else.
CORPUS = Path(
    os.environ.get("CONTAINBOT_CORPUS") or REPO.parent / "shared" / "corpus"
).resolve()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not CORPUS.is_dir():
        raise pytest.UsageError(
            f"the sample corpus is not at {CORPUS}: the tests read real alert and "
            "log files from ../shared/corpus beside the repository; set "
            "CONTAINBOT_CORPUS to its folder"
        )


def _postgres_schema() -> AbstractContextManager[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    return postgres_schema(POSTGRES_URL)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend; PostgreSQL gets its own schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'containbot.db'}"
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL schema, for tests that need several processes on it."""
    with _postgres_schema() as url:
        yield url
