"""The jobs' write path: how claims, step records and ends reach the database.

On SQLite, this process's writers queue on a lock (instead of sleeping in SQLite's busy
handler) and begin IMMEDIATE; on PostgreSQL, single-statement execution-side writes run
in autocommit without waiting for the WAL flush (see :class:`_Writer`).
"""

from __future__ import annotations

import contextlib
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database

T = TypeVar("T")


class _Writer:
    """One database's write path: a lock that queues this process's SQLite writers (so
    they never sleep in SQLite's busy handler) and the engines that write."""

    def __init__(self, db: Database) -> None:
        self.lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if db.is_sqlite else contextlib.nullcontext()
        )
        # One statement is its own transaction, written without waiting for the WAL
        # flush (see Database.execution_engine; on SQLite the main engine, beginning
        # IMMEDIATE, serves both). Enqueues and operator actions go through the normal,
        # durable path.
        self.single = db.execution_engine
        self.engine = self.single if db.is_sqlite else db.engine


_WRITERS: weakref.WeakKeyDictionary[Database, _Writer] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer(db: Database) -> _Writer:
    with _WRITERS_LOCK:
        writer = _WRITERS.get(db)
        if writer is None:
            writer = _WRITERS[db] = _Writer(db)
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


# -- PostgreSQL: one statement straight to the driver ---------------------------------
# An rq worker writes twice per job (claim, end), one job at a time; SQLAlchemy's
# per-statement work (result metadata, type processors, pool reset) cost more than
# the round trip itself. These statements are the same SQL as their text() twins,
# with the driver's placeholders.

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def driver_sql(sql: str) -> str:
    """``:name`` placeholders (SQLAlchemy's) as ``%(name)s`` (psycopg's)."""
    return _NAMED.sub(r"%(\1)s", sql)


def driver_json(value: Any) -> Any:
    """A value for a JSON column at the driver (None stays SQL NULL, as the ORM stores it)."""
    from psycopg.types.json import Json  # only ever on PostgreSQL

    return None if value is None else Json(value)


def execute_direct(db: Database, sql: str, params: dict[str, Any]) -> tuple[Any, int]:
    """Run one driver-level statement on PostgreSQL's execution engine.

    Returns the first row (or None) and the row count. A connection that died meanwhile
    (there is no ping per checkout) is dropped and the statement tried once more.
    """
    for attempt in (1, 2):
        raw = db.execution_engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(sql, params)
                row = cursor.fetchone() if cursor.description is not None else None
                return row, cursor.rowcount
            finally:
                cursor.close()
        except db.execution_engine.dialect.loaded_dbapi.Error as exc:
            dead = bool(getattr(raw.driver_connection, "closed", False))
            if dead:
                raw.invalidate()
            if attempt == 2 or not dead:
                # The same exception SQLAlchemy raises for its own statements.
                raise DBAPIError.instance(
                    sql, params, exc, db.execution_engine.dialect.loaded_dbapi.Error
                ) from exc
        finally:
            raw.close()
    raise AssertionError("unreachable")
