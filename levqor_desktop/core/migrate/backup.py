"""Backups of the SQLite database: online copy, manifest, list, restore, prune.

A backup uses SQLite's online backup API, so the app may keep running while it is
taken and the copy is a consistent snapshot. It is written as ``*.partial`` and renamed
only once complete and described by its manifest (SHA-256, schema revisions, rows per
table), so a crash or a full disk never leaves something that looks like a backup.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import errno
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from levqor_desktop.core.migrate.tables import quote
from levqor_desktop.errors import MigrationError, NotFoundError

PREFIX = "levqor-"
#: Backups kept by :meth:`BackupStore.prune` unless told otherwise.
DEFAULT_KEEP = 10
#: Pages copied per step of the online backup (4 MB with 4 KB pages).
PAGES_PER_STEP = 1024

#: Called with (pages copied, pages total) during a backup.
BackupProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackupInfo:
    name: str
    path: str
    created_at: str
    size_bytes: int
    sha256: str
    schema_revisions: list[str]
    row_counts: dict[str, int]
    source: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class BackupStore:
    """The backups folder of one SQLite database."""

    def __init__(self, database: Path, folder: Path) -> None:
        self.database = database
        self.folder = folder

    def create(self, progress: BackupProgress | None = None, *, label: str = "") -> BackupInfo:
        if not self.database.exists():
            raise MigrationError(f"there is no SQLite database at {self.database} to back up")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._remove_partials()
        self._check_space()
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{PREFIX}{stamp}{('-' + label) if label else ''}.db"
        final = self.folder / name
        partial = final.with_name(final.name + ".partial")
        try:
            self._copy(partial, progress)
            info = self._describe(partial, final, now)
            os.replace(partial, final)
            self._write_manifest(final, info)
        except sqlite3.Error as exc:
            self._discard(partial, final)
            raise self._explain(exc) from None
        except OSError as exc:
            self._discard(partial, final)
            raise self._explain(exc) from None
        except BaseException:
            self._discard(partial, final)
            raise
        return info

    def list(self) -> builtins.list[BackupInfo]:
        """Complete backups, newest first (a file without a valid manifest is skipped)."""
        found: list[BackupInfo] = []
        if not self.folder.is_dir():
            return found
        for manifest in self.folder.glob(f"{PREFIX}*.json"):
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                info = BackupInfo(**data)
            except (OSError, ValueError, TypeError):
                continue
            if Path(info.path).exists():
                found.append(info)
        return sorted(found, key=lambda b: b.created_at, reverse=True)

    def get(self, name: str) -> BackupInfo:
        for info in self.list():
            if name in (info.name, Path(info.name).stem, info.path):
                return info
        raise NotFoundError(f"no backup named {name!r} in {self.folder}")

    def check(self, info: BackupInfo) -> None:
        """Raise unless the file still has the SHA-256 its manifest records."""
        if sha256_of(Path(info.path)) != info.sha256:
            raise MigrationError(
                f"backup {info.name} does not match its manifest (SHA-256 differs): "
                "it was changed or damaged",
                hint="choose another backup",
            )

    def restore(self, name: str) -> tuple[BackupInfo, BackupInfo]:
        """Replace the live database with a backup; returns (restored, safety backup).

        The current database is backed up first, so a restore can itself be undone.
        """
        info = self.get(name)
        self.check(info)
        safety = self.create(label="before-restore")
        src = sqlite3.connect(f"file:{info.path}?mode=ro", uri=True)
        dst = sqlite3.connect(str(self.database))
        try:
            dst.execute("PRAGMA busy_timeout=10000")
            src.backup(dst, pages=PAGES_PER_STEP)
        except sqlite3.Error as exc:
            raise MigrationError(
                f"restore of {info.name} failed: {exc}; the database was backed up first as "
                f"{safety.name}"
            ) from None
        finally:
            src.close()
            dst.close()
        return info, safety

    def prune(self, keep: int = DEFAULT_KEEP) -> builtins.list[BackupInfo]:
        """Delete all but the newest ``keep`` backups; return those deleted."""
        if keep < 1:
            raise MigrationError("keep at least one backup (retention must be 1 or more)")
        removed = self.list()[keep:]
        for info in removed:
            Path(info.path).unlink(missing_ok=True)
            Path(info.path).with_suffix(".json").unlink(missing_ok=True)
        self._remove_partials()
        return removed

    # -- internals --------------------------------------------------------------------

    def _copy(self, partial: Path, progress: BackupProgress | None) -> None:
        src = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)
        dst = sqlite3.connect(str(partial))
        try:
            src.execute("PRAGMA busy_timeout=10000")

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            src.backup(dst, pages=PAGES_PER_STEP, progress=step)
            # The copy inherits WAL mode; make it one self-contained file.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
            src.close()

    def _describe(self, partial: Path, final: Path, now: dt.datetime) -> BackupInfo:
        conn = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
        try:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            counts = {
                t: conn.execute(f"SELECT count(*) FROM {quote(t)}").fetchone()[0] for t in tables
            }
            revisions = (
                sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
                if "alembic_version" in tables
                else []
            )
        finally:
            conn.close()
        return BackupInfo(
            name=final.name,
            path=str(final),
            created_at=now.isoformat(timespec="microseconds"),
            size_bytes=partial.stat().st_size,
            sha256=sha256_of(partial),
            schema_revisions=revisions,
            row_counts=counts,
            source=str(self.database),
        )

    def _write_manifest(self, final: Path, info: BackupInfo) -> None:
        manifest = final.with_suffix(".json")
        tmp = manifest.with_name(manifest.name + ".partial")
        tmp.write_text(json.dumps(info.to_dict(), indent=2, sort_keys=True) + "\n", "utf-8")
        os.replace(tmp, manifest)

    def _discard(self, partial: Path, final: Path) -> None:
        extras = [partial.with_name(partial.name + s) for s in ("-journal", "-wal", "-shm")]
        for path in (partial, *extras, final, final.with_suffix(".json")):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def _remove_partials(self) -> None:
        for path in self.folder.glob(f"{PREFIX}*.partial*"):
            with contextlib.suppress(OSError):
                path.unlink()

    def _check_space(self) -> None:
        need = self.database.stat().st_size
        wal = self.database.with_name(self.database.name + "-wal")
        if wal.exists():
            need += wal.stat().st_size
        free = shutil.disk_usage(self.folder).free
        if free < need:
            raise MigrationError(
                f"not enough disk space for a backup in {self.folder}: it needs about "
                f"{_mb(need)}, {_mb(free)} is free",
                hint="free some space or prune old backups; nothing was written",
            )

    def _explain(self, exc: BaseException) -> MigrationError:
        text = str(exc)
        full = isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
        if full or "full" in text.lower() or "disk i/o error" in text.lower():
            return MigrationError(
                f"the disk holding {self.folder} filled up during the backup; the partial "
                "file was removed and the database was not touched",
                hint="free some space or prune old backups, then try again",
            )
        return MigrationError(
            f"backup of {self.database} failed: {text}; the partial file was removed"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
