"""Moving rows back: PostgreSQL -> SQLite (rollback), and PostgreSQL rows in key order.

The rollback replaces every table of the SQLite database (inside the caller's one
transaction) with PostgreSQL's rows, read from server-side cursors in key order and
turned back into SQLite's storage form (:mod:`normalize`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

from levqor_desktop.core.migrate import copy as forward
from levqor_desktop.core.migrate.keys import pg_order
from levqor_desktop.core.migrate.normalize import TO_SQLITE, row_mapper
from levqor_desktop.core.migrate.progress import Meter
from levqor_desktop.core.migrate.tables import TableInfo


def pg_batches(
    pg: psycopg.Connection[Any],
    table: TableInfo,
    where: str = "",
    params: Sequence[Any] = (),
    select: str | None = None,
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of a table in key order from a server-side cursor (PostgreSQL streams them)."""
    columns = select or table.column_list
    query = f"SELECT {columns} FROM {table.quoted} {where} ORDER BY {pg_order(table)}"
    # The same batch size as SQLite's reader (read when called): verify's digests count
    # rows per batch on both sides.
    size = forward.BATCH_ROWS
    # A server-side cursor lives in a transaction (a savepoint if one is open).
    with pg.transaction(), pg.cursor(name=f"levqor_read_{table.name}"[:60]) as cur:
        cur.itersize = size
        cur.execute(query.encode(), params)
        while batch := cur.fetchmany(size):
            yield batch


def copy_to_sqlite(
    pg: psycopg.Connection[Any],
    dst: sqlite3.Connection,
    tables: Sequence[TableInfo],
    totals: dict[str, int],
    meter: Meter,
) -> None:
    """Replace the rows of every table of ``dst`` (already in a transaction) with PG's."""
    for table in reversed(tables):
        dst.execute(f"DELETE FROM {table.quoted}")
    for table in tables:
        meter.check()
        marks = ", ".join("?" for _ in table.columns)
        insert = f"INSERT INTO {table.quoted} ({table.column_list}) VALUES ({marks})"
        convert = row_mapper(table, TO_SQLITE)
        done = 0
        total = totals.get(table.name, 0)
        meter.advance(table.name, 0, total, 0)
        for batch in pg_batches(pg, table):
            dst.executemany(insert, convert(batch))
            done += len(batch)
            meter.advance(table.name, done, total, len(batch))
