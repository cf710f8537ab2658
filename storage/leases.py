"""A named lease in the database: at most one live holder at a time."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import session_scope
from storage.tables import Lease


def acquire(engine: Engine, name: str, holder: str, *, ttl: float, now: float) -> bool:
    """Take or renew the lease for `ttl` seconds; False while someone else holds it.

    The conditional update is the whole election: it succeeds for the current
    holder or once the row has expired, and two contenders cannot both match
    because the database applies updates to one row one at a time.
    """
    with session_scope(engine) as session:
        taken = session.execute(
            update(Lease)
            .where(col(Lease.name) == name)
            .where((col(Lease.holder) == holder) | (col(Lease.expires_at) < now))
            .values(holder=holder, expires_at=now + ttl)
        )
        if taken.rowcount == 1:
            return True
    try:
        with session_scope(engine) as session:
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:
        # The row exists and is held by someone else, or a contender inserted it
        # first: either way this process is not the holder.
        return False


def release(engine: Engine, name: str, holder: str) -> None:
    """Give the lease up at once so that another replica need not wait it out."""
    with session_scope(engine) as session:
        session.execute(
            delete(Lease)
            .where(col(Lease.name) == name)
            .where(col(Lease.holder) == holder)
        )


def holder_of(engine: Engine, name: str, *, now: float) -> str | None:
    """Return the live holder of the lease, or None if it is free or expired."""
    with session_scope(engine) as session:
        lease = session.exec(select(Lease).where(Lease.name == name)).first()
        if lease is None or lease.expires_at < now:
            return None
        return lease.holder
