"""The jobs' write path: how claims, step records and ends reach the database.

On SQLite, this process's writers queue on a lock (instead of sleeping in SQLite's busy
handler) and begin IMMEDIATE; on PostgreSQL, single-statement execution-side writes run
in autocommit without waiting for the WAL flush (see :class:`_Writer`).
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database

T = TypeVar("T")


class _Writer:
    """One database's write path: a lock that queues this process's SQLite writers (so
    they never sleep in SQLite's busy handler) and the engine that begins IMMEDIATE."""

    def __init__(self, db: Database) -> None:
        self.lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if db.is_sqlite else contextlib.nullcontext()
        )
        self.engine = (
            db.engine.execution_options(sqlite_immediate=True) if db.is_sqlite else db.engine
        )
        # One statement is its own transaction: on PostgreSQL, autocommit saves the
        # BEGIN and COMMIT round trips of a single-statement write, and these
        # execution-side writes (claims, ends) do not wait for the WAL flush
        # (synchronous_commit=off): a PostgreSQL crash may forget the last moment of
        # them, and the job then runs again, which at-least-once allows. Enqueues and
        # operator actions go through the normal, durable path.
        self.single = (
            self.engine
            if db.is_sqlite
            else create_engine(
                db.engine.url,
                isolation_level="AUTOCOMMIT",
                # No ping per checkout (a round trip per statement); a dropped
                # connection is retried once instead (see writing()).
                pool_pre_ping=False,
                pool_size=5,
                max_overflow=20,
                connect_args={"options": "-c synchronous_commit=off", "connect_timeout": 5},
            )
        )


_WRITERS: weakref.WeakKeyDictionary[Database, _Writer] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer(db: Database) -> _Writer:
    with _WRITERS_LOCK:
        writer = _WRITERS.get(db)
        if writer is None:
            writer = _WRITERS[db] = _Writer(db)
            if writer.single is not writer.engine:
                # Released with the database's own engine (App.close disposes it).
                event.listen(db.engine, "engine_disposed", lambda _e: writer.single.dispose())
        return writer


@contextlib.contextmanager
def writing(db: Database, *, single: bool = False) -> Iterator[Connection]:
    """A write transaction on a Core connection (serialised in-process on SQLite).

    ``single``: the block runs exactly one statement (autocommit on PostgreSQL).
    """
    writer = _writer(db)
    engine = writer.single if single else writer.engine
    with writer.lock, engine.begin() as conn:
        yield conn


def once_more(fn: Callable[[], T]) -> T:
    """Run ``fn``; if it failed on a connection that had died meanwhile, once more."""
    try:
        return fn()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return fn()
