"""The database: engine factory, sessions, and a cheap reachability probe.

SQLite is the embedded default (WAL, foreign keys, a busy timeout so the local worker
threads wait for each other instead of failing); PostgreSQL is reached through psycopg 3.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from levqor_desktop.errors import DatabaseError, DatabaseUnavailable, DataDirError
from levqor_desktop.settings import mask_url

#: How long a SQLite writer waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Connections kept open: see _create_engine.
SQLITE_POOL_SIZE = 48
PG_POOL_SIZE = 20
#: A pooled PostgreSQL connection idle longer than this is pinged before use.
PG_PING_AFTER_IDLE_S = 1.0
#: How long we wait for a PostgreSQL server to accept a connection.
PG_CONNECT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Ping:
    """The outcome of one database round trip."""

    ok: bool
    latency_ms: float | None
    error: str | None = None


class Database:
    """One engine and its session factory; the App owns exactly one."""

    def __init__(self, url: str) -> None:
        try:
            self.url: URL = make_url(url)
        except ArgumentError:
            raise DatabaseError("the database URL is not a valid URL") from None
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite":
            self._check_sqlite_path()
        self.engine: Engine = _create_engine(self.url)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite a transaction that reads and then writes may fail with SQLITE_BUSY
        # when another writer got in between (WAL snapshots cannot be upgraded); writers
        # that read first take the write lock up front instead.
        self._write_sessions: sessionmaker[Session] = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        self._execution_engine: Engine | None = None
        self._execution_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def display_url(self) -> str:
        """The URL with its password masked."""
        return mask_url(self.url.render_as_string(hide_password=False))

    @property
    def location(self) -> str:
        """Where the data lives, for the status bar: a file path or ``host:port/db``."""
        if self.is_sqlite:
            return str(self.url.database or ":memory:")
        return f"{self.url.host or 'localhost'}:{self.url.port or 5432}/{self.url.database or ''}"

    @property
    def execution_engine(self) -> Engine:
        """The engine of the workers' own single-statement writes (claims, ends, run meters).

        On PostgreSQL each statement is its own transaction (autocommit saves the BEGIN
        and COMMIT round trips), there is no ping per checkout (a dropped connection is
        retried by the caller instead), and commits do not wait for the WAL flush
        (``synchronous_commit=off``): a PostgreSQL crash may forget the last moment of
        them, and the job then runs again, which at-least-once allows. Enqueues and
        operator actions go through :attr:`engine`, durably. On SQLite it is the main
        engine, beginning IMMEDIATE.
        """
        engine = self._execution_engine
        if engine is None:
            with self._execution_lock:
                engine = self._execution_engine
                if engine is None:
                    engine = self._execution_engine = _create_execution_engine(self)
        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """Like :meth:`session`, but holds the write lock from the start on SQLite."""
        with self._write_sessions.begin() as session:
            yield session

    def ping(self) -> Ping:
        """One round trip; never raises.

        A pooled connection that died (the server restarted, the database was dropped)
        says nothing of the server now: the pool drops it and we ask once more on a new
        one, so the answer is the server's ("does not exist"), not the stale socket's.
        """
        start = time.perf_counter()
        for attempt in (1, 2):
            try:
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                break
            except DBAPIError as exc:
                if attempt == 1 and exc.connection_invalidated:
                    continue
                return Ping(False, None, describe_db_error(exc, self))
        return Ping(True, (time.perf_counter() - start) * 1000)

    def dispose(self) -> None:
        self.engine.dispose()
        with self._execution_lock:
            if self._execution_engine is not None and not self.is_sqlite:
                self._execution_engine.dispose()

    def _check_sqlite_path(self) -> None:
        database = self.url.database
        if not database or database == ":memory:":
            return
        folder = Path(database).parent
        if not folder.is_dir():
            raise DataDirError(f"the folder of the SQLite database does not exist: {folder}")


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        # A file database keeps room for every thread that may hold a connection at once
        # (the ops API's 40 request threads, the pool's workers, the services): past
        # pool_size each checkout opened a connection (a file open and four PRAGMAs) and
        # closed it after. (":memory:" gets SQLAlchemy's single-connection pool.)
        sizes = (
            {"pool_size": SQLITE_POOL_SIZE, "max_overflow": 16}
            if url.database and url.database != ":memory:"
            else {}
        )
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **sizes,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # a write transaction takes its lock up front (see SQLAlchemy's pysqlite notes).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(
        url,
        pool_size=PG_POOL_SIZE,
        max_overflow=20,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _idle_pinger(engine.dialect))
    return engine


def _note_idle(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _idle_pinger(dialect: Dialect) -> Callable[[Any, ConnectionPoolEntry, Any], None]:
    """SQLAlchemy's pre-ping, only for a connection that sat idle in the pool.

    A ping on every checkout was one more round trip per request (a third of the ops
    API's database time under load); a connection given back moments ago was alive
    then. A failed ping makes the pool replace the connection, as pre-ping does.
    """

    def ping_if_idle(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < PG_PING_AFTER_IDLE_S:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"the pooled connection is gone: {exc}") from exc

    return ping_if_idle


def _create_execution_engine(db: Database) -> Engine:
    if db.is_sqlite:
        return db.engine.execution_options(sqlite_immediate=True)
    return create_engine(
        db.engine.url,
        isolation_level="AUTOCOMMIT",
        pool_pre_ping=False,
        pool_size=5,
        max_overflow=20,
        connect_args={
            "options": "-c synchronous_commit=off",
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
        },
    )


def _sqlite_on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
    # Autocommit at the driver level: the "begin" listener above starts transactions.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def describe_db_error(exc: BaseException, db: Database) -> str:
    """An operator-readable sentence for a driver error (password never included)."""
    orig = getattr(exc, "orig", exc)
    detail = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    if db.is_sqlite:
        return f"SQLite database {db.location}: {detail}"
    return f"PostgreSQL at {db.location}: {detail}"


def unavailable(exc: OperationalError | DBAPIError, db: Database) -> DatabaseUnavailable:
    """Wrap a connection failure into the domain error the UI and CLI show."""
    return DatabaseUnavailable(
        f"cannot reach the database: {describe_db_error(exc, db)}",
        hint="check that the server runs and DATABASE_URL is right",
    )
