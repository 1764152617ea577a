"""A background service that runs ``tick()`` at start and then every ``interval_s``.

Subclasses set ``name`` and ``thread_name`` and implement :meth:`tick`; a failed pass is
logged and the next one runs on time. ``autostart = False`` keeps :meth:`start` from
starting the thread (processes that must not run this service).
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from typing import Any

log = logging.getLogger(__name__)


class PeriodicService(ABC):
    name = "periodic"
    thread_name = "levqor-periodic"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.autostart = True
        #: Set after each pass (tests wait on it instead of sleeping).
        self.ticked = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def tick(self) -> Any:
        """One pass; what it returns is for callers that run it directly (tests)."""

    def start(self) -> None:
        if not self.autostart:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _loop(self) -> None:
        while True:
            try:
                self.tick()
            except Exception:
                log.exception("%s: a pass failed", self.name)
            self.ticked.set()
            if self._stop.wait(self.interval_s):
                return
