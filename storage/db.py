"""Engine and sessions for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

# Imported for their side effects: tables register with SQLModel's metadata and the
# audit log installs its append-only guard.
from storage import audit, evidence_table, tables  # noqa: F401


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare PostgreSQL URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """Create an engine tuned for concurrent use from the bot's threads."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one writer commits; the busy timeout makes
    # concurrent writers wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit
    # survives the process crashing, and only a power cut can lose the last few.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """Return a lock that serializes this process's writers on a SQLite file.

    SQLite admits one writer at a time, and a blocked writer polls for the lock
    with sleeps of up to 100 ms; queueing writers on a lock in the process hands
    the file over at once. PostgreSQL locks rows, so it needs nothing here.
    """
    if engine.dialect.name != "sqlite":
        return nullcontext()
    with _write_locks_guard:
        return _write_locks.setdefault(engine, threading.Lock())


_write_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = (
    weakref.WeakKeyDictionary()
)
_write_locks_guard = threading.Lock()


# Any fixed number: replicas starting together take this lock in turn.
_SCHEMA_LOCK = 0x636F6E74  # "cont"


def create_tables(engine: Engine) -> None:
    """Create missing tables; safe when several replicas start at once."""
    if engine.dialect.name != "postgresql":
        SQLModel.metadata.create_all(engine)
        return
    # Two processes creating the same table at once collide in PostgreSQL's
    # catalog (a unique violation on pg_type); a transaction-scoped advisory
    # lock makes the second wait and then find the tables there.
    with engine.begin() as connection:
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK}
        )
        SQLModel.metadata.create_all(connection)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
