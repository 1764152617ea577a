"""The two sides of a parity check: a SQLite file and a PostgreSQL database.

Each side streams a table's rows in key order (optionally within a key range) and turns
them into canonical tuples with :mod:`normalize`; :mod:`verify` hashes and compares.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, Protocol

import psycopg

from levqor_desktop.core.migrate import normalize, rowlines
from levqor_desktop.core.migrate.copy import sqlite_batches
from levqor_desktop.core.migrate.copyback import pg_batches
from levqor_desktop.core.migrate.keys import Key, pg_order, range_where, sqlite_order
from levqor_desktop.core.migrate.snapshot import PgSnapshot, export_snapshot
from levqor_desktop.core.migrate.tables import ColumnInfo, Kind, TableInfo

Rows = list[tuple[Any, ...]]
#: One batch as its columns, each a tuple of canonical values.
Columns = list[tuple[Any, ...]]


class Side(Protocol):
    label: str

    def count(self, table: TableInfo, lo: Key | None = None, hi: Key | None = None) -> int: ...

    def batches(
        self, table: TableInfo, lo: Key | None = None, hi: Key | None = None
    ) -> Iterator[Rows]:
        """Canonical rows in key order."""
        ...

    def columns(
        self,
        table: TableInfo,
        lo: Key | None = None,
        hi: Key | None = None,
        *,
        fast: bool = False,
    ) -> Iterator[tuple[int, Columns]]:
        """Batches of (row count, canonical columns) in key order (``fast``: JSON as text)."""
        ...

    def key_at(self, table: TableInfo, lo: Key | None, hi: Key | None, offset: int) -> Key | None:
        """The key at ``offset`` within the range, in SQLite's stored form."""
        ...

    def lines(
        self, table: TableInfo, lo: Key | None = None, hi: Key | None = None
    ) -> Iterator[tuple[int, bytes]] | None:
        """Batches of (row count, canonical row lines) in key order (:mod:`rowlines`),
        or None when the table has a kind that the database does not print canonically."""
        ...

    def canonical_key(self, table: TableInfo, row: tuple[Any, ...]) -> Key: ...


class _Normalizing:
    """Rows and columns of a side, normalized by that side's functions."""

    NORMALIZE: Any
    NORMALIZE_FAST: Any

    def _raw(self, table: TableInfo, lo: Key | None, hi: Key | None) -> Iterator[Rows]:
        raise TypeError(f"{type(self).__name__} reads no rows")

    def batches(
        self, table: TableInfo, lo: Key | None = None, hi: Key | None = None
    ) -> Iterator[Rows]:
        mapper = normalize.row_mapper(table, self.NORMALIZE)
        for batch in self._raw(table, lo, hi):
            yield mapper(batch)

    def columns(
        self,
        table: TableInfo,
        lo: Key | None = None,
        hi: Key | None = None,
        *,
        fast: bool = False,
    ) -> Iterator[tuple[int, Columns]]:
        fns = self.NORMALIZE_FAST if fast else self.NORMALIZE
        mapper = normalize.column_mapper(table, fns)
        for batch in self._raw(table, lo, hi):
            yield len(batch), mapper(batch)


class SqliteSide(_Normalizing):
    NORMALIZE = normalize.SQLITE
    NORMALIZE_FAST = normalize.SQLITE_FAST

    def __init__(self, conn: sqlite3.Connection, label: str = "SQLite") -> None:
        self.conn = conn
        self.label = label

    def count(self, table: TableInfo, lo: Key | None = None, hi: Key | None = None) -> int:
        where, params = range_where(table, lo, hi, postgres=False)
        return int(
            self.conn.execute(f"SELECT count(*) FROM {table.quoted} {where}", params).fetchone()[0]
        )

    def _raw(self, table: TableInfo, lo: Key | None, hi: Key | None) -> Iterator[Rows]:
        yield from self._select(table.column_list, table, lo, hi)

    def lines(
        self, table: TableInfo, lo: Key | None = None, hi: Key | None = None
    ) -> Iterator[tuple[int, bytes]] | None:
        line = rowlines.sqlite_line(table)
        if line is None:
            return None
        return (
            (len(batch), b"".join([r[0] for r in batch]))
            for batch in self._select(line, table, lo, hi)
        )

    def _select(
        self, select: str, table: TableInfo, lo: Key | None, hi: Key | None
    ) -> Iterator[Rows]:
        """``select`` over the table's rows within the key range, in key order."""
        where, params = range_where(table, lo, hi, postgres=False)
        order = sqlite_order(table)
        query = f"SELECT {select} FROM {table.quoted} {where} ORDER BY {order}"
        return sqlite_batches(self.conn, query, params)

    def key_at(self, table: TableInfo, lo: Key | None, hi: Key | None, offset: int) -> Key | None:
        where, params = range_where(table, lo, hi, postgres=False)
        pk = sqlite_order(table)
        row = self.conn.execute(
            f"SELECT {pk} FROM {table.quoted} {where} ORDER BY {pk} LIMIT 1 OFFSET ?",
            [*params, offset],
        ).fetchone()
        return tuple(row) if row else None

    def canonical_key(self, table: TableInfo, row: tuple[Any, ...]) -> Key:
        return tuple(row[i] for i in table.pk_positions)


#: The server prints timestamps in the canonical form itself (fixed six-digit fraction,
#: UTC): the same text SQLite holds, without a Python call per value.
_TS_FORMAT = "'YYYY-MM-DD HH24:MI:SS.US'"


def _printed(col: ColumnInfo) -> str:
    if col.kind in (Kind.UTC_DATETIME, Kind.ZONED_DATETIME):
        return f"to_char({col.quoted} AT TIME ZONE 'UTC', {_TS_FORMAT})"
    if col.kind is Kind.NAIVE_DATETIME:
        return f"to_char({col.quoted}, {_TS_FORMAT})"
    return col.quoted


class PostgresSide(_Normalizing):
    NORMALIZE = normalize.POSTGRES_PRINTED
    NORMALIZE_FAST = normalize.POSTGRES_PRINTED_FAST

    def snapshot(self) -> PgSnapshot | None:
        """This connection's snapshot, for a child process to read the same rows."""
        return export_snapshot(self.conn)

    def __init__(self, conn: psycopg.Connection[Any], label: str = "PostgreSQL") -> None:
        self.conn = conn
        self.label = label

    def count(self, table: TableInfo, lo: Key | None = None, hi: Key | None = None) -> int:
        where, params = range_where(table, lo, hi, postgres=True)
        row = self.conn.execute(
            f"SELECT count(*) FROM {table.quoted} {where}".encode(), params
        ).fetchone()
        return int(row[0]) if row else 0

    def _raw(self, table: TableInfo, lo: Key | None, hi: Key | None) -> Iterator[Rows]:
        where, params = range_where(table, lo, hi, postgres=True)
        select = ", ".join(_printed(c) for c in table.columns)
        yield from pg_batches(self.conn, table, where, params, select)

    def lines(
        self, table: TableInfo, lo: Key | None = None, hi: Key | None = None
    ) -> Iterator[tuple[int, bytes]] | None:
        line = rowlines.postgres_line(table)
        if line is None:
            return None
        where, params = range_where(table, lo, hi, postgres=True)
        # The query goes with parameters: format()'s own %s must reach the server as is.
        select = line.replace("%", "%%")
        return (
            (len(batch), "".join([r[0] for r in batch]).encode())
            for batch in pg_batches(self.conn, table, where, params, select)
        )

    def key_at(self, table: TableInfo, lo: Key | None, hi: Key | None, offset: int) -> Key | None:
        where, params = range_where(table, lo, hi, postgres=True)
        order = pg_order(table)
        pk = ", ".join(c.quoted for c in table.pk)
        row = self.conn.execute(
            f"SELECT {pk} FROM {table.quoted} {where} ORDER BY {order} LIMIT 1 OFFSET %s".encode(),
            [*params, offset],
        ).fetchone()
        if row is None:
            return None
        # Keys travel in SQLite's stored form: both backends compare against it.
        fns = [normalize.TO_SQLITE[c.kind] for c in table.pk]
        return tuple(
            v if fn is None or v is None else fn(v) for fn, v in zip(fns, row, strict=True)
        )

    def canonical_key(self, table: TableInfo, row: tuple[Any, ...]) -> Key:
        return tuple(row[i] for i in table.pk_positions)
