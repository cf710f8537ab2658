"""Throwaway databases for tests and benchmarks: a new file or a new schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


@contextmanager
def postgres_schema(base_url: str, *, prefix: str = "t") -> Iterator[str]:
    """Yield a URL whose connections use a new, empty schema; drop it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def scratch_database(
    kind: str, folder: Path, *, postgres_url: str, name: str
) -> Iterator[str]:
    """Yield a fresh database URL: SQLite file `name` in `folder`, or a schema."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.db'}"
        return
    with postgres_schema(postgres_url, prefix=name) as url:
        yield url
