"""The migrate copy's COPY data from SQLite: whole batches joined by SQLite, and the
row-by-row path they fall back to, give the same lines (no PostgreSQL needed)."""

from __future__ import annotations

import sqlite3

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.migrate import copy, copytext
from levqor_desktop.core.migrate.tables import data_tables
from tests.integration.migrate_rows import populate


def _row_by_row(conn: sqlite3.Connection, plan: copytext.LinePlan) -> bytes:
    rows = conn.execute(plan.query).fetchall()
    return plan.batch(rows, copy._refetcher(conn, plan.table))


@pytest.mark.parametrize("batch_rows", [1, 5, 10_000])
def test_whole_batches_hold_the_same_lines_as_rows(
    app: App, batch_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(app.db, rows_per_table=12)
    app.db.dispose()
    monkeypatch.setattr(copy, "BATCH_ROWS", batch_rows)
    unclean: list[int] = []
    clean = copytext.LinePlan.clean
    monkeypatch.setattr(
        copytext.LinePlan,
        "clean",
        lambda self, data, rows, nulls: (
            clean(self, data, rows, nulls) or bool(unclean.append(rows))
        ),
    )
    conn = sqlite3.connect(app.settings.sqlite_path)
    plans = [p for t in data_tables() if (p := copytext.line_plan(t)) and p.first]
    assert {"jobs", "usage_events"} <= {p.table.name for p in plans}
    for plan in plans:
        batches = list(copy.line_batches(conn, plan))
        rows = conn.execute(f"SELECT count(*) FROM {plan.table.quoted}").fetchone()[0]
        assert sum(count for _data, count in batches) == rows, plan.table.name
        assert max(count for _data, count in batches) <= batch_rows
        # SQLite joins a batch's lines in no promised order: compare them as a multiset
        # (escaped text holds no newline byte; both sides split alike).
        data = b"".join(d for d, _count in batches)
        expected = _row_by_row(conn, plan)
        assert sorted(data.split(b"\n")) == sorted(expected.split(b"\n")), plan.table.name
    conn.close()
    # The rows with separators in their text (SEPARATORS) sent batches row by row.
    assert unclean
