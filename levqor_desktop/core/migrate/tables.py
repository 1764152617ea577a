"""What is copied: every table of ``Base.metadata`` in foreign-key order, and how.

Nothing here names a table: a table another engineer adds tomorrow is copied, checked
and verified the same way. Each column gets a :class:`Kind` from its SQLAlchemy type;
the copy, the value checks and the checksums all dispatch on that kind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
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
    Time,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import BigInteger, SmallInteger, TypeEngine

import levqor_desktop.core.models as models
from levqor_desktop.core.models.base import UTCDateTime

#: The migration's own journal: it describes the copy, so it is not part of it.
JOURNAL_TABLES = frozenset({"migration_runs"})


class Kind(enum.StrEnum):
    INT = "int"
    BOOL = "bool"
    FLOAT = "float"
    NUMERIC = "numeric"
    TEXT = "text"
    UTC_DATETIME = "utc_datetime"  # UTCDateTime: naive UTC text in SQLite by contract
    ZONED_DATETIME = "zoned_datetime"  # DateTime(timezone=True) outside UTCDateTime
    NAIVE_DATETIME = "naive_datetime"
    DATE = "date"
    TIME = "time"
    JSON = "json"
    BYTES = "bytes"
    UUID = "uuid"
    OTHER = "other"


#: Inclusive range of the PostgreSQL integer type of a column.
INT_RANGES: dict[str, tuple[int, int]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    kind: Kind
    #: varchar(n) limit, when the column has one.
    length: int | None = None
    #: smallint | integer | bigint for integer columns.
    int_type: str | None = None
    nullable: bool = True

    @property
    def quoted(self) -> str:
        return quote(self.name)


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: tuple[ColumnInfo, ...]
    pk: tuple[ColumnInfo, ...]
    #: Partial indexes as (name, condition in SQLite's SQL), from the models.
    partial_indexes: tuple[tuple[str, str], ...] = ()

    @property
    def quoted(self) -> str:
        return quote(self.name)

    @property
    def column_list(self) -> str:
        return ", ".join(c.quoted for c in self.columns)

    @property
    def pk_positions(self) -> tuple[int, ...]:
        names = [c.name for c in self.columns]
        return tuple(names.index(c.name) for c in self.pk)

    def column(self, name: str) -> ColumnInfo:
        return next(c for c in self.columns if c.name == name)

    @property
    def serial_pk(self) -> ColumnInfo | None:
        """The single integer key whose sequence must follow the copied ids."""
        if len(self.pk) == 1 and self.pk[0].kind is Kind.INT:
            return self.pk[0]
        return None

    @property
    def updated_at(self) -> ColumnInfo | None:
        return next(
            (c for c in self.columns if c.name == "updated_at" and c.kind is Kind.UTC_DATETIME),
            None,
        )


def quote(name: str) -> str:
    """An identifier quoted the same way for SQLite and PostgreSQL."""
    return '"' + name.replace('"', '""') + '"'


def kind_of(type_: TypeEngine[object]) -> Kind:
    if isinstance(type_, UTCDateTime):
        return Kind.UTC_DATETIME
    if isinstance(type_, TypeDecorator):
        return kind_of(type_.impl_instance)
    checks: tuple[tuple[type[Any], Kind], ...] = (
        (Boolean, Kind.BOOL),
        (Integer, Kind.INT),
        (Float, Kind.FLOAT),
        (Numeric, Kind.NUMERIC),
        (Enum, Kind.TEXT),
        (String, Kind.TEXT),
        (Date, Kind.DATE),
        (Time, Kind.TIME),
        (JSON, Kind.JSON),
        (LargeBinary, Kind.BYTES),
        (Uuid, Kind.UUID),
    )
    if isinstance(type_, DateTime):
        return Kind.ZONED_DATETIME if type_.timezone else Kind.NAIVE_DATETIME
    for cls, kind in checks:
        if isinstance(type_, cls):
            # Float derives from Numeric: the first match in this order wins.
            return kind
    return Kind.OTHER


def _int_type(type_: TypeEngine[Any]) -> str:
    if isinstance(type_, TypeDecorator):
        return _int_type(type_.impl_instance)
    # BigId is BigInteger with a SQLite variant: PostgreSQL sees the BigInteger.
    variant = getattr(type_, "_variant_mapping", {}).get("postgresql")
    base = variant if variant is not None else type_
    if isinstance(base, BigInteger):
        return "bigint"
    if isinstance(base, SmallInteger):
        return "smallint"
    return "integer"


def describe(table: Table) -> TableInfo:
    columns: list[ColumnInfo] = []
    for col in table.columns:
        kind = kind_of(col.type)
        length = getattr(col.type, "length", None) if kind is Kind.TEXT else None
        columns.append(
            ColumnInfo(
                name=col.name,
                kind=kind,
                length=length if isinstance(length, int) else None,
                int_type=_int_type(col.type) if kind is Kind.INT else None,
                nullable=bool(col.nullable),
            )
        )
    by_name = {c.name: c for c in columns}
    pk_cols = tuple(by_name[c.name] for c in table.primary_key.columns)
    if not pk_cols:
        # No key: order by every column so both sides still stream in the same order.
        pk_cols = tuple(columns)
    partial = tuple(
        (
            str(index.name),
            str(where.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})),
        )
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if (where := index.dialect_options["sqlite"].get("where")) is not None
    )
    return TableInfo(table.name, tuple(columns), pk_cols, partial)


@cache
def _all_tables() -> tuple[TableInfo, ...]:
    return tuple(describe(t) for t in models.Base.metadata.sorted_tables)


def data_tables() -> tuple[TableInfo, ...]:
    """Every Levqor table except the journal, parents before children."""
    return tuple(t for t in _all_tables() if t.name not in JOURNAL_TABLES)


def levqor_table_names() -> frozenset[str]:
    """All table names of the schema, journal and Alembic's bookkeeping included."""
    return frozenset(t.name for t in _all_tables()) | {"alembic_version"}
