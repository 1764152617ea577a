"""A PostgreSQL transaction snapshot shared with another connection.

The parity check reads the PostgreSQL side in a child process (see :mod:`.parallel`):
the parent exports its repeatable-read snapshot (``pg_export_snapshot``) and the child
joins it (``SET TRANSACTION SNAPSHOT``), so both see exactly the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from levqor_desktop.core.migrate.keys import text_json_loaders


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


def join_snapshot(spec: PgSnapshot) -> psycopg.Connection[Any]:
    """A new connection whose transaction sees the exported snapshot."""
    conn = psycopg.connect(**spec.connect_kwargs)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    text_json_loaders(conn)
    conn.execute("SET TRANSACTION SNAPSHOT %s" % _literal(spec.snapshot))  # noqa: UP031
    return conn


def _literal(text: str) -> str:
    # SET TRANSACTION SNAPSHOT takes no parameters; snapshot ids are hex and dashes.
    if not all(c.isalnum() or c == "-" for c in text):
        raise ValueError(f"unexpected snapshot id {text!r}")
    return f"'{text}'"
