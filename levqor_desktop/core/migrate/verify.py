"""The parity check: per table, row count and a checksum over rows in key order.

Both sides are read in streams (sqlite3 cursors, PostgreSQL server-side cursors), each
value put in canonical form (:mod:`normalize`) and each row hashed in key order. The two
sides run in parallel threads. When a table differs, bisection over key ranges finds the
first differing keys: a range whose counts and checksums agree is skipped whole; a small
one is compared row by row.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg

from levqor_desktop.core.migrate import parallel, rowlines
from levqor_desktop.core.migrate.keys import Key
from levqor_desktop.core.migrate.progress import Meter
from levqor_desktop.core.migrate.sides import PostgresSide, Side
from levqor_desktop.core.migrate.snapshot import PgSnapshot, join_snapshot
from levqor_desktop.core.migrate.tables import TableInfo, data_tables

#: A key range at most this big (on both sides) is compared row by row.
LEAF_ROWS = 256
#: Differing keys reported per table.
MAX_DIFFS = 5


@dataclass(frozen=True)
class Digest:
    rows: int
    sha256: str


@dataclass
class Difference:
    key: list[Any]
    #: missing (in the second side) | extra (only in the second side) | differs
    what: str
    columns: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        key = self.key[0] if len(self.key) == 1 else tuple(self.key)
        cols = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"key {key}: {self.what}{cols}"


@dataclass
class TableParity:
    table: str
    source_rows: int
    target_rows: int
    source_sha256: str
    target_sha256: str
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.source_rows == self.target_rows and self.source_sha256 == self.target_sha256


@dataclass
class ParityReport:
    source: str
    target: str
    tables: list[TableParity]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(t.source_rows for t in self.tables)

    @property
    def failed(self) -> list[TableParity]:
        return [t for t in self.tables if not t.ok]

    def summary(self) -> str:
        if self.ok:
            return f"parity OK: {len(self.tables)} tables, {self.rows} rows identical"
        parts = []
        for t in self.failed:
            diffs = "; ".join(str(d) for d in t.differences) or "rows differ"
            parts.append(f"{t.table} ({t.source_rows} vs {t.target_rows} rows: {diffs})")
        return "parity FAILED: " + " | ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


def digest(
    side: Side,
    table: TableInfo,
    lo: Key | None = None,
    hi: Key | None = None,
    on_rows: Callable[[int], None] | None = None,
    *,
    fast: bool = False,
) -> Digest:
    """Rows and SHA-256 of a table (or key range), hashed column by column per batch.

    Both sides read in batches of the same size (``BATCH_ROWS``) in the same key order,
    so equal rows give equal batches; each canonical column tuple is hashed whole
    (one ``repr`` per column instead of one per row).
    """
    h = hashlib.sha256()
    n = 0
    lines = side.lines(table, lo, hi) if fast else None
    if lines is not None:
        # The first pass: each database prints its rows' canonical lines itself.
        h.update(b"lines\n")
        for count, data in lines:
            h.update(data)
            n += count
            if on_rows is not None:
                on_rows(count)
        return Digest(n, h.hexdigest())
    for count, columns in side.columns(table, lo, hi, fast=fast):
        h.update(f"{count}\n".encode())
        for column in columns:
            h.update(repr(column).encode("utf-8", "surrogatepass"))
            h.update(b"\x1e")
        n += count
        if on_rows is not None:
            on_rows(count)
    return Digest(n, h.hexdigest())


def compare(
    source: Side,
    target: Side,
    tables: Sequence[TableInfo],
    meter: Meter,
    totals: dict[str, int],
) -> list[TableParity]:
    """Checksum every table on both sides (in parallel) and locate any difference.

    The PostgreSQL side runs in a child process for big checks (see :mod:`.parallel`),
    in a thread otherwise; the SQLite side here, reporting progress.
    """
    results: list[TableParity] = []
    pg_is_source = isinstance(source, PostgresSide)
    remote, local = (source, target) if pg_is_source else (target, source)
    spec = remote.snapshot() if isinstance(remote, PostgresSide) else None
    # Tables checked by lines cost Python little (the databases print them): a thread
    # will do for them. A process pays off only for many rows checked value by value.
    by_value = sum(totals.get(t.name, 0) for t in tables if rowlines.postgres_line(t) is None)
    with parallel.pool(by_value, spec is not None) as pool:
        for table in tables:
            meter.check()
            total = totals.get(table.name, 0)
            tick = _ticker(meter, table.name, total)
            if spec is not None and isinstance(pool, ProcessPoolExecutor):
                theirs = pool.submit(remote_digest, spec, table.name, True)
            else:
                theirs = pool.submit(_digest_tuple, remote, table, True)
            mine = digest(local, table, on_rows=tick, fast=True)
            rows, sha = theirs.result()
            other = Digest(rows, sha)
            ours, other = (other, mine) if pg_is_source else (mine, other)
            parity = TableParity(table.name, ours.rows, other.rows, ours.sha256, other.sha256)
            if not parity.ok:
                # Stored JSON text may differ where the JSON does not: check canonically.
                ours, other = digest(source, table), digest(target, table)
                parity = TableParity(table.name, ours.rows, other.rows, ours.sha256, other.sha256)
            if not parity.ok:
                parity.differences = locate(source, target, table)
            results.append(parity)
    return results


_child: dict[str, Any] = {}


def remote_digest(spec: PgSnapshot, table_name: str, fast: bool) -> tuple[int, str]:
    """Runs in the child process: digest one table inside the parent's snapshot."""

    conn: psycopg.Connection[Any] | None = _child.get(spec.snapshot)
    if conn is None:
        conn = join_snapshot(spec)
        _child.clear()
        _child[spec.snapshot] = conn
    table = next(t for t in data_tables() if t.name == table_name)
    result = digest(PostgresSide(conn), table, fast=fast)
    return result.rows, result.sha256


def _digest_tuple(side: Side, table: TableInfo, fast: bool) -> tuple[int, str]:
    result = digest(side, table, fast=fast)
    return result.rows, result.sha256


def _ticker(meter: Meter, table: str, total: int) -> Callable[[int], None]:
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        meter.advance(table, done, total, n)

    return tick


def locate(source: Side, target: Side, table: TableInfo) -> list[Difference]:
    """The first differing keys, by bisection over key ranges."""
    found: list[Difference] = []
    _bisect(source, target, table, None, None, found)
    return found[:MAX_DIFFS]


def _bisect(
    source: Side,
    target: Side,
    table: TableInfo,
    lo: Key | None,
    hi: Key | None,
    found: list[Difference],
) -> None:
    if len(found) >= MAX_DIFFS:
        return
    n_src = source.count(table, lo, hi)
    n_dst = target.count(table, lo, hi)
    if n_src <= LEAF_ROWS and n_dst <= LEAF_ROWS:
        found.extend(_diff_rows(source, target, table, lo, hi))
        return
    if n_src == n_dst and digest(source, table, lo, hi) == digest(target, table, lo, hi):
        return
    # Split at the middle key of the bigger side; the left half is examined first.
    side, n = (source, n_src) if n_src >= n_dst else (target, n_dst)
    mid = side.key_at(table, lo, hi, n // 2 - 1)
    if mid is None or mid == hi:
        found.extend(_diff_rows(source, target, table, lo, hi))
        return
    _bisect(source, target, table, lo, mid, found)
    _bisect(source, target, table, mid, hi, found)


def _diff_rows(
    source: Side, target: Side, table: TableInfo, lo: Key | None, hi: Key | None
) -> list[Difference]:
    def by_key(side: Side) -> dict[Key, tuple[Any, ...]]:
        return {
            side.canonical_key(table, row): row
            for batch in side.batches(table, lo, hi)
            for row in batch
        }

    ours, theirs = by_key(source), by_key(target)
    diffs: list[Difference] = []
    keys = list(ours) + [k for k in theirs if k not in ours]
    for key in keys:
        a, b = ours.get(key), theirs.get(key)
        if a == b:
            continue
        if b is None:
            diffs.append(Difference(list(key), f"missing in {target.label}"))
        elif a is None:
            diffs.append(Difference(list(key), f"only in {target.label}"))
        else:
            cols = [c.name for c, x, y in zip(table.columns, a, b, strict=True) if x != y]
            diffs.append(Difference(list(key), "differs", cols))
    # Keys in key order on the source: sort where the values allow it.
    with contextlib.suppress(TypeError):
        diffs.sort(key=lambda d: tuple(d.key))
    return diffs
