"""Values in the SQLite source that would not survive the move to PostgreSQL.

SQLite stores whatever it is given; PostgreSQL checks types. Each check here is a SQL
condition on one column (plus one Python function for UTF-8), run once per table. A hit
is reported with the table, the column and the primary keys of the rows, and the
migration refuses: nothing is ever changed silently.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from levqor_desktop.core.migrate.tables import INT_RANGES, ColumnInfo, Kind, TableInfo

#: Keys reported per problem (enough to find the rows, short enough to read).
MAX_KEYS = 5

_D = "[0-9]"
_DATE_GLOB = f"{_D * 4}-{_D * 2}-{_D * 2}"
_TS_GLOB = f"{_DATE_GLOB} {_D * 2}:{_D * 2}:{_D * 2}"


@dataclass
class ValueProblem:
    table: str
    column: str
    reason: str
    keys: list[list[object]] = field(default_factory=list)
    count: int = 0

    def __str__(self) -> str:
        keys = ", ".join(_key_text(k) for k in self.keys)
        more = f" and {self.count - len(self.keys)} more" if self.count > len(self.keys) else ""
        return f"{self.table}.{self.column}: {self.reason} (key {keys}{more})"


def _key_text(key: list[object]) -> str:
    return str(key[0]) if len(key) == 1 else "(" + ", ".join(map(str, key)) + ")"


def _bad_utf8(value: object) -> int:
    if not isinstance(value, bytes):
        return 0
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return 1
    return 0


def install_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("levqor_bad_utf8", 1, _bad_utf8, deterministic=True)


def column_checks(col: ColumnInfo, *, utf8: bool = True) -> list[tuple[str, str]]:
    """(reason, SQL condition true for a bad value) pairs for one column.

    The UTF-8 check calls Python per value; ``utf8=False`` leaves it out (see
    :func:`scan_table`, which runs it only where a fast pass found bad text).
    """
    c = col.quoted
    t = f"typeof({c})"
    checks: list[tuple[str, str]] = []
    if col.kind is Kind.INT:
        low, high = INT_RANGES[col.int_type or "bigint"]
        checks.append(("not an integer", f"{t} NOT IN ('integer', 'null')"))
        if col.int_type != "bigint":
            checks.append(
                (
                    f"integer out of range for PostgreSQL {col.int_type} ({low}..{high})",
                    f"{t} = 'integer' AND ({c} < {low} OR {c} > {high})",
                )
            )
    elif col.kind is Kind.BOOL:
        checks.append(("not a boolean (0 or 1)", f"{c} IS NOT NULL AND {c} NOT IN (0, 1)"))
    elif col.kind in (Kind.FLOAT, Kind.NUMERIC):
        checks.append(("not a number", f"{t} NOT IN ('integer', 'real', 'null')"))
    elif col.kind in (Kind.TEXT, Kind.JSON):
        if utf8:
            checks.append(
                ("text is not valid UTF-8", f"{t} = 'text' AND levqor_bad_utf8(CAST({c} AS BLOB))")
            )
        checks.append(("text holds a NUL byte", f"{t} = 'text' AND instr({c}, char(0)) > 0"))
        checks.append(("not text", f"{t} NOT IN ('text', 'null')"))
        if col.kind is Kind.JSON:
            checks.append(("not valid JSON", f"{t} = 'text' AND NOT json_valid({c})"))
        if col.length is not None:
            checks.append(
                (
                    f"longer than {col.length} characters",
                    f"{t} = 'text' AND length({c}) > {col.length}",
                )
            )
    elif col.kind is Kind.UTC_DATETIME:
        checks.append(
            (
                "timestamp not in UTC storage form (carries a time zone offset or is not a "
                "timestamp)",
                # The length picks the one pattern to match (a GLOB per value, not two).
                f"{c} IS NOT NULL AND NOT ({t} = 'text' AND CASE length({c}) "
                f"WHEN 19 THEN {c} GLOB '{_TS_GLOB}' WHEN 26 THEN {c} GLOB '{_TS_GLOB}.{_D * 6}' "
                "ELSE 0 END)",
            )
        )
    elif col.kind is Kind.ZONED_DATETIME:
        checks.append(
            (
                "timestamp without a time zone in a column declared with one (its instant "
                "is unknown)",
                f"{c} IS NOT NULL",
            )
        )
    elif col.kind is Kind.NAIVE_DATETIME:
        checks.append(
            (
                "not a timestamp",
                f"{c} IS NOT NULL AND NOT ({t} = 'text' AND {c} GLOB '{_TS_GLOB}*')",
            )
        )
    elif col.kind is Kind.DATE:
        checks.append(
            ("not a date", f"{c} IS NOT NULL AND NOT ({t} = 'text' AND {c} GLOB '{_DATE_GLOB}')")
        )
    elif col.kind is Kind.BYTES:
        checks.append(("not binary data", f"{t} NOT IN ('blob', 'null')"))
    return checks


#: Rows per piece of a table scanned on its own (pieces of big tables run side by side).
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class Piece:
    """Part of a table to scan: keys from ``low`` and below ``below`` (None: no bound)."""

    table: TableInfo
    low: int | None = None
    below: int | None = None

    def where(self) -> str:
        if self.low is None and self.below is None:
            return "1"
        key = self.table.pk[0].quoted
        bounds = [f"{key} >= {self.low}"] if self.low is not None else []
        bounds += [f"{key} < {self.below}"] if self.below is not None else []
        return " AND ".join(bounds)


def pieces(conn: sqlite3.Connection, table: TableInfo) -> list[Piece]:
    """A table cut into key ranges of about ``CHUNK_ROWS`` rows (one integer key only).

    The first and last pieces are open-ended, so rows written meanwhile are still in one.
    """
    if len(table.pk) != 1 or table.pk[0].kind is not Kind.INT:
        return [Piece(table)]
    key = table.pk[0].quoted
    query = f"SELECT {key} FROM {table.quoted} ORDER BY {key} LIMIT 1 OFFSET ?"
    cuts: list[int] = []
    while (row := conn.execute(query, ((len(cuts) + 1) * CHUNK_ROWS,)).fetchone()) is not None:
        cuts.append(int(row[0]))
    lows: list[int | None] = [None, *cuts]
    belows: list[int | None] = [*cuts, None]
    return [Piece(table, low, below) for low, below in zip(lows, belows, strict=True)]


def _text_decodes(conn: sqlite3.Connection, piece: Piece) -> bool:
    """Does every text of the piece decode as UTF-8? (sqlite3 decodes in C: fast.)"""
    table = piece.table
    cols = [c.quoted for c in table.columns if c.kind in (Kind.TEXT, Kind.JSON)]
    if not cols:
        return True
    previous = conn.text_factory
    conn.text_factory = str
    try:
        cursor = conn.execute(f"SELECT {', '.join(cols)} FROM {table.quoted} WHERE {piece.where()}")
        while cursor.fetchmany(10_000):
            pass
    except sqlite3.OperationalError as exc:
        if "decode" not in str(exc).lower():
            raise
        return False
    finally:
        conn.text_factory = previous
    return True


def scan_table(conn: sqlite3.Connection, piece: Piece) -> list[ValueProblem]:
    """Every kind of bad value in one piece of a table (one pass, two with bad text).

    Problems come back with the first keys in key order; :func:`merge` joins the
    pieces of one table, in order.
    """
    table = piece.table
    utf8 = not _text_decodes(conn, piece)
    checks = [
        (col, reason, cond)
        for col in table.columns
        for reason, cond in column_checks(col, utf8=utf8)
    ]
    if not checks:
        return []
    pk = ", ".join(c.quoted for c in table.pk)
    flags = ", ".join(f"CASE WHEN {cond} THEN 1 ELSE 0 END" for _, _, cond in checks)
    where = " OR ".join(f"({cond})" for _, _, cond in checks)
    sql = (
        f"SELECT {pk}, {flags} FROM {table.quoted} "
        f"WHERE ({piece.where()}) AND ({where}) ORDER BY {pk}"
    )
    problems: dict[tuple[str, str], ValueProblem] = {}
    cursor = conn.cursor()
    cursor.execute(sql)
    npk = len(table.pk)
    # Read text as bytes here: a row with invalid UTF-8 must be reportable, not fatal.
    for row in cursor:
        key = [_show(v) for v in row[:npk]]
        for (col, reason, _), hit in zip(checks, row[npk:], strict=True):
            if hit:
                problem = problems.setdefault(
                    (col.name, reason), ValueProblem(table.name, col.name, reason)
                )
                problem.count += 1
                if len(problem.keys) < MAX_KEYS:
                    problem.keys.append(key)
    return list(problems.values())


def merge(found: list[list[ValueProblem]]) -> list[ValueProblem]:
    """The problems of consecutive pieces of one table as if scanned at once."""
    merged: dict[tuple[str, str], ValueProblem] = {}
    for problems in found:
        for p in problems:
            into = merged.setdefault(
                (p.column, p.reason), ValueProblem(p.table, p.column, p.reason)
            )
            into.count += p.count
            into.keys.extend(p.keys[: MAX_KEYS - len(into.keys)])
    return list(merged.values())


def scan_foreign_keys(conn: sqlite3.Connection) -> list[ValueProblem]:
    """Rows whose parent row is missing (possible if written with foreign keys off)."""
    problems: dict[str, ValueProblem] = {}
    for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        problem = problems.setdefault(
            table, ValueProblem(table, "(foreign key)", f"refers to a missing row of {parent}")
        )
        problem.count += 1
        if len(problem.keys) < MAX_KEYS:
            problem.keys.append([f"rowid {rowid}"])
    return list(problems.values())


def _show(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return value
