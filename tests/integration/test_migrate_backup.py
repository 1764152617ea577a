"""Backups: online copy with a manifest, listed, restored (after a safety copy), pruned."""

from __future__ import annotations

import contextlib
import hashlib
import json
import resource
import signal
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from levqor_desktop.app import App
from levqor_desktop.errors import MigrationError
from tests.integration.migrate_rows import populate


def test_backup_manifest_describes_the_file(app: App) -> None:
    made = populate(app.db)
    pages: list[tuple[int, int]] = []
    info = app.migrations.backups.create(lambda done, total: pages.append((done, total)))
    path = Path(info.path)
    assert path.parent == app.settings.data_dir / "backups"
    assert path.name.startswith("levqor-") and path.suffix == ".db"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == info.sha256
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["sha256"] == info.sha256
    assert sorted(manifest["schema_revisions"]) == manifest["schema_revisions"] != []
    for table, n in made.items():
        assert manifest["row_counts"][table] >= n
    assert pages and pages[-1][0] == pages[-1][1]
    # A self-contained file: opens alone, the same rows as the live database.
    copy = sqlite3.connect(path)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert copy.execute("SELECT count(*) FROM jobs").fetchone()[0] == made["jobs"]
    copy.close()


def test_restore_backs_up_first_and_brings_rows_back(app: App) -> None:
    populate(app.db)
    first = app.migrations.backups.create()
    with app.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM job_steps"))
        conn.execute(text("DELETE FROM jobs"))
    app.db.dispose()
    restored, safety = app.migrations.backups.restore(first.name)
    assert restored.name == first.name
    with app.db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs")).scalar() == first.row_counts["jobs"]
    assert Path(safety.path).exists() and safety.row_counts["jobs"] == 0
    assert [b.name for b in app.migrations.backups.list()][:2] == [safety.name, first.name]


def test_a_changed_backup_is_not_restored(app: App) -> None:
    info = app.migrations.backups.create()
    with open(info.path, "r+b") as fh:
        fh.seek(200)
        fh.write(b"\x00\x01")
    with pytest.raises(MigrationError, match="does not match its manifest"):
        app.migrations.backups.restore(info.name)


def test_prune_keeps_the_newest(app: App) -> None:
    names = [app.migrations.backups.create().name for _ in range(4)]
    removed = app.migrations.backups.prune(keep=2)
    assert sorted(b.name for b in removed) == sorted(names[:2])
    assert [b.name for b in app.migrations.backups.list()] == names[:1:-1]
    with pytest.raises(MigrationError, match="keep at least one"):
        app.migrations.backups.prune(keep=0)


@contextlib.contextmanager
def _file_size_limit(limit: int) -> Iterator[None]:
    """Files may not grow beyond ``limit`` bytes: what a full disk looks like to SQLite."""
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


def test_disk_full_during_backup(app: App) -> None:
    populate(app.db)
    app.db.dispose()
    source = app.settings.sqlite_path
    before = source.read_bytes()
    with (
        _file_size_limit(64 * 1024),
        pytest.raises(MigrationError, match="filled up during the backup"),
    ):
        app.migrations.backups.create()
    assert list((app.settings.data_dir / "backups").iterdir()) == []
    assert source.read_bytes() == before
    assert app.migrations.backups.list() == []
