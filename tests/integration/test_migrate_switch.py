"""Switch to PostgreSQL, write there, roll back: every row is found in SQLite."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from levqor_desktop.app import App, build_app
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.migrate import SwitchResult, Target
from levqor_desktop.core.migrate.target import password_key
from levqor_desktop.core.models.base import utcnow
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.migrate_rows import populate
from tests.integration.migrate_support import counts, dump

pytestmark = pytest.mark.postgres


def test_switch_write_rollback_keeps_every_row(
    app: App, pg_url: str, home: Path, keyring_backend: MemoryKeyring
) -> None:
    populate(app.db)
    # The password travels apart from the URL (trust auth here ignores its value).
    target = Target.parse(pg_url, password="s3cret-pw")
    app.migrations.migrate(target, backup=False)
    result = app.migrations.switch(target)
    assert result.restart_required and not result.rolled_back
    assert app.flags.enabled(FlagName.PG_ENABLED)
    config = json.loads(app.settings.config_file.read_text())
    assert config["database_url"] == target.url_without_password
    assert "s3cret-pw" not in app.settings.config_file.read_text()
    assert app.secrets.get(password_key(target.url)) == "s3cret-pw"
    assert set(result.high_water) >= {"jobs", "usage_events"}
    before_rows = counts(app.db)
    app.close()

    # The next start runs on PostgreSQL, with the password from the keyring.
    settings = make_settings(home)
    on_pg = build_app(settings, secret_backend=keyring_backend).start()
    try:
        assert on_pg.db.backend == "postgresql"
        assert on_pg.db.url.password == "s3cret-pw"
        # Work done after the switch: new rows in every table, and an updated job.
        added = populate(on_pg.db, rows_per_table=16, explicit_ids=False)
        assert all(n > 0 for n in added.values()), added
        with on_pg.db.engine.begin() as conn:
            conn.execute(
                text("UPDATE jobs SET updated_at = :now WHERE id = (SELECT min(id) FROM jobs)"),
                {"now": utcnow() + dt.timedelta(seconds=1)},
            ) if "updated_at" in _columns(on_pg, "jobs") else None
        on_pg_rows = dump(on_pg.db)
        back = on_pg.migrations.rollback()
        assert back.parity["ok"]
        assert back.after_switch["jobs"]["new"] == added["jobs"]
        assert back.after_switch["usage_events"]["new"] == added["usage_events"]
        assert not on_pg.flags.enabled(FlagName.PG_ENABLED)
    finally:
        on_pg.close()

    # Back on SQLite: every row written on PostgreSQL is there, values identical.
    again = build_app(make_settings(home), secret_backend=keyring_backend).start()
    try:
        assert again.db.backend == "sqlite"
        back_rows = dump(again.db)
        for table, rows in on_pg_rows.items():
            assert all(row in back_rows[table] for row in rows), table
            # Only the audit row of PG_ENABLED going off was written since.
            assert len(back_rows[table]) - len(rows) == (table == "flag_audit"), table
        # The switch's own audit row was written on PostgreSQL, so it came back too.
        assert sum(map(len, on_pg_rows.values())) == (
            sum(before_rows.values()) + 1 + sum(added.values())
        )
        kinds = [r.kind for r in again.migrations.runs()]
        # The journal written on PostgreSQL came back with the data.
        assert kinds[:3] == ["rollback", "switch", "verify"]
        assert again.migrations.backups.list()[0].name.endswith("before-rollback.db")
    finally:
        again.close()


def _columns(app: App, table: str) -> set[str]:
    from levqor_desktop.core.models import Base

    return {c.name for c in Base.metadata.tables[table].columns}


def test_switch_carries_writes_made_after_the_copy(app: App, pg_url: str) -> None:
    """The app kept working between migrate and switch: the switch's final sync, under
    maintenance, copies again so nothing written meanwhile is left behind."""
    populate(app.db)
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    with app.db.engine.begin() as conn:
        conn.execute(text("UPDATE organizations SET name = 'renamed' WHERE id = 1"))
    result = app.migrations.switch(target)
    assert result.rows > 0
    assert app.flags.enabled(FlagName.PG_ENABLED)
    with target.connect(autocommit=True) as pg:
        name = pg.execute("SELECT name FROM organizations WHERE id = 1").fetchone()
    assert name is not None
    assert name[0] == "renamed"
    assert not app.maintenance.active


def test_switch_with_the_background_services_running(app: App, pg_url: str) -> None:
    """Workers beat, the sampler samples, a job runs: the one-click switch still succeeds
    (maintenance holds every background writer still while it checks parity)."""
    app.start_background()
    assert app.actor is not None
    step = {"id": "a", "uses": "core.log", "with": {"message": "x"}}
    app.jobs.enqueue(app.actor, document={"name": "tick", "steps": [step]})
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    result = app.migrations.switch(target)
    assert result.rows > 0
    assert app.flags.enabled(FlagName.PG_ENABLED)
    assert not app.maintenance.active


def test_failed_canary_hook_rolls_back_at_once(app: App, pg_url: str) -> None:
    populate(app.db)
    app.flags.set(FlagName.CANARY_MODE, True)
    target = Target.parse(pg_url)
    app.migrations.migrate(target, backup=False)
    calls: list[str] = []

    def canary(result: SwitchResult) -> bool:
        calls.append(result.target)
        return False

    # Only this hook (the canary engineer's own hook is tested on their side).
    app.migrations.on_switched[:] = [canary]
    result = app.migrations.switch(target)
    assert calls == [target.display]
    assert result.rolled_back and result.canary_failure == "the canary check failed"
    assert not app.flags.enabled(FlagName.PG_ENABLED)
