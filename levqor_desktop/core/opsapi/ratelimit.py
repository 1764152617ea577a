"""Per-key rate limiting: a token bucket per API key (or client address).

Each bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a request
takes one. An empty bucket answers how long until the next token, which becomes the
429's ``Retry-After``. Buckets idle long enough to be full again are forgotten, so the
table cannot grow without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

#: Sweep forgotten buckets when the table grows past this many keys.
SWEEP_AT = 10_000


class TokenBuckets:
    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        # key -> (tokens, when they were counted)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when allowed, else the seconds until one is free."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed = True
            else:
                self._buckets[key] = (tokens, now)
                allowed = False
            if len(self._buckets) > SWEEP_AT:
                self._sweep(now)
        return 0.0 if allowed else (1.0 - tokens) / self.rate

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key, (_, at) in list(self._buckets.items()):
            if now - at > full_after:
                del self._buckets[key]


def retry_after_header(seconds: float) -> str:
    """Retry-After takes whole seconds; never 0 for a refused request."""
    return str(max(1, math.ceil(seconds)))
