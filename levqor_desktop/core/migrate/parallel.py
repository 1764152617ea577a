"""The PostgreSQL side of a parity check in a process of its own.

Normalising and hashing is Python work: in one process the two sides share one core
(the GIL). Here the PostgreSQL side runs in a child process that joins the parent's
transaction snapshot (``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``), so it
sees exactly what the parent sees while the SQLite side runs at the same time. Small
checks stay in threads: starting a process costs more than they take. So do tables
checked by row lines (:mod:`rowlines`): the databases print those, Python only hashes.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psycopg

#: Below this many rows in all, a process is not worth its start-up.
PROCESS_MIN_ROWS = 50_000


@dataclass(frozen=True)
class PgSnapshot:
    """How a child process reaches the same data: connection arguments and a snapshot."""

    connect_kwargs: dict[str, Any]
    snapshot: str


def export_snapshot(conn: psycopg.Connection[Any]) -> PgSnapshot | None:
    """Export the snapshot of ``conn``'s (repeatable read) transaction, if it can."""
    info = conn.info
    if conn.isolation_level is not psycopg.IsolationLevel.REPEATABLE_READ:
        return None
    row = conn.execute("SELECT pg_export_snapshot()").fetchone()
    if row is None:
        return None
    params = info.get_parameters()
    kwargs: dict[str, Any] = {
        "host": info.host,
        "port": info.port,
        "dbname": info.dbname,
        "user": info.user,
        "options": "-c TimeZone=UTC",
    }
    if info.password:
        kwargs["password"] = info.password
    if params.get("sslmode"):
        kwargs["sslmode"] = params["sslmode"]
    return PgSnapshot(kwargs, str(row[0]))


def pool(total_rows: int, remote: bool) -> Executor:
    if remote and total_rows >= PROCESS_MIN_ROWS:
        # spawn, not fork: the parent may run Qt and other threads.
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="levqor-verify")


_child: dict[str, Any] = {}


def remote_digest(spec: PgSnapshot, table_name: str, fast: bool) -> tuple[int, str]:
    """Runs in the child: digest one table inside the parent's snapshot."""
    from levqor_desktop.core.migrate.keys import text_json_loaders
    from levqor_desktop.core.migrate.sides import PostgresSide
    from levqor_desktop.core.migrate.tables import data_tables
    from levqor_desktop.core.migrate.verify import digest

    conn = _child.get(spec.snapshot)
    if conn is None:
        conn = psycopg.connect(**spec.connect_kwargs)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        text_json_loaders(conn)
        conn.execute("SET TRANSACTION SNAPSHOT %s" % _literal(spec.snapshot))  # noqa: UP031
        _child.clear()
        _child[spec.snapshot] = conn
    table = next(t for t in data_tables() if t.name == table_name)
    result = digest(PostgresSide(conn), table, fast=fast)
    return result.rows, result.sha256


def _literal(text: str) -> str:
    # SET TRANSACTION SNAPSHOT takes no parameters; snapshot ids are hex and dashes.
    if not all(c.isalnum() or c == "-" for c in text):
        raise ValueError(f"unexpected snapshot id {text!r}")
    return f"'{text}'"
