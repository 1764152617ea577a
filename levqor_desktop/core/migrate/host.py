"""What the switch and rollback steps need of the migration service.

:mod:`.service` calls :mod:`.switch` and :mod:`.rollback`; they call back into the
service through this protocol, so the imports point one way (service -> steps -> host).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from levqor_desktop.core.db import Database
from levqor_desktop.core.flags import FlagStore
from levqor_desktop.core.migrate.backup import BackupInfo
from levqor_desktop.core.migrate.progress import CancelToken, ProgressCallback
from levqor_desktop.core.migrate.target import Target
from levqor_desktop.core.migrate.verify import ParityReport
from levqor_desktop.settings import Settings

#: Sets PG_ENABLED, audited in the given database: (value, reason, audit database).
FlagSetter = Callable[[bool, str, Database], object]


class StepHost(Protocol):
    settings: Settings
    flags: FlagStore
    source_path: Path
    on_switched: list[Callable[[Any], bool | None]]
    _set_pg: FlagSetter

    def target(self, url: str | None = None, password: str | None = None) -> Target: ...

    def backup(
        self, progress: ProgressCallback | None = None, *, label: str = ""
    ) -> BackupInfo: ...

    def migrate(
        self,
        target: Target,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        backup: bool = True,
    ) -> dict[str, Any]: ...

    def verify(
        self,
        target: Target,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        record: bool = True,
    ) -> ParityReport: ...

    def remember_password(self, target: Target) -> None: ...

    def rollback(
        self,
        target: Target | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> object: ...

    def _maintenance(self, reason: str) -> AbstractContextManager[None]: ...

    def _journal(
        self, target: Target, kind: str, status: str, message: str, detail: dict[str, Any] | None
    ) -> str: ...
