"""COPY lines built by SQLite itself, for the migrate copy.

Handing PostgreSQL each row through Python (``write_row``) costs a Python object per
value, and on a small machine that work competes with the PostgreSQL backend for the
same cores. For tables whose columns hold only integers, booleans and text (the big
ones: jobs, usage events), SQLite writes each row's line in C with ``format()`` and
Python only passes bytes along: about half the Python time of ``write_row``.

The lines are COPY's text format, fields split by tab and NULL written as GS (0x1d).
Text format, because PostgreSQL parses it faster than CSV (6% less backend CPU on the
jobs rows). Its one escape character, the backslash, is doubled by Python over the
whole batch (``bytes.replace``, a few milliseconds per 100 MB); SQLite's ``replace()``
per value cost more than the parse saves. A row that holds a tab, newline, carriage
return or GS in a value (a traceback in an error message, say) is caught by counting
the separators per batch, and only those rows are written again with their text
escaped, from their values in Python.

For a table keyed by one integer column, SQLite also joins each batch of lines into
one value (``group_concat`` over a key range), so Python receives a batch as one bytes
object instead of a tuple per row: a third less CPU in our process, which on two cores
is CPU the PostgreSQL backend gets instead. COPY does not care in which order a batch's
lines arrive; the key range alone decides which rows a batch holds.

Preflight has already refused any value whose storage type does not fit its column
(see :mod:`values`), which is what makes ``format('%s')`` exact here: integers in
decimal, booleans as 0/1, text as stored. Verify proves the result. Tables with other
kinds (floats, bytes, zoned times) keep the ``write_row`` path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from levqor_desktop.core.migrate.tables import Kind, TableInfo

DELIMITER = "\t"
NULL = "\x1d"
#: The COPY options that read these lines.
OPTIONS = sql.SQL("(FORMAT text, DELIMITER E'\\t', NULL E'\\x1d')")

#: Kinds that SQLite stores as integers or as text, which ``format('%s')`` writes exactly.
LINE_KINDS = frozenset(
    {Kind.INT, Kind.BOOL, Kind.TEXT, Kind.JSON, Kind.UTC_DATETIME, Kind.DATE, Kind.NAIVE_DATETIME}
)

_NEWLINE, _NULL, _BACKSLASH = b"\n", NULL.encode(), b"\\"
#: What ``bytes.translate`` deletes to leave only a batch's separators.
_NOT_SEPARATORS = bytes(b for b in range(256) if b not in b"\t\n\r\x1d")
#: Text-format escapes for a value that holds a separator (GS alone would read as NULL).
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", NULL: "\\x1d"})

#: A row of the line query: the line, its count of NULLs, then the primary key.
LineRow = tuple[Any, ...]


@dataclass(frozen=True)
class LinePlan:
    """How to read one table as COPY lines.

    ``query`` gives every row as (line, NULL count, primary key...), in key order. For
    a table with one integer key, ``first`` and ``after`` give a whole batch as one row
    (lines, NULL count, rows, lowest key, highest key): the first ``?`` rows, and the
    ``?`` rows after key ``?``; ``between`` gives the rows of keys ``?`` to ``?`` one by
    one again, for a batch whose values hold a separator.
    """

    table: TableInfo
    query: str
    first: str | None = None
    after: str | None = None
    between: str | None = None

    @property
    def width(self) -> int:
        return len(self.table.columns)

    def clean(self, data: bytes, rows: int, nulls: int) -> bool:
        """Are the only separators in a batch of ``rows`` lines the ones SQLite put there?"""
        return _clean(data, rows, nulls, self.width)

    def batch(
        self, rows: Sequence[LineRow], refetch: Callable[[tuple[Any, ...]], tuple[Any, ...]]
    ) -> bytes:
        """One batch as COPY data; rows whose values hold a separator are escaped."""
        data = b"".join([r[0] for r in rows])
        if _clean(data, len(rows), sum([r[1] for r in rows]), self.width):
            return escape(data)
        return b"".join(
            [
                escape(r[0]) if _clean(r[0], 1, r[1], self.width) else escaped_line(refetch(r[2:]))
                for r in rows
            ]
        )


def line_plan(table: TableInfo) -> LinePlan | None:
    """The line query of a table, or None when a column's kind needs Python."""
    if any(c.kind not in LINE_KINDS for c in table.columns):
        return None
    # Literal tab and newline in the format: SQLite builds each line in one pass.
    template = DELIMITER.join("%s" for _ in table.columns) + "\n"
    values = ", ".join(f"coalesce({c.quoted}, '{NULL}')" for c in table.columns)
    nulls = " + ".join(f"({c.quoted} IS NULL)" for c in table.columns if c.nullable) or "0"
    pk = ", ".join(c.quoted for c in table.pk)
    # As a BLOB the line reaches Python as bytes: no decoding and re-encoding per row.
    query = (
        f"SELECT CAST(format('{template}', {values}) AS BLOB), {nulls}, {pk} "
        f"FROM {table.quoted} ORDER BY {pk}"
    )
    if len(table.pk) != 1 or table.pk[0].kind is not Kind.INT:
        return LinePlan(table, query)
    select = query.removesuffix(f" ORDER BY {pk}")

    def whole(rows: str) -> str:
        return (
            f"WITH s(l, n, k) AS ({rows} ORDER BY {pk} LIMIT ?) SELECT "
            "CAST(group_concat(l, '') AS BLOB), sum(n), count(*), min(k), max(k) FROM s"
        )

    return LinePlan(
        table,
        query,
        first=whole(select),
        after=whole(f"{select} WHERE {pk} > ?"),
        between=f"{select} WHERE {pk} BETWEEN ? AND ? ORDER BY {pk}",
    )


def row_query(table: TableInfo) -> str:
    """The values of one row by its primary key (for a row that must be escaped)."""
    where = " AND ".join(f"{c.quoted} = ?" for c in table.pk)
    return f"SELECT {table.column_list} FROM {table.quoted} WHERE {where}"


def escape(data: bytes) -> bytes:
    """Clean lines (no separator inside a value) as COPY text: backslashes doubled."""
    return data.replace(_BACKSLASH, _BACKSLASH + _BACKSLASH)


def _clean(data: bytes, rows: int, nulls: int, width: int) -> bool:
    """Are the only separators in ``data`` the ones ``format()`` put there?

    ``format()`` writes ``width - 1`` tabs and one newline per row and a GS per NULL.
    With exactly that many separators in all, that many newlines and that many GS,
    there is no carriage return and no extra tab either. One pass over the data
    (``translate``) and two over the separators alone.
    """
    separators = data.translate(None, _NOT_SEPARATORS)
    return (
        len(separators) == width * rows + nulls
        and separators.count(_NEWLINE) == rows
        and separators.count(_NULL) == nulls
    )


def escaped_line(values: Sequence[Any]) -> bytes:
    """One row as a COPY text line, every text escaped (any character may be inside)."""
    return (DELIMITER.join(_field(v) for v in values) + "\n").encode()


def _field(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, int):  # bool is an int: SQLite hands back 0 or 1
        return str(value)
    raise TypeError(f"unexpected {type(value).__name__} value; run preflight")
