"""Which indexes a big table's copy drops, and the DDL that builds them again after.

Building an index once over all rows is several times cheaper than updating it row by
row, so :mod:`copy` drops a big table's indexes inside the table's transaction, sends
the rows, then runs the DDL returned here. Kept: indexes a foreign key needs (the keys
other tables refer to), and partial indexes that hold few rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
from psycopg import sql

from levqor_desktop.core.migrate.tables import TableInfo

#: A partial index holding at most this share of a table's rows stays during the copy.
SPARSE_SHARE = 0.01


def sparse_indexes(src: sqlite3.Connection, table: TableInfo, total: int) -> frozenset[str]:
    """The table's partial indexes that hold few of its rows (see ``SPARSE_SHARE``).

    Building an index after the rows costs a full scan of the table, whatever the index
    holds; keeping it during the copy costs a test of its condition per row and an
    insert per row it holds. For a partial index of a few rows (the queued and running
    jobs of a history, say) keeping it is the cheaper. SQLite counts with its own
    partial index of the same condition.
    """
    keep = set()
    for name, condition in table.partial_indexes:
        query = f"SELECT count(*) FROM {table.quoted} WHERE {condition}"
        try:
            count = src.execute(query).fetchone()[0]
        except sqlite3.Error:
            continue  # a condition SQLite cannot count: rebuilt like any other index
        if count <= total * SPARSE_SHARE:
            keep.add(name)
    return frozenset(keep)


def drop_for_copy(
    pg: psycopg.Connection[Any], table: str, keep: frozenset[str] = frozenset()
) -> list[str]:
    """Drop the table's indexes that no foreign key needs; return the DDL that rebuilds them.

    Plain indexes go, except those named in ``keep``, and so do key and unique
    constraints that no foreign key refers to (they come back as the same constraints,
    by name, built over all rows at once).
    """
    return _drop_plain_indexes(pg, table, keep) + _drop_free_constraints(pg, table)


def _drop_free_constraints(pg: psycopg.Connection[Any], table: str) -> list[str]:
    rows = pg.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = to_regclass(%s) AND c.contype IN ('p', 'u') AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid)",
        (sql.Identifier(table).as_string(pg),),
    ).fetchall()
    rebuild = []
    for name, definition in rows:
        ident = sql.Identifier(table), sql.Identifier(str(name))
        pg.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(*ident))
        add = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(*ident).as_string(pg)
        rebuild.append(add + str(definition))
    return rebuild


def _drop_plain_indexes(pg: psycopg.Connection[Any], table: str, keep: frozenset[str]) -> list[str]:
    rows = pg.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname "
        "  AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = i.schemaname))",
        (table,),
    ).fetchall()
    dropped = [(str(name), str(definition)) for name, definition in rows if name not in keep]
    for name, _definition in dropped:
        pg.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [definition for _name, definition in dropped]
