"""Moving rows: SQLite -> PostgreSQL with ``COPY`` (migrate); back is :mod:`copyback`.

Forward, the rows of each table are read from a read-only SQLite connection inside one
read transaction (a consistent snapshot) and streamed into ``COPY ... FROM STDIN`` in
text format: SQLite's stored text (timestamps, JSON) is exactly what PostgreSQL parses,
so values pass through unchanged and the copy runs close to the speed of a bare COPY.
Each table is one PostgreSQL transaction; a table cut short leaves nothing of itself.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus

from levqor_desktop.core.migrate import indexes
from levqor_desktop.core.migrate.copytext import (
    OPTIONS,
    LinePlan,
    escape,
    line_plan,
    row_query,
)
from levqor_desktop.core.migrate.progress import Meter
from levqor_desktop.core.migrate.tables import TableInfo
from levqor_desktop.errors import MigrationError

#: Rows read from the source per batch (a progress report and a cancel check each).
BATCH_ROWS = 10_000
#: From this many rows on, a table's plain indexes are built after its rows are in.
REBUILD_INDEXES_ROWS = 20_000


def count_rows(conn: sqlite3.Connection, tables: Sequence[TableInfo]) -> dict[str, int]:
    return {t.name: conn.execute(f"SELECT count(*) FROM {t.quoted}").fetchone()[0] for t in tables}


def sqlite_batches(
    conn: sqlite3.Connection, query: str, params: Sequence[Any] = ()
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of a SQLite query in batches of ``BATCH_ROWS``."""
    cursor = conn.execute(query, params)
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield batch


def line_batches(conn: sqlite3.Connection, plan: LinePlan) -> Iterator[tuple[bytes, int]]:
    """A table's COPY data in batches of ``BATCH_ROWS`` rows: (data, rows)."""
    refetch = _refetcher(conn, plan.table)
    if plan.first is None or plan.after is None or plan.between is None:
        for rows in sqlite_batches(conn, plan.query):
            yield plan.batch(rows, refetch), len(rows)
        return
    found = conn.execute(plan.first, (BATCH_ROWS,)).fetchone()
    while found[2]:
        data, nulls, count, low, high = found
        if plan.clean(data, count, nulls):
            data = escape(data)
        else:
            data = plan.batch(conn.execute(plan.between, (low, high)).fetchall(), refetch)
        yield data, count
        found = conn.execute(plan.after, (high, BATCH_ROWS)).fetchone()


_DONE = object()
T = TypeVar("T")


def read_ahead(batches: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Read the next batches in a thread while this one is written to PostgreSQL.

    sqlite3 releases the GIL while it steps, psycopg while it sends: the two overlap.
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    reader = threading.Thread(target=produce, name="levqor-read-ahead", daemon=True)
    reader.start()
    try:
        while (item := buffer.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def existing_tables(pg: psycopg.Connection[Any]) -> set[str]:
    rows = pg.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    ).fetchall()
    return {str(r[0]) for r in rows}


def truncate(pg: psycopg.Connection[Any], tables: Sequence[TableInfo]) -> list[str]:
    """Empty the given Levqor tables of the target (one statement, no CASCADE)."""
    present = existing_tables(pg)
    names = [t.name for t in tables if t.name in present]
    if names:
        with pg.transaction():
            pg.execute(
                sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(n) for n in names))
            )
    return names


def _relax_triggers(pg: psycopg.Connection[Any]) -> bool:
    """Skip per-row foreign-key triggers during the copy when the role may.

    Safe here: preflight refused any row whose parent is missing (SQLite's own
    foreign_key_check) and verify proves the copy equal to the source afterwards.
    """
    try:
        with pg.transaction():
            pg.execute("SET session_replication_role = replica")
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


class _Lane:
    """A target connection, and the finishing of the last table sent on it."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.finishing: Future[None] | None = None
        self.started = 0.0

    def wait(self) -> None:
        if self.finishing is not None:
            finishing, self.finishing = self.finishing, None
            finishing.result()


def _free_lane(lanes: Sequence[_Lane]) -> _Lane:
    """A lane whose last table is finished, waiting for the longest-running one if none."""
    for lane in lanes:
        if lane.finishing is None or lane.finishing.done():
            lane.wait()  # raises what its finishing raised
            return lane
    oldest = min(lanes, key=lambda lane: lane.started)
    oldest.wait()
    return oldest


def copy_to_postgres(
    src: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    tables: Sequence[TableInfo],
    totals: dict[str, int],
    meter: Meter,
    *,
    connect: Callable[[], psycopg.Connection[Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Copy every table in order; return rows and the highest key per table.

    Each table is one transaction: its rows, then the indexes dropped for the copy built
    over them.
    With ``connect`` (a second connection) and the foreign-key triggers relaxed on both,
    a table's indexes are built on its connection by a thread while the next table's
    rows go out on the other: index builds are PostgreSQL's work, sending rows is
    mostly ours, and the two overlap on two cores.
    """
    relaxed = _relax_triggers(pg)
    lanes = [_Lane(pg)]
    second: psycopg.Connection[Any] | None = None
    if relaxed and connect is not None:
        with contextlib.suppress(MigrationError, psycopg.Error):
            second = connect()  # without it, one lane does all the work
        if second is not None and _relax_triggers(second):
            lanes.append(_Lane(second))
    finisher = ThreadPoolExecutor(len(lanes), thread_name_prefix="levqor-migrate-index")
    detail: dict[str, dict[str, Any]] = {}
    try:
        for table in tables:
            lane = _free_lane(lanes)
            meter.check()
            rows, rebuild = _send_rows(src, lane.conn, table, totals[table.name], meter)
            finish = partial(_finish_table, lane.conn, table.name, rebuild)
            if len(lanes) > 1 and rebuild:
                lane.finishing = finisher.submit(finish)
                lane.started = time.monotonic()
            else:
                finish()
            high = None
            if (key := table.serial_pk) is not None:
                high = src.execute(f"SELECT max({key.quoted}) FROM {table.quoted}").fetchone()[0]
            detail[table.name] = {"rows": rows, "max_pk": high}
        for lane in lanes:
            lane.wait()
    except BaseException:
        for lane in lanes:
            with contextlib.suppress(BaseException):
                lane.wait()
            _rollback(lane.conn)
        raise
    finally:
        finisher.shutdown(wait=True)
        if second is not None:
            second.close()
        if relaxed:
            with contextlib.suppress(psycopg.Error):
                pg.execute("RESET session_replication_role")
    return detail


def _send_rows(
    src: sqlite3.Connection,
    pg: psycopg.Connection[Any],
    table: TableInfo,
    total: int,
    meter: Meter,
) -> tuple[int, list[str]]:
    """Open the table's transaction, drop the indexes built after, send its rows."""
    plan = line_plan(table)
    columns = sql.SQL(", ").join(sql.Identifier(c.name) for c in table.columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(sql.Identifier(table.name), columns)
    if plan is not None:
        statement = sql.SQL("{} {}").format(statement, OPTIONS)
    done = 0
    meter.advance(table.name, 0, total, 0)
    try:
        pg.execute("BEGIN")
        # Indexes dropped now are built over all rows by _finish_table, in this
        # table's transaction (see :mod:`indexes` for which stay).
        rebuild = []
        if total >= REBUILD_INDEXES_ROWS:
            keep = indexes.sparse_indexes(src, table, total)
            rebuild = indexes.drop_for_copy(pg, table.name, keep)
        with pg.cursor() as cur, cur.copy(statement) as copy:
            if plan is None:
                write = copy.write_row
                pk = ", ".join(c.quoted for c in table.pk)
                rows = f"SELECT {table.column_list} FROM {table.quoted} ORDER BY {pk}"
                for batch in read_ahead(sqlite_batches(src, rows)):
                    for row in batch:
                        write(row)
                    done += len(batch)
                    meter.advance(table.name, done, total, len(batch))
            else:
                for data, count in read_ahead(line_batches(src, plan)):
                    copy.write(data)
                    done += count
                    meter.advance(table.name, done, total, count)
    except psycopg.Error as exc:
        _rollback(pg)
        raise _copy_failed(table.name, exc) from None
    except BaseException:
        _rollback(pg)
        raise
    return done, rebuild


def _finish_table(pg: psycopg.Connection[Any], table: str, rebuild: Sequence[str]) -> None:
    """Build the table's dropped indexes and commit its transaction."""
    try:
        for definition in rebuild:
            pg.execute(definition.encode())
        pg.execute("COMMIT")
    except psycopg.Error as exc:
        _rollback(pg)
        raise _copy_failed(table, exc) from None


def _copy_failed(table: str, exc: psycopg.Error) -> MigrationError:
    return MigrationError(
        f"copying table {table} failed at PostgreSQL: {str(exc).splitlines()[0]}",
        hint="nothing of this table was kept; run preflight to see values that do not fit",
    )


def _rollback(pg: psycopg.Connection[Any]) -> None:
    if pg.closed or pg.info.transaction_status is TransactionStatus.IDLE:
        return
    with contextlib.suppress(psycopg.Error):
        pg.execute("ROLLBACK")


def _refetcher(
    conn: sqlite3.Connection, table: TableInfo
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    query = row_query(table)

    def refetch(key: tuple[Any, ...]) -> tuple[Any, ...]:
        row: tuple[Any, ...] = conn.execute(query, key).fetchone()
        return row

    return refetch


def reset_sequences(pg: psycopg.Connection[Any], tables: Sequence[TableInfo]) -> dict[str, int]:
    """Move each serial/identity sequence past the highest copied id."""
    moved: dict[str, int] = {}
    with pg.transaction():
        for table in tables:
            key = table.serial_pk
            if key is None:
                continue
            row = pg.execute(
                "SELECT pg_get_serial_sequence(%s, %s)", (table.name, key.name)
            ).fetchone()
            if row is None or row[0] is None:
                continue
            high = pg.execute(
                sql.SQL("SELECT max({}) FROM {}").format(
                    sql.Identifier(key.name), sql.Identifier(table.name)
                )
            ).fetchone()
            top = high[0] if high else None
            # setval(seq, 1, false): the next id is 1 for an empty table.
            pg.execute("SELECT setval(%s, %s, %s)", (row[0], top or 1, top is not None))
            moved[table.name] = int(top or 0)
    return moved
