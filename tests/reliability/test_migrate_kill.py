"""SIGKILL the migrating process at four points; the source is untouched, a rerun finishes.

The migration runs in a subprocess whose progress callback kills the process itself at
the chosen point, so the kill lands exactly there (no timing, no sleeps). Small batches
make every table span several batches, so "mid-table" is really mid-table.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.migrate import Target
from tests.integration.migrate_rows import populate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from levqor_desktop.app import build_app
    from levqor_desktop.core.migrate import Target, backup, copy
    from levqor_desktop.settings import Settings

    point, url = sys.argv[1], sys.argv[2]
    copy.BATCH_ROWS = 5  # several batches per table
    backup.PAGES_PER_STEP = 1  # several backup steps
    app = build_app(Settings.from_env()).start()
    tables_with_rows = []

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def on_progress(p):
        if point == "backup" and p.phase == "backup" and p.rows > 0:
            die()
        if p.phase == "copy" and p.table and p.table_total and p.table not in tables_with_rows:
            tables_with_rows.append(p.table)
        if point == "early-table" and p.phase == "copy" and len(tables_with_rows) == 2:
            die()  # the first table with rows is committed, the second just began
        if (point == "mid-table" and p.phase == "copy" and len(tables_with_rows) >= 5
                and 0 < p.table_rows < p.table_total):
            die()
        if point == "before-sequences" and p.phase == "sequences":
            die()

    app.migrations.migrate(Target.parse(url), on_progress)
    print("finished without being killed")
    """
)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    for p in (path, path.with_name(path.name + "-wal")):
        if p.exists():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("point", ["backup", "early-table", "mid-table", "before-sequences"])
def test_kill_then_rerun_finishes(app: App, pg_url: str, home: Path, point: str) -> None:
    populate(app.db)
    app.db.dispose()
    source = app.settings.sqlite_path
    before = _digest(source)
    env = {**os.environ, "LEVQOR_HOME": str(home), "PYTHONPATH": str(Path.cwd())}
    for var in ("DATABASE_URL", "PG_ENABLED", "CANARY_MODE"):
        env.pop(var, None)
    child = subprocess.run(
        [sys.executable, "-c", CHILD, point, pg_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr

    # The source was not touched; the dead process's maintenance mode is not obeyed.
    assert _digest(source) == before
    assert app.maintenance.stale() is not None
    assert not app.maintenance.active
    # A partial backup never looks like a backup.
    assert all(not b.path.endswith(".partial") for b in app.migrations.backups.list())

    target = Target.parse(pg_url)
    report = app.migrations.preflight(target)
    assert report.ok, report.reasons()
    if point in ("early-table", "mid-table", "before-sequences"):
        assert report.target_state == "partial"
        interrupted = app.migrations.runs(target=target)[0]
        assert (interrupted.kind, interrupted.outcome) == ("migrate", "interrupted")

    app.migrations.migrate(target)
    parity = app.migrations.verify(target)
    assert parity.ok, parity.summary()
    assert _digest(source) == before
    assert not list(app.migrations.backups.folder.glob("*.partial"))
