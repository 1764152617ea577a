"""Canonical row lines built by each database, for the parity check's first pass.

Each row becomes one line of text with every value in canonical form, built in SQL by
the database that holds it (``format()`` in both SQLite and PostgreSQL). The first pass
then costs Python one bytes object per row instead of one object per value.

A line is a sequence of fields, one per column, each ended by ``|``:

- integers and booleans: the decimal digits, ``N`` for NULL;
- UTC timestamps and dates: their canonical text, always 26 and 10 characters wide;
- text and JSON text: ``<length in characters>:<text>``. The length makes the
  field's end unambiguous, whatever the text.

NULL prints ``N``.

On the SQLite side a value stored as another type than its column's (an integer in a
text column, say) prints ``X``, which PostgreSQL never prints: such a row never
matches. So equal lines mean equal canonical values; a table whose lines differ is
checked again value by value (:mod:`normalize`), which decides and finds the rows.
Only kinds whose canonical form both databases print exactly take part; a table with
another kind (floats, decimals, bytes, zoned times) is checked value by value.
"""

from __future__ import annotations

from collections.abc import Callable

from levqor_desktop.core.migrate.tables import ColumnInfo, Kind, TableInfo

#: Kinds printed as integers; as text of a fixed width; as length-prefixed text.
_INTEGER = frozenset({Kind.INT, Kind.BOOL})
_FIXED = {Kind.UTC_DATETIME: 26, Kind.DATE: 10}
_TEXT = frozenset({Kind.TEXT, Kind.JSON})
#: Both databases cap a function's arguments (PostgreSQL at 100).
MAX_ARGS = 100
_PG_FORMATS = {Kind.UTC_DATETIME: "'YYYY-MM-DD HH24:MI:SS.US'", Kind.DATE: "'YYYY-MM-DD'"}


def _template(table: TableInfo) -> str | None:
    if any(c.kind not in _INTEGER | _TEXT | _FIXED.keys() for c in table.columns):
        return None
    fields = ["%s:%s|" if c.kind in _TEXT else "%s|" for c in table.columns]
    if sum(f.count("%s") for f in fields) > MAX_ARGS:
        return None
    # A literal newline ends the line: both databases take one inside a string literal.
    return "".join(fields) + "\n"


def _sqlite_args(col: ColumnInfo) -> list[str]:
    c = col.quoted
    if col.kind in _INTEGER:
        return [f"CASE typeof({c}) WHEN 'integer' THEN {c} WHEN 'null' THEN 'N' ELSE 'X' END"]
    if col.kind in _TEXT:
        return [
            f"CASE typeof({c}) WHEN 'text' THEN length({c}) WHEN 'null' THEN 'N' ELSE 'X' END",
            f"coalesce({c}, '')",
        ]
    width = _FIXED[col.kind]
    text = c
    if col.kind is Kind.UTC_DATETIME:
        # Stored with or without the fraction; canonical with six digits.
        text = f"CASE WHEN length({c}) = 19 THEN {c} || '.000000' ELSE {c} END"
    # Anything but the canonical width prints X, which PostgreSQL never prints.
    return [
        f"CASE WHEN typeof({c}) = 'text' AND length({text}) = {width} THEN {text} "
        f"WHEN {c} IS NULL THEN 'N' ELSE 'X' END"
    ]


def _postgres_args(col: ColumnInfo) -> list[str]:
    c = col.quoted
    if col.kind is Kind.BOOL:
        return [f"coalesce({c}::int::text, 'N')"]
    if col.kind is Kind.INT:
        return [f"coalesce({c}::text, 'N')"]
    if col.kind in _TEXT:
        return [f"coalesce(char_length({c}::text)::text, 'N')", f"coalesce({c}::text, '')"]
    value = f"{c} AT TIME ZONE 'UTC'" if col.kind is Kind.UTC_DATETIME else c
    # A year past 9999 prints wider than SQLite's canonical form: never a false match.
    return [f"coalesce(to_char({value}, {_PG_FORMATS[col.kind]}), 'N')"]


def _format(table: TableInfo, args: Callable[[ColumnInfo], list[str]]) -> str | None:
    template = _template(table)
    if template is None:
        return None
    return f"format('{template}', {', '.join(a for col in table.columns for a in args(col))})"


def sqlite_line(table: TableInfo) -> str | None:
    """The SQLite expression of a row's line (a BLOB: bytes in Python), or None."""
    line = _format(table, _sqlite_args)
    return None if line is None else f"CAST({line} AS BLOB)"


def postgres_line(table: TableInfo) -> str | None:
    """The PostgreSQL expression of a row's line (text), or None."""
    return _format(table, _postgres_args)
