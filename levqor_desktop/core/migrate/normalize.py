"""One canonical form per value, whichever database it was read from.

The parity check hashes rows after these functions, so a value read from SQLite and the
same value read from PostgreSQL give the same bytes: timestamps as UTC
``YYYY-MM-DD HH:MM:SS.ffffff``, JSON with sorted keys and no spaces, booleans as 0/1,
decimals without trailing zeros, bytes as hex. ``None`` stays ``None`` (never passed in).

The same module turns PostgreSQL values back into SQLite's storage form for rollback
(the form SQLAlchemy itself writes there).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import orjson

from levqor_desktop.core.migrate.tables import Kind, TableInfo

Fn = Callable[[Any], Any]


def canon_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is (orjson: ten times json's speed, same text)."""
    try:
        data = orjson.loads(value) if isinstance(value, str | bytes) else value
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()
    except (orjson.JSONDecodeError, orjson.JSONEncodeError, TypeError):
        # Integers beyond 64 bits and NaN: the standard library takes them.
        data = json.loads(value) if isinstance(value, str | bytes) else value
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canon_decimal(value: Any) -> str:
    number = (
        value
        if isinstance(value, Decimal)
        else Decimal(repr(value) if isinstance(value, float) else str(value))
    )
    if number.is_nan() or number.is_infinite():
        return str(number)
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _sqlite_ts(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == 26:
            return value
        if len(value) == 19:
            return value + ".000000"
    return value


def pg_ts(value: dt.datetime | str) -> str:
    """A PostgreSQL timestamp (text in a UTC session, or a datetime) in canonical form."""
    if isinstance(value, str):
        text = value[:-3] if value.endswith("+00") else None
        if text is not None and len(text) >= 19 and text[4] == "-":
            n = len(text)
            if n == 19:
                return text + ".000000"
            return text + "0" * (26 - n) if n < 26 else text
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(dt.UTC)
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_time(value: Any) -> Any:
    return (
        dt.time.fromisoformat(value).isoformat("microseconds") if isinstance(value, str) else value
    )


def _time(value: dt.time) -> str:
    return value.isoformat("microseconds")


def _hex(value: Any) -> str:
    return bytes(value).hex()


def _sqlite_uuid(value: Any) -> str:
    return value.hex() if isinstance(value, bytes) else str(value).replace("-", "").lower()


def _pg_uuid(value: uuid.UUID) -> str:
    return value.hex


def _date(value: dt.date) -> str:
    return value.isoformat()


SQLITE: dict[Kind, Fn | None] = {
    Kind.INT: None,
    Kind.BOOL: int,
    Kind.FLOAT: float,
    Kind.NUMERIC: canon_decimal,
    Kind.TEXT: None,
    Kind.UTC_DATETIME: _sqlite_ts,
    Kind.ZONED_DATETIME: _sqlite_ts,
    Kind.NAIVE_DATETIME: _sqlite_ts,
    Kind.DATE: None,
    Kind.TIME: _sqlite_time,
    Kind.JSON: canon_json,
    Kind.BYTES: _hex,
    Kind.UUID: _sqlite_uuid,
    Kind.OTHER: str,
}

#: PostgreSQL side; json/jsonb are read as text (see :func:`text_json_loaders`).
POSTGRES: dict[Kind, Fn | None] = {
    Kind.INT: None,
    Kind.BOOL: int,
    Kind.FLOAT: float,
    Kind.NUMERIC: canon_decimal,
    Kind.TEXT: None,
    Kind.UTC_DATETIME: pg_ts,
    Kind.ZONED_DATETIME: pg_ts,
    Kind.NAIVE_DATETIME: pg_ts,
    Kind.DATE: _date,
    Kind.TIME: _time,
    Kind.JSON: canon_json,
    Kind.BYTES: _hex,
    Kind.UUID: _pg_uuid,
    Kind.OTHER: str,
}


#: The PostgreSQL side when the server prints timestamps (see ``sides._printed``).
POSTGRES_PRINTED: dict[Kind, Fn | None] = {
    **POSTGRES,
    Kind.UTC_DATETIME: None,
    Kind.ZONED_DATETIME: None,
    Kind.NAIVE_DATETIME: None,
}


#: First-pass forms: JSON as stored text. The copy moves JSON text byte for byte (and the
#: copy back too), so equal text is the common case and proves equal JSON; only when a
#: first-pass checksum differs is the table checked again in canonical JSON.
SQLITE_FAST: dict[Kind, Fn | None] = {**SQLITE, Kind.JSON: None}
POSTGRES_PRINTED_FAST: dict[Kind, Fn | None] = {**POSTGRES_PRINTED, Kind.JSON: None}


def _ts_to_sqlite(value: dt.datetime) -> str:
    return pg_ts(value)


def _bool_to_sqlite(value: bool) -> int:
    return 1 if value else 0


def _json_to_sqlite(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _numeric_to_sqlite(value: Decimal) -> str | float:
    return str(value)


#: PostgreSQL value -> what SQLAlchemy would have stored in SQLite.
TO_SQLITE: dict[Kind, Fn | None] = {
    Kind.INT: None,
    Kind.BOOL: _bool_to_sqlite,
    Kind.FLOAT: None,
    Kind.NUMERIC: _numeric_to_sqlite,
    Kind.TEXT: None,
    Kind.UTC_DATETIME: _ts_to_sqlite,
    Kind.ZONED_DATETIME: _ts_to_sqlite,
    Kind.NAIVE_DATETIME: _ts_to_sqlite,
    Kind.DATE: _date,
    Kind.TIME: _time,
    Kind.JSON: _json_to_sqlite,
    Kind.BYTES: bytes,
    Kind.UUID: _pg_uuid,
    Kind.OTHER: None,
}


RowsFn = Callable[[list[tuple[Any, ...]]], list[Any]]


ColumnsFn = Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]


def column_mapper(table: TableInfo, table_of_fns: dict[Kind, Fn | None]) -> ColumnsFn:
    """Batch of rows -> its columns (tuples), each in canonical form.

    Column-wise work: the batch is transposed (C speed) and each column that needs it is
    mapped in one comprehension. The checksum hashes these columns batch by batch.
    """
    steps = [
        (i, fn) for i, c in enumerate(table.columns) if (fn := table_of_fns[c.kind]) is not None
    ]

    def apply(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not rows:
            return [() for _ in table.columns]
        columns = list(zip(*rows, strict=True))
        for i, fn in steps:
            if fn is _sqlite_ts:
                # Nearly every stored timestamp is already canonical: skip the call.
                columns[i] = tuple([v if v is None or len(v) == 26 else fn(v) for v in columns[i]])
            else:
                columns[i] = tuple([None if v is None else fn(v) for v in columns[i]])
        return columns

    return apply


def row_mapper(table: TableInfo, table_of_fns: dict[Kind, Fn | None]) -> RowsFn:
    """Batch of rows -> the same rows in canonical form (tuples, so ``repr`` matches)."""
    to_columns = column_mapper(table, table_of_fns)

    def apply(rows: list[tuple[Any, ...]]) -> list[Any]:
        return list(zip(*to_columns(rows), strict=True)) if rows else []

    return apply


def key_mapper(
    table: TableInfo, table_of_fns: dict[Kind, Fn | None]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """Normalise a primary key tuple (for comparing keys across the two sides)."""
    fns = [table_of_fns[c.kind] for c in table.pk]

    def apply(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            v if fn is None or v is None else fn(v) for fn, v in zip(fns, key, strict=True)
        )

    return apply
