"""Rows for every table of the schema, generated from the column types.

Nothing names a table: a table added tomorrow is populated too. Values are unique per
row (so unique constraints hold), foreign keys point at rows already inserted, and the
first rows of each table carry the edge cases: the largest ids, NULLs, long and
non-Latin text, big JSON, timestamps from far-off time zones.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    insert,
)

from levqor_desktop.core.db import Database
from levqor_desktop.core.migrate.tables import JOURNAL_TABLES, _int_type
from levqor_desktop.core.models import Base
from levqor_desktop.core.models.base import UTCDateTime

BIG = 2**63 - 1
#: Leave the column out of the INSERT (the database assigns it).
OMIT = object()
UNICODE = "Zürich ☃ 東京 Ελλάδα 🚀 עברית e\u0301 "
ZONES = [
    dt.timezone(dt.timedelta(hours=h, minutes=m))
    for h, m in ((14, 0), (-12, 0), (5, 45), (0, 0), (-3, -30))
]
BASE_TIME = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.UTC)


def big_json(i: int) -> dict[str, Any]:
    return {
        f"k{n:04d}": {
            "text": UNICODE * 3,
            "n": n * 1.5,
            "ok": n % 2 == 0,
            "none": None,
            "list": list(range(10)),
        }
        for n in range(1500)
    } | {"row": i}


#: Texts that COPY must not take for separators, quotes, NULL or the end of data:
#: rows 2 to 7 of each table carry one each.
SEPARATORS = [
    'tab\there, new\nline, cr\r, back\\slash \\N \\. "q" ; ,',
    "",
    "\\N",
    "\x1d",
    "\x1e\x1d\x1e\x1e",
    "\\.",
]


def _text(col_len: int | None, i: int, edge: bool, j: int = -1, unique: bool = False) -> str:
    if 2 <= j < 2 + len(SEPARATORS):
        # Exactly the special text, unless the column wants a value of its own per row.
        special = SEPARATORS[j - 2] + (f"-{i}" if unique else "")
        return special[-col_len:] if col_len is not None else special
    base = f"{UNICODE}{i}"
    if col_len is None:
        return (UNICODE * 12_000 + str(i)) if edge else base
    if edge:
        # Exactly the limit, in characters that are several bytes each.
        tail = f"-{i}"
        return ("é" * (col_len - len(tail)) + tail)[:col_len]
    return base[-col_len:] if len(base) > col_len else base


def value(
    table: Table, col: Any, i: int, j: int, parents: dict[str, list[Any]], explicit_ids: bool
) -> Any:
    """A value for column ``col`` of row ``i``, the ``j``-th new one (0 and 1: edge cases)."""
    edge = j == 0
    for fk in col.foreign_keys:
        target = f"{fk.column.table.name}.{fk.column.name}"
        pool = parents.get(target, [])
        if fk.column.table is table:
            return pool[-1] if pool else None  # self reference: the previous row, or none
        if not pool:
            return None
        return pool[i % len(pool)]
    if col.nullable and j == 1 and not col.primary_key:
        return None
    type_ = col.type
    if isinstance(type_, UTCDateTime):
        return (BASE_TIME + dt.timedelta(seconds=i * 37, microseconds=i)).astimezone(
            ZONES[i % len(ZONES)]
        )
    if isinstance(type_, Enum):
        if type_.enum_class is not None:
            members = list(type_.enum_class)
            return members[i % len(members)]
        return type_.enums[i % len(type_.enums)]
    if isinstance(type_, JSON):
        return (
            big_json(i)
            if edge
            else {"i": i, "text": UNICODE, "nested": {"b": [1, 2.5, None, True]}, "a": "z"}
        )
    if isinstance(type_, Boolean):
        return i % 2 == 0
    if isinstance(type_, Integer):
        if col.primary_key and not explicit_ids:
            return OMIT  # rows added later take their id from the database's sequence
        if col.primary_key:
            # Near the top of the range, with room for rows written after a switch.
            return BIG - 1000 if (edge and _int_type(type_) == "bigint") else i + 1
        kind = _int_type(type_)
        if edge:
            return {"bigint": -(2**63) + 1, "integer": 2**31 - 1, "smallint": 2**15 - 1}[kind]
        return i * 7
    if isinstance(type_, Float):
        return [1e-300, -0.1, 3.141592653589793, 2.0**53][i % 4] if i < 8 else i / 3
    if isinstance(type_, Numeric):
        return [0.1, -12.5, 1e6][i % 3]
    if isinstance(type_, Date):
        return dt.date(2020, 2, 29) + dt.timedelta(days=i)
    if isinstance(type_, DateTime):
        return BASE_TIME + dt.timedelta(seconds=i)
    if isinstance(type_, Time):
        return dt.time(23, 59, 59, i % 1_000_000)
    if isinstance(type_, LargeBinary):
        return bytes([i % 256, 0, 255]) * (1000 if edge else 1)
    if isinstance(type_, String | Text):
        return _text(getattr(type_, "length", None), i, edge, j, _unique(table, col))
    raise AssertionError(f"no generator for {table.name}.{col.name} of type {type_!r}")


def populate(
    db: Database, rows_per_table: int = 12, skip: Sequence[str] = (), *, explicit_ids: bool = True
) -> dict[str, int]:
    """Insert ``rows_per_table`` rows into every table (beyond any already there).

    ``explicit_ids=False`` lets the database assign integer ids (as the app does after a
    switch, which exercises the sequences the migration moved).
    """
    parents: dict[str, list[Any]] = {}
    counts: dict[str, int] = {}
    with db.engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in JOURNAL_TABLES or table.name in skip:
                continue
            existing = conn.execute(table.select()).mappings().all()
            start = len(existing)
            for old in existing:
                for col in table.columns:
                    parents.setdefault(f"{table.name}.{col.name}", []).append(old[col.name])
            # A composite key of foreign keys only: combine parents so rows stay unique.
            combo_fk = [c for c in table.primary_key.columns if c.foreign_keys]
            all_fk_key = bool(combo_fk) and len(combo_fk) == len(table.primary_key.columns)
            combos: Iterator[dict[str, Any]] = iter(())
            if all_fk_key:
                taken = {tuple(r[c.name] for c in combo_fk) for r in existing}
                combos = (
                    dict(zip([c.name for c in combo_fk], key, strict=True))
                    for key in itertools.product(*(_pool(c, parents) for c in combo_fk))
                    if key not in taken
                )
            batch: list[dict[str, Any]] = []
            made = 0
            for i in range(start, start + rows_per_table):
                row = {
                    c.name: v
                    for c in table.columns
                    if (v := value(table, c, i, i - start, parents, explicit_ids)) is not OMIT
                }
                if all_fk_key:
                    combo = next(combos, None)
                    if combo is None:
                        break  # every combination of parents is used
                    row.update(combo)
                fks = [c for c in table.columns if c.foreign_keys and not c.nullable]
                if any(row[c.name] is None for c in fks):
                    continue  # no parent to point at
                made += 1
                if len(row) < len(table.columns):
                    # Database-assigned ids: insert now to learn them for the children.
                    key = conn.execute(insert(table).values(**row)).inserted_primary_key
                    row.update(zip(table.primary_key.columns.keys(), key or (), strict=True))
                else:
                    batch.append(row)
                for col in table.columns:
                    parents.setdefault(f"{table.name}.{col.name}", []).append(row[col.name])
            if batch:
                conn.execute(insert(table), batch)
            counts[table.name] = made
    return counts


def _unique(table: Table, col: Any) -> bool:
    """Is the column (alone or with others) under a unique constraint or index?"""
    if col.unique or col.primary_key:
        return True
    keyed = [c.columns for c in table.constraints if isinstance(c, UniqueConstraint)]
    keyed += [i.columns for i in table.indexes if i.unique]
    return any(col.name in cols for cols in keyed)


def _pool(col: Any, parents: dict[str, list[Any]]) -> list[Any]:
    fk = next(iter(col.foreign_keys))
    return parents.get(f"{fk.column.table.name}.{fk.column.name}", [])


def plain(v: Any) -> Any:
    return v.value if isinstance(v, enum.Enum) else v
