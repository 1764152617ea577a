"""A background service that runs ``tick()`` on a thread every ``interval_s``.

Subclasses set ``name`` and ``thread_name`` and implement :meth:`tick`; a failed pass is
logged (with ``failure_message`` on ``logger``) and the next one runs on time. The class
attributes choose the few ways the services differ:

- ``first_pass_at_start``: the first pass runs as the thread starts (the schedulers,
  retention, the sampler), or one interval later (the heartbeat, whose rows were just
  written by the workers registering; recovery, which runs once in ``start`` itself).
- ``fixed_rate``: passes start every ``interval_s`` (the sampler's one-second series;
  after a stall it skips ahead rather than bursting), instead of a fixed pause between
  the end of one pass and the start of the next.
- ``stop_timeout_s``: how long :meth:`stop` waits for a pass in progress.

``autostart = False`` keeps :meth:`start` from starting the thread (processes that must
not run this service). Starting a started service does nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

log = logging.getLogger(__name__)


class PeriodicService(ABC):
    name = "periodic"
    thread_name = "levqor-periodic"
    first_pass_at_start = True
    fixed_rate = False
    stop_timeout_s = 10.0
    #: Where and what a failed pass logs ("" = "<name>: a pass failed").
    logger = log
    failure_message = ""

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
        if not self.autostart or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.stop_timeout_s)
            self._thread = None

    def _loop(self) -> None:
        if not self.first_pass_at_start and self._stop.wait(self.interval_s):
            return
        deadline = time.monotonic()
        while True:
            try:
                self.tick()
            except Exception:
                # A database hiccup must not end the service; the next pass retries.
                self.logger.exception("%s", self.failure_message or f"{self.name}: a pass failed")
            self.ticked.set()
            delay = self.interval_s
            if self.fixed_rate:
                deadline += self.interval_s
                delay = deadline - time.monotonic()
                if delay < 0:
                    deadline, delay = time.monotonic(), 0.0
            if self._stop.wait(delay):
                return
