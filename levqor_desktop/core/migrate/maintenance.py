"""Maintenance mode: writes paused while data moves, visible to every process.

The state is a file in the data folder (``maintenance.json``), written atomically, so a
second window or ``levqor worker`` on the same machine sees it. A file left by a process
that died (SIGKILL during a migration) names a process that no longer runs: it is treated
as stale and reported, not obeyed forever.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from levqor_desktop.errors import MaintenanceMode, MigrationError

FILE_NAME = "maintenance.json"


@dataclass(frozen=True)
class MaintenanceState:
    reason: str
    pid: int
    host: str
    since: str

    @property
    def alive(self) -> bool:
        """Does the process that entered maintenance still run? (Other hosts: assume so.)"""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class Maintenance:
    """``app.maintenance``: ``active``, ``enter(reason)``, ``exit()``, ``guard()``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE_NAME

    def state(self) -> MaintenanceState | None:
        """The live state, or None (no file, or the file of a process that is gone)."""
        state = self._read()
        return state if state is not None and state.alive else None

    def stale(self) -> MaintenanceState | None:
        """A state left behind by a process that died, if any."""
        state = self._read()
        return state if state is not None and not state.alive else None

    @property
    def active(self) -> bool:
        return self.state() is not None

    @property
    def reason(self) -> str | None:
        state = self.state()
        return state.reason if state else None

    def guard(self) -> None:
        """Raise :class:`MaintenanceMode` while maintenance is on (services call this)."""
        state = self.state()
        if state is not None:
            raise MaintenanceMode(
                f"writes are paused: {state.reason}",
                hint="wait until the migration ends (see the Migrations panel)",
            )

    def enter(self, reason: str) -> None:
        current = self.state()
        if current is not None and current.pid != os.getpid():
            raise MigrationError(
                f"maintenance is already on since {current.since} ({current.reason}, "
                f"process {current.pid})",
                hint="wait for that migration to finish",
            )
        state = {
            "reason": reason,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def exit(self) -> None:
        """Leave maintenance mode (a no-op when it is off)."""
        self.path.unlink(missing_ok=True)

    def _read(self) -> MaintenanceState | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return MaintenanceState(
                str(data["reason"]), int(data["pid"]), str(data["host"]), str(data["since"])
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            # A torn or foreign file: treat as on, from an unknown process, so nobody
            # writes by accident; exit() removes it.
            return MaintenanceState("maintenance file unreadable", 0, "?", "?")
