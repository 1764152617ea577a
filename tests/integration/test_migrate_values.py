"""Preflight's value scan: a table cut into key ranges reports what one pass would."""

from __future__ import annotations

import sqlite3

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.migrate import values
from levqor_desktop.core.migrate.tables import Kind, data_tables
from tests.integration.migrate_rows import populate

#: UTC_DATETIME storage forms: the two the app writes pass, anything else is reported.
TIMESTAMPS = {
    "2026-01-02 03:04:05": True,
    "2026-01-02 03:04:05.123456": True,
    "2026-01-02T03:04:05": False,
    "2026-01-02 03:04:05.12345": False,
    "2026-01-02 03:04:05+02:00": False,
    "2026-01-02 03:04:05.123456Z": False,
    "2026-01-02": False,
}


def _scan(conn: sqlite3.Connection, pieces: list[values.Piece]) -> list[str]:
    return sorted(str(p) for p in values.merge([values.scan_table(conn, x) for x in pieces]))


def test_pieces_report_the_same_problems_as_one_pass(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(app.db, rows_per_table=20)
    app.db.dispose()
    jobs = next(t for t in data_tables() if t.name == "jobs")
    column = next(c for c in jobs.columns if c.kind is Kind.UTC_DATETIME and not c.nullable)
    conn = sqlite3.connect(app.settings.sqlite_path)
    ids = [r[0] for r in conn.execute("SELECT id FROM jobs ORDER BY id").fetchall()]
    forms = list(TIMESTAMPS)
    # Every other row gets one of the forms, so bad rows fall in several pieces.
    for n, key in enumerate(ids[::2]):
        conn.execute(
            f"UPDATE jobs SET {column.quoted} = ? WHERE id = ?", (forms[n % len(forms)], key)
        )
    conn.commit()
    values.install_functions(conn)
    conn.text_factory = bytes

    whole = _scan(conn, [values.Piece(jobs)])
    monkeypatch.setattr(values, "CHUNK_ROWS", 3)
    pieces = values.pieces(conn, jobs)
    assert len(pieces) == -(-len(ids) // 3)
    assert _scan(conn, pieces) == whole

    bad = [key for n, key in enumerate(ids[::2]) if not TIMESTAMPS[forms[n % len(forms)]]]
    problem = next(p for p in values.merge([values.scan_table(conn, x) for x in pieces]))
    assert (problem.column, problem.count) == (column.name, len(bad))
    # The first keys in key order, across pieces, as one pass would list them.
    assert problem.keys == [[k] for k in bad[: values.MAX_KEYS]]
    conn.close()
