"""Switch: make the verified PostgreSQL copy this installation's database.

Under maintenance mode, the parity check runs once more (a row written to SQLite since
the copy would otherwise be lost), then: the password goes to the keyring, the URL
without it to ``config.json``, ``PG_ENABLED`` on (audited), and a ``switch`` run with the
high-water mark of every table is journaled on the target, which rollback uses to tell
which rows were written after the switch. The App uses the new database from its next
start. Hooks in ``on_switched`` run afterwards; with ``CANARY_MODE`` on, a failing hook
rolls the switch back at once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from psycopg import sql

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.migrate import runs
from levqor_desktop.core.migrate.host import StepHost
from levqor_desktop.core.migrate.progress import CancelToken, ProgressCallback
from levqor_desktop.core.migrate.tables import data_tables
from levqor_desktop.core.migrate.target import Target
from levqor_desktop.errors import LevqorError, MigrationError
from levqor_desktop.settings import write_config_value

log = logging.getLogger(__name__)


@dataclass
class SwitchResult:
    target: str
    switched_at: str
    high_water: dict[str, int | None]
    rows: int
    #: The App uses the new database from its next start.
    restart_required: bool = True
    notes: list[str] = field(default_factory=list)
    #: Set when a CANARY_MODE hook failed and the switch was rolled back.
    rolled_back: bool = False
    canary_failure: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def switch(
    service: StepHost,
    target: Target,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SwitchResult:
    flag = service.flags.state(FlagName.PG_ENABLED)
    if flag.locked and not flag.value:
        raise MigrationError(
            "PG_ENABLED is forced off by the environment variable PG_ENABLED: the switch "
            "could not take effect",
            hint="unset PG_ENABLED in the environment first",
        )
    with service._maintenance(f"switching to {target.display}"):
        parity = service.verify(target, progress, cancel)
        if not parity.ok:
            # The app kept working after the copy (jobs ran, workers beat): the final sync
            # copies again while maintenance holds every writer still, then checks again.
            log.info("source changed since the copy (%s): copying again", parity.summary())
            service.migrate(target, progress, cancel, backup=False)
            parity = service.verify(target, progress, cancel)
        if not parity.ok:
            raise MigrationError(
                "switch refused: the target differs from the source (" + parity.summary() + ")",
                hint="run migrate again (the source may have changed since the copy)",
            )
        high_water = _high_water(target)
        now = dt.datetime.now(dt.UTC)
        # Keyring first: config.json must never name a database whose password is lost.
        service.remember_password(target)
        write_config_value(
            service.settings.config_file, "database_url", target.url_without_password
        )
        audit_db = Database(target.sqlalchemy_url)
        try:
            service._set_pg(True, f"migration: switched to {target.display}", audit_db)
        finally:
            audit_db.dispose()
        result = SwitchResult(
            target=target.display,
            switched_at=now.isoformat(),
            high_water=high_water,
            rows=parity.rows,
        )
        if service.settings.environ.get("DATABASE_URL"):
            result.notes.append(
                "the environment variable DATABASE_URL overrides config.json: unset it or set "
                "it to the new database"
            )
        service._journal(
            target,
            "switch",
            runs.SUCCEEDED,
            f"switched; parity of {parity.rows} rows checked",
            {"high_water": high_water, "switched_at": result.switched_at},
        )
    _run_hooks(service, result)
    return result


def _high_water(target: Target) -> dict[str, int | None]:
    marks: dict[str, int | None] = {}
    with target.connect(autocommit=True) as pg:
        for table in data_tables():
            key = table.serial_pk
            if key is None:
                continue
            row = pg.execute(
                sql.SQL("SELECT max({}) FROM {}").format(
                    sql.Identifier(key.name), sql.Identifier(table.name)
                )
            ).fetchone()
            marks[table.name] = int(str(row[0])) if row and row[0] is not None else None
    return marks


def _run_hooks(service: StepHost, result: SwitchResult) -> None:
    canary = service.flags.enabled(FlagName.CANARY_MODE)
    for hook in list(service.on_switched):
        try:
            verdict = hook(result)
            failure = "the canary check failed" if verdict is False else None
        except LevqorError as exc:
            failure = str(exc)
        except Exception as exc:  # a hook's bug must not leave a half-switched app
            log.exception("switch hook failed")
            failure = f"{type(exc).__name__}: {exc}"
        if failure is None:
            continue
        if not canary:
            result.notes.append(
                f"a post-switch check failed ({failure}); CANARY_MODE is off, so it stays"
            )
            continue
        result.canary_failure = failure
        service.rollback()
        result.rolled_back = True
        return
