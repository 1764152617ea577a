"""A rolling window of recent observations: error rate and duration quantiles.

Prometheus histograms cannot answer "what was the p95 over the last minute" inside the
process, and the panel needs exactly that every second; a bounded deque of
``(time, value, failed)`` can, cheaply.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

import numpy as np

#: Upper bound on kept observations, whatever the rate (memory stays flat under load).
MAX_OBSERVATIONS = 200_000


class RollingWindow:
    """Observations of the last ``span_s`` seconds, on a monotonic clock; thread-safe."""

    def __init__(
        self, span_s: float, clock: Callable[[], float], maxlen: int = MAX_OBSERVATIONS
    ) -> None:
        self.span_s = span_s
        self._clock = clock
        self._items: deque[tuple[float, float, bool]] = deque(maxlen=maxlen)
        self._lock = threading.Lock()

    def add(self, value: float, *, failed: bool = False) -> None:
        now = self._clock()
        with self._lock:
            self._items.append((now, value, failed))
            self._prune(now)

    def _prune(self, now: float) -> None:
        cutoff = now - self.span_s
        items = self._items
        while items and items[0][0] < cutoff:
            items.popleft()

    def _recent(self, within_s: float | None) -> list[tuple[float, float, bool]]:
        now = self._clock()
        with self._lock:
            self._prune(now)
            if within_s is None or within_s >= self.span_s:
                return list(self._items)
            cutoff = now - within_s
            return [item for item in self._items if item[0] >= cutoff]

    def failure_ratio(self, within_s: float | None = None) -> float:
        """Failed / all observations in the window; 0 when there are none."""
        items = self._recent(within_s)
        if not items:
            return 0.0
        return sum(1 for _, _, failed in items if failed) / len(items)

    def quantiles(self, qs: tuple[float, ...], within_s: float | None = None) -> list[float]:
        """The ``qs`` quantiles (0..1) of the values; NaN each when the window is empty."""
        items = self._recent(within_s)
        if not items:
            return [math.nan for _ in qs]
        values = np.fromiter((v for _, v, _ in items), dtype=float, count=len(items))
        return [float(x) for x in np.quantile(values, qs)]

    def count(self, within_s: float | None = None) -> int:
        return len(self._recent(within_s))
