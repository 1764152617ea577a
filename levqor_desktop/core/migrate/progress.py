"""Progress reports (table, rows, rate, time left) and cooperative cancellation."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from levqor_desktop.errors import MigrationError


class MigrationCanceled(MigrationError):
    """The operator canceled; nothing on the source changed."""


@dataclass(frozen=True)
class Progress:
    #: backup | schema | clean | copy | sequences | verify | copy-back | done
    phase: str
    table: str | None = None
    table_rows: int = 0
    table_total: int = 0
    rows: int = 0
    total: int = 0
    rate: float = 0.0  # rows per second over the phase so far
    eta_s: float | None = None
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.rows / self.total if self.total else 0.0


ProgressCallback = Callable[[Progress], None]


def _ignore(_progress: Progress) -> None:
    return None


class CancelToken:
    """Set from any thread; the worker checks it between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise MigrationCanceled("canceled by the operator; the source was not changed")


class Meter:
    """Counts rows of one phase and reports rate and time left."""

    def __init__(
        self, phase: str, total: int, callback: ProgressCallback | None, cancel: CancelToken | None
    ) -> None:
        self.phase = phase
        self.total = total
        self.rows = 0
        self._callback = callback or _ignore
        self._cancel = cancel or CancelToken()
        self._start = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def check(self) -> None:
        self._cancel.check()

    def event(self, message: str, table: str | None = None) -> None:
        self._callback(
            Progress(self.phase, table, rows=self.rows, total=self.total, message=message)
        )

    def advance(self, table: str, table_rows: int, table_total: int, added: int) -> None:
        self.rows += added
        elapsed = max(self.elapsed, 1e-6)
        rate = self.rows / elapsed
        eta = (self.total - self.rows) / rate if rate > 0 else None
        self._callback(
            Progress(self.phase, table, table_rows, table_total, self.rows, self.total, rate, eta)
        )
        self._cancel.check()
