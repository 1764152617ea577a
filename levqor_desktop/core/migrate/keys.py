"""Primary-key order and key ranges, written so both databases agree.

Text keys are compared byte-wise on both sides (SQLite's BINARY collation, PostgreSQL's
``COLLATE "C"``), so rows stream in the same order and a key range holds the same rows.
A range is ``(lo, hi]`` over the whole key tuple; ``None`` leaves a side open.
"""

from __future__ import annotations

from typing import Any

from psycopg.types.string import TextLoader

from levqor_desktop.core.migrate.tables import Kind, TableInfo

Key = tuple[Any, ...]


def sqlite_order(table: TableInfo) -> str:
    return ", ".join(c.quoted for c in table.pk)


def _pg_key_expr(table: TableInfo) -> list[str]:
    return [f'{c.quoted} COLLATE "C"' if c.kind is Kind.TEXT else c.quoted for c in table.pk]


def pg_order(table: TableInfo) -> str:
    return ", ".join(_pg_key_expr(table))


def range_where(
    table: TableInfo, lo: Key | None, hi: Key | None, *, postgres: bool
) -> tuple[str, list[Any]]:
    """``WHERE key > lo AND key <= hi`` as SQL and parameters for one backend."""
    cols = _pg_key_expr(table) if postgres else [c.quoted for c in table.pk]
    mark = "%s" if postgres else "?"
    left = cols[0] if len(cols) == 1 else "(" + ", ".join(cols) + ")"
    marks = mark if len(cols) == 1 else "(" + ", ".join(mark for _ in cols) + ")"
    parts: list[str] = []
    params: list[Any] = []
    if lo is not None:
        parts.append(f"{left} > {marks}")
        params.extend(lo)
    if hi is not None:
        parts.append(f"{left} <= {marks}")
        params.extend(hi)
    return ("WHERE " + " AND ".join(parts) if parts else ""), params


def text_json_loaders(conn: Any) -> None:
    """Read json and timestamps as PostgreSQL's text, not Python objects.

    Both sides then canonicalise the same string forms, and reading is twice as fast
    (building datetime objects only to print them again was half the cost).
    """
    for name in ("json", "jsonb", "timestamptz", "timestamp"):
        conn.adapters.register_loader(name, TextLoader)
