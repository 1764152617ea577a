"""The Overview's Deployments rows: counts read from real SQLite and PostgreSQL, and a
deployment that is down reports its error without holding up the others."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.safety import Environment, Profile
from levqor_desktop.core.safety.summaries import read_summaries, read_summary
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring

PROD = Profile("prod", environment=Environment.PRODUCTION)


def _seed(db: Database, org_id: int) -> None:
    """2 queued, 1 running, 3 failed this hour (+1 yesterday), 30 succeeded just now."""
    now = utcnow()
    rows = [(JobStatus.QUEUED, None)] * 2 + [(JobStatus.RUNNING, None)]
    rows += [(JobStatus.FAILED, now)] * 3 + [(JobStatus.FAILED, now - dt.timedelta(days=1))]
    rows += [(JobStatus.SUCCEEDED, now - dt.timedelta(minutes=1))] * 30
    with db.write_session() as session:
        for n, (status, finished) in enumerate(rows):
            session.add(
                Job(
                    org_id=org_id, workflow_name=f"seed-{n}", status=status,
                    created_at=now, finished_at=finished,
                )
            )  # fmt: skip


def _check_counts(app: App) -> None:
    assert app.actor is not None
    _seed(app.db, app.actor.org_id)
    summary = read_summary(PROD, app.db.url.render_as_string(hide_password=False))
    assert summary.reachable, summary.error
    assert (summary.queued, summary.running, summary.failed_last_hour) == (2, 1, 3)
    assert summary.per_minute == 2.0  # 30 in the last 15 minutes
    assert summary.colour == PROD.band_colour


def test_counts_on_sqlite(app: App) -> None:
    _check_counts(app)


@pytest.mark.postgres
def test_counts_on_postgresql(pg_app: App) -> None:
    _check_counts(pg_app)
    assert read_summary(PROD, pg_app.db.url.render_as_string(hide_password=False)).location == (
        f"PostgreSQL {pg_app.db.location}"
    )


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "nowhere.db"
    summary = read_summary(PROD, f"sqlite:///{path}")
    assert not summary.reachable
    assert "no database file" in (summary.error or "")
    assert not path.exists()


def test_an_empty_database_says_it_has_no_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    summary = read_summary(PROD, f"sqlite:///{path}")
    assert not summary.reachable
    assert "no Levqor schema" in (summary.error or "")


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_down_deployment_shows_its_error_and_the_others_still_read(
    app: App, closed_port: int
) -> None:
    down = Profile("staging", environment=Environment.STAGING)
    urls = {
        "local": app.db.url.render_as_string(hide_password=False),
        "staging": f"postgresql://ops:pw-s3cret@127.0.0.1:{closed_port}/levqor",
        "prod": "not a url",
    }
    local = Profile("local")
    summaries = read_summaries(
        [local, down, PROD], lambda p: urls[p.name], current="local", connect_timeout=2
    )
    assert [s.name for s in summaries] == ["local", "staging", "prod"]
    assert summaries[0].reachable and summaries[0].current
    assert not summaries[1].reachable and "s3cret" not in (summaries[1].error or "")
    assert summaries[1].error and str(closed_port) in summaries[1].error
    assert summaries[2].error == "the database URL is not valid"


@pytest.mark.postgres
def test_app_reads_every_profile_with_its_keyring_password(home, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    keyring = MemoryKeyring()
    settings = make_settings(home)
    pg = build_app(settings, secret_backend=keyring)
    pg.profiles.add("prod", database_url=pg_url, environment="production")
    pg.close()
    with build_app(settings, profile="prod", secret_backend=keyring) as prod:
        prod.start()  # creates the schema on the profile's PostgreSQL database
    with build_app(settings, secret_backend=keyring) as local:
        local.start()
        by_name = {s.name: s for s in local.deployment_summaries()}
    assert set(by_name) == {"local", "prod"}
    assert by_name["local"].current and by_name["local"].reachable
    assert by_name["prod"].reachable, by_name["prod"].error
    assert by_name["prod"].environment == "production"
    assert by_name["prod"].queued == 0
