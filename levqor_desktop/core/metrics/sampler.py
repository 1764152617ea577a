"""The sampler: the key series once a second in memory, once a minute in the database.

The Metrics panel reads :meth:`Sampler.history`: the last two hours at one-second
resolution from the ring buffer, anything older (and everything after a restart) from
``metric_samples`` at one-minute resolution. Time is wall-clock seconds (UTC epoch)
from an injectable clock, so tests drive :meth:`Sampler.tick` without sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.db import Database
from levqor_desktop.core.metrics.registry import Metrics, Snapshot
from levqor_desktop.core.metrics.ring import FloatArray, RingBuffer
from levqor_desktop.core.models.observability import MetricSample
from levqor_desktop.core.periodic import PeriodicService

log = logging.getLogger(__name__)

#: The series the sampler records, in ring-buffer column order.
SERIES: tuple[str, ...] = (
    "jobs_succeeded_per_s",
    "jobs_failed_per_s",
    "jobs_canceled_per_s",
    "queue_waiting",
    "queue_running",
    "error_rate",
    "job_p50_s",
    "job_p95_s",
    "connector_calls_per_s",
    "connector_p50_s",
    "connector_p95_s",
    "workers",
    "database_up",
)
#: Two hours at one sample a second (13 series: about 1 MB).
RING_CAPACITY = 7200
MINUTE = 60.0
#: Ranges longer than this are drawn from minute means only.
LONG_RANGE_S = 3 * 3600.0
#: How long minute samples are kept, and how often old ones are deleted.
DEFAULT_RETENTION = dt.timedelta(days=30)
PRUNE_EVERY_S = 3600.0

THROUGHPUT = {
    "succeeded": "jobs_succeeded_per_s",
    "failed": "jobs_failed_per_s",
    "canceled": "jobs_canceled_per_s",
}


@dataclass(frozen=True)
class History:
    """Samples of some series over a time range, oldest first (timestamps: UTC epoch s)."""

    ts: FloatArray
    values: dict[str, FloatArray]
    #: 1.0 for the ring buffer's seconds, 60.0 when minute samples were used.
    resolution_s: float


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _moment(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


class Sampler(PeriodicService):
    """A background service: ``start()`` runs :meth:`tick` every ``interval_s`` on a
    thread, at a fixed rate (one sample a second, not a second after the last one)."""

    name = "metrics-sampler"
    thread_name = "metrics-sampler"
    fixed_rate = True
    stop_timeout_s = 5.0
    logger = log
    failure_message = "metrics sample failed"

    def __init__(
        self,
        metrics: Metrics,
        db: Database | None,
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = 1.0,
        capacity: int = RING_CAPACITY,
        retention: dt.timedelta = DEFAULT_RETENTION,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(interval_s)
        self.metrics = metrics
        self.db = db
        #: True during maintenance: minutes are not stored nor pruned (the graphs keep
        #: their in-memory history; a migration compares a still database).
        self.paused = paused
        self.clock = clock
        self.retention = retention
        self.ring = RingBuffer(SERIES, capacity)
        self._last: tuple[float, dict[str, int], int] | None = None
        self._minute: float | None = None
        self._sums: dict[str, float] = {}
        self._counts: dict[str, int] = {}
        self._last_prune = -math.inf
        self._tick_lock = threading.Lock()

    # -- background service -----------------------------------------------------------

    def stop(self) -> None:
        super().stop()
        self.flush()

    # -- sampling ---------------------------------------------------------------------

    def tick(self, now: float | None = None) -> dict[str, float]:
        """Take one sample now (or at ``now``); return it."""
        with self._tick_lock:
            now = self.clock() if now is None else now
            sample = self._sample(now, self.metrics.snapshot())
            self.ring.append(now, sample)
            self._accumulate(now, sample)
            return sample

    def _sample(self, now: float, snap: Snapshot) -> dict[str, float]:
        sample: dict[str, float] = {}
        last = self._last
        self._last = (now, dict(snap.jobs_total), snap.connector_calls)
        elapsed = now - last[0] if last is not None else 0.0
        for status, series in THROUGHPUT.items():
            if last is None or elapsed <= 0:
                sample[series] = 0.0
            else:
                done = snap.jobs_total.get(status, 0) - last[1].get(status, 0)
                sample[series] = max(done, 0) / elapsed
        calls = snap.connector_calls - last[2] if last is not None and elapsed > 0 else 0
        sample["connector_calls_per_s"] = max(calls, 0) / elapsed if elapsed > 0 else 0.0
        sample["queue_waiting"] = float(sum(n for _, s, n in snap.depth if s != "running"))
        sample["queue_running"] = float(sum(n for _, s, n in snap.depth if s == "running"))
        sample["error_rate"] = snap.error_rate
        sample["job_p50_s"] = snap.job_p50
        sample["job_p95_s"] = snap.job_p95
        sample["connector_p50_s"] = snap.connector_p50
        sample["connector_p95_s"] = snap.connector_p95
        sample["workers"] = snap.workers
        sample["database_up"] = snap.database_up
        return sample

    def _accumulate(self, now: float, sample: dict[str, float]) -> None:
        minute = math.floor(now / MINUTE) * MINUTE
        if self._minute is not None and minute != self._minute:
            self._persist()
        self._minute = minute
        for name, value in sample.items():
            if not math.isnan(value):
                self._sums[name] = self._sums.get(name, 0.0) + value
                self._counts[name] = self._counts.get(name, 0) + 1
        if now - self._last_prune >= PRUNE_EVERY_S:
            self._last_prune = now
            self.prune(now)

    def _pending(self) -> dict[str, float]:
        return {n: self._sums[n] / c for n, c in self._counts.items() if c}

    def _persist(self) -> None:
        """Write the finished minute's means to the database."""
        means, minute = self._pending(), self._minute
        self._sums.clear()
        self._counts.clear()
        if self.db is None or minute is None or not means:
            return
        if self.paused is not None and self.paused():
            return
        at = _moment(minute)
        try:
            with self.db.session() as session:
                session.add_all(
                    MetricSample(series=name, ts=at, value=value) for name, value in means.items()
                )
        except DBAPIError as exc:
            log.warning("could not store metric samples: %s", exc.orig)

    def flush(self) -> None:
        """Store the current (partial) minute now; on shutdown."""
        with self._tick_lock:
            self._persist()
            self._minute = None

    def prune(self, now: float | None = None) -> int:
        """Delete minute samples older than the retention; return how many."""
        if self.db is None or (self.paused is not None and self.paused()):
            return 0
        now = self.clock() if now is None else now
        cutoff = _moment(now) - self.retention
        try:
            with self.db.session() as session:
                result = session.execute(delete(MetricSample).where(MetricSample.ts < cutoff))
                return int(getattr(result, "rowcount", 0) or 0)
        except DBAPIError as exc:
            log.warning("could not prune metric samples: %s", exc.orig)
            return 0

    # -- reading ----------------------------------------------------------------------

    def history(self, names: tuple[str, ...], since: float, until: float | None = None) -> History:
        """The series from ``since``: seconds from memory, older minutes from the database."""
        names = tuple(n for n in names if n in SERIES)
        oldest = self.ring.oldest()
        if oldest is not None and since >= oldest:
            ts, values = self.ring.window(names, since, until)
            return History(ts, values, 1.0)
        stored_ts, stored = self._stored(names, since, oldest if oldest is not None else until)
        ts, values = self.ring.window(names, since, until)
        span = (self.clock() if until is None else until) - since
        resolution = 1.0 if len(stored_ts) == 0 else MINUTE
        if len(ts) > 0 and span > LONG_RANGE_S:
            # A long range: minute means read better than 7,200 jagged seconds.
            ts, values = _by_minute(ts, values)
            resolution = MINUTE
        merged = {n: np.concatenate([stored[n], values.get(n, np.empty(0))]) for n in names}
        return History(np.concatenate([stored_ts, ts]), merged, resolution)

    def _stored(
        self, names: tuple[str, ...], since: float, before: float | None
    ) -> tuple[FloatArray, dict[str, FloatArray]]:
        empty: dict[str, FloatArray] = {n: np.empty(0) for n in names}
        if self.db is None or not names:
            return np.empty(0), empty
        query = select(MetricSample.ts, MetricSample.series, MetricSample.value).where(
            MetricSample.series.in_(names), MetricSample.ts >= _moment(since)
        )
        if before is not None:
            query = query.where(MetricSample.ts < _moment(math.floor(before / MINUTE) * MINUTE))
        try:
            with self.db.session() as session:
                rows = session.execute(query.order_by(MetricSample.ts)).all()
        except DBAPIError as exc:
            log.warning("could not read metric samples: %s", exc.orig)
            return np.empty(0), empty
        stamps = sorted({_epoch(r[0]) for r in rows})
        slot = {t: i for i, t in enumerate(stamps)}
        out = {n: np.full(len(stamps), np.nan) for n in names}
        for at, series, value in rows:
            out[series][slot[_epoch(at)]] = value
        return np.asarray(stamps, dtype=float), out


def _by_minute(
    ts: FloatArray, values: dict[str, FloatArray]
) -> tuple[FloatArray, dict[str, FloatArray]]:
    minutes = np.floor(ts / MINUTE) * MINUTE
    keys, inverse = np.unique(minutes, return_inverse=True)
    out: dict[str, FloatArray] = {}
    for name, column in values.items():
        sums = np.zeros(len(keys))
        counts = np.zeros(len(keys))
        ok = ~np.isnan(column)
        np.add.at(sums, inverse[ok], column[ok])
        np.add.at(counts, inverse[ok], 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return keys, out
