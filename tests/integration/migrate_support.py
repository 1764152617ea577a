"""Helpers shared by the migration tests: independent row dumps of both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate.tables import JOURNAL_TABLES
from levqor_desktop.core.models import Base


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Levqor table through SQLAlchemy's own types, in key order.

    Independent of the migration's normalisation: values are what the app would read
    (aware datetimes, dicts for JSON, enums, bools).
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in JOURNAL_TABLES:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=lambda r: repr(_key(table, r)))
    return out


def _key(table: Any, row: tuple[Any, ...]) -> tuple[Any, ...]:
    names = [c.name for c in table.columns]
    return tuple(row[names.index(c.name)] for c in table.primary_key.columns)


def counts(db: Database) -> dict[str, int]:
    return {name: len(rows) for name, rows in dump(db).items()}
