"""A fixed-size ring buffer of samples: one timestamp and one value per series per row.

Preallocated numpy arrays, so a second's sample costs no allocation and memory stays
flat however long the window runs.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class RingBuffer:
    """The last ``capacity`` samples of ``len(series)`` series; thread-safe."""

    def __init__(self, series: tuple[str, ...], capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.series = series
        self.capacity = capacity
        self._index = {name: i for i, name in enumerate(series)}
        self._ts: FloatArray = np.full(capacity, np.nan)
        self._values: FloatArray = np.full((capacity, len(series)), np.nan)
        self._next = 0
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self._size

    def append(self, ts: float, values: dict[str, float]) -> None:
        row = np.full(len(self.series), np.nan)
        for name, value in values.items():
            i = self._index.get(name)
            if i is not None:
                row[i] = value
        with self._lock:
            self._ts[self._next] = ts
            self._values[self._next] = row
            self._next = (self._next + 1) % self.capacity
            self._size = min(self._size + 1, self.capacity)

    def oldest(self) -> float | None:
        with self._lock:
            if self._size == 0:
                return None
            start = (self._next - self._size) % self.capacity
            return float(self._ts[start])

    def window(
        self, names: tuple[str, ...], since: float, until: float | None = None
    ) -> tuple[FloatArray, dict[str, FloatArray]]:
        """Copies of the samples with ``since <= ts <= until``, oldest first."""
        with self._lock:
            order = (np.arange(self._size) + self._next - self._size) % self.capacity
            ts = self._ts[order]
            values = self._values[order]
        mask = ts >= since
        if until is not None:
            mask &= ts <= until
        cols = {n: values[mask, self._index[n]].copy() for n in names if n in self._index}
        return ts[mask].copy(), cols
