"""What the copy learns about a table from the models: its partial indexes' conditions."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, text

from levqor_desktop.core.migrate import indexes
from levqor_desktop.core.migrate.tables import data_tables, describe


def test_partial_index_conditions_are_sqlite_sql_without_parameters() -> None:
    meta = MetaData()
    table = Table(
        "tasks",
        meta,
        Column("id", Integer, primary_key=True),
        Column("state", String(16)),
        Column("parent", Integer, nullable=True),
    )
    Index("ix_tasks_open", table.c.state, sqlite_where=table.c.state == "open")
    Index("ix_tasks_parent", table.c.parent, sqlite_where=text("parent IS NOT NULL"))
    Index("ix_tasks_state", table.c.state)  # not partial: not listed
    info = describe(table)
    assert dict(info.partial_indexes) == {
        "ix_tasks_open": "tasks.state = 'open'",
        "ix_tasks_parent": "parent IS NOT NULL",
    }
    # The conditions run as they are on SQLite (the copy counts the rows they hold).
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, state TEXT, parent INTEGER)")
    conn.executemany(
        "INSERT INTO tasks (state, parent) VALUES (?, ?)",
        [("open", None), ("done", 1), ("open", 2), ("done", None)],
    )
    counts = {
        name: conn.execute(f"SELECT count(*) FROM {info.quoted} WHERE {condition}").fetchone()[0]
        for name, condition in info.partial_indexes
    }
    assert counts == {"ix_tasks_open": 2, "ix_tasks_parent": 2}


def test_the_jobs_partial_indexes_are_known() -> None:
    jobs = next(t for t in data_tables() if t.name == "jobs")
    assert {name for name, _condition in jobs.partial_indexes} == {
        "ix_jobs_claim",
        "ix_jobs_running_heartbeat",
        "ix_jobs_parent_job_id",
        "ix_jobs_failed_finished",
    }


def test_only_partial_indexes_of_few_rows_stay_and_a_bad_condition_is_rebuilt() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE tasks (id INTEGER PRIMARY KEY, state TEXT)")
    conn.executemany("INSERT INTO tasks (state) VALUES (?)", [("done",)] * 990 + [("open",)] * 10)
    info = replace(
        next(t for t in data_tables() if t.name == "jobs"),
        name="tasks",
        partial_indexes=(
            ("ix_open", "state = 'open'"),  # 10 of 1,000 rows: 1%, stays
            ("ix_done", "state = 'done'"),  # 99%: rebuilt
            ("ix_bad", "no_such_column = 1"),  # SQLite cannot count it: rebuilt
        ),
    )
    assert indexes.sparse_indexes(conn, info, 1_000) == {"ix_open"}
