"""PostgreSQL's pooled connections are pinged when they sat idle, not on every checkout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from levqor_desktop.core import db as db_module
from levqor_desktop.core.db import Database

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(pg_url: str) -> Iterator[Database]:
    db = Database(pg_url)
    try:
        yield db
    finally:
        db.dispose()


def backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def count_pings(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = db.engine.dialect.do_ping

    def counting(dbapi_conn: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_conn))

    monkeypatch.setattr(db.engine.dialect, "do_ping", counting)
    return pings


def test_a_connection_used_moments_ago_is_not_pinged(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "PG_PING_AFTER_IDLE_S", 3600.0)
    first = backend_pid(database)  # a new connection: pinged once
    pings = count_pings(database, monkeypatch)
    assert [backend_pid(database) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_dead_connection_is_replaced_before_use(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = backend_pid(database)
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (dead,))
    monkeypatch.setattr(db_module, "PG_PING_AFTER_IDLE_S", 0.0)  # every connection is "idle"
    pings = count_pings(database, monkeypatch)
    alive = backend_pid(database)  # no error: the ping found it dead and the pool replaced it
    assert alive != dead and len(pings) >= 1
