"""The App's Prometheus metrics: one :class:`CollectorRegistry`, never the global one.

Services report through :meth:`Metrics.observe_job`, :meth:`Metrics.observe_step` and
:meth:`Metrics.observe_connector_call`. Queue depth, worker count and database status
are pulled at scrape time from callables. Per-workflow and per-connector label values
are exported only while ``ADVANCED_METRICS_ENABLED`` is on; otherwise those labels hold
``_all`` so the series count stays small and fixed.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from levqor_desktop import __version__
from levqor_desktop.core.metrics.sources import (
    OPEN_STATES,
    DepthRow,
    DepthSource,
    WorkerSource,
    normalize_depth,
)
from levqor_desktop.core.metrics.window import RollingWindow

log = logging.getLogger(__name__)

#: The label value standing for "every workflow/connector" when advanced metrics are off.
AGGREGATE = "_all"
#: The rolling span of ``levqor_error_rate``.
ERROR_RATE_SPAN_S = 300.0
#: How long one database ping answers ``levqor_database_status`` (scrapes come often).
DB_STATUS_TTL_S = 5.0

JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)
STEP_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

#: Job statuses that count as failures for the error rate.
FAILED_STATUSES = frozenset({"failed", "error"})
#: Connector outcomes that are not errors.
OK_OUTCOMES = frozenset({"ok", "success", "succeeded"})


@dataclass(frozen=True)
class Snapshot:
    """What the sampler reads once a second (cheap: no registry walk)."""

    jobs_total: dict[str, int]
    connector_calls: int
    connector_errors: int
    depth: list[DepthRow]
    error_rate: float
    job_p50: float
    job_p95: float
    connector_p50: float
    connector_p95: float
    workers: float
    database_up: float
    extra: dict[str, float] = field(default_factory=dict)


class _PulledCollector(Collector):
    """Gauges whose values are read when scraped."""

    def __init__(self, metrics: Metrics) -> None:
        self._m = metrics

    def describe(self) -> list[Metric]:
        # Describing without values keeps registration free of I/O.
        return [
            GaugeMetricFamily(
                "levqor_queue_depth", "Jobs waiting or running", labels=["queue", "state"]
            ),
            GaugeMetricFamily("levqor_error_rate", "Failed / finished jobs, last five minutes"),
            GaugeMetricFamily(
                "levqor_database_status", "1 when the database answers", labels=["backend"]
            ),
            GaugeMetricFamily("levqor_workers", "Live job workers"),
        ]

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "levqor_queue_depth", "Jobs waiting or running", labels=["queue", "state"]
        )
        rows = {(q, s): n for q, s, n in self._m.queue_depth()}
        # Zeros for the open states, so a graph of an idle queue shows 0, not "no data".
        for queue in {q for q, _ in rows} | {"default"}:
            for state in OPEN_STATES:
                rows.setdefault((queue, state), 0)
        for (queue, state), count in sorted(rows.items()):
            depth.add_metric([queue, state], count)
        yield depth
        yield GaugeMetricFamily(
            "levqor_error_rate",
            "Failed / finished jobs, last five minutes",
            value=self._m.error_rate(),
        )
        backend, up = self._m.database_status()
        status = GaugeMetricFamily(
            "levqor_database_status", "1 when the database answers", labels=["backend"]
        )
        if backend:
            status.add_metric([backend], 1.0 if up else 0.0)
        yield status
        workers = self._m.workers()
        if not math.isnan(workers):
            yield GaugeMetricFamily("levqor_workers", "Live job workers", value=workers)


class Metrics:
    """Counters, histograms and pulled gauges of one App; thread-safe."""

    def __init__(
        self,
        *,
        advanced: Callable[[], bool] = lambda: False,
        database_status: Callable[[], tuple[str, bool]] | None = None,
        depth_source: DepthSource | None = None,
        worker_source: WorkerSource | None = None,
        version: str = __version__,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._advanced = advanced
        self._database_status = database_status
        self._depth_source = depth_source
        self._worker_source = worker_source
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._jobs_total: Tally[str] = Tally()
        self._connector_calls = 0
        self._connector_errors = 0
        self._db_cache: tuple[float, tuple[str, bool]] | None = None
        self.jobs = RollingWindow(ERROR_RATE_SPAN_S, monotonic)
        self.calls = RollingWindow(ERROR_RATE_SPAN_S, monotonic)

        r = self.registry = CollectorRegistry(auto_describe=True)
        self._jobs_run = Counter(
            "levqor_jobs_run", "Jobs finished, by final status", ["status", "workflow"], registry=r
        )
        self._job_duration = Histogram(
            "levqor_job_duration_seconds",
            "Job run time, queued-to-finished excluded",
            ["workflow"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self._steps_run = Counter(
            "levqor_steps_run",
            "Steps finished, by status",
            ["status", "workflow", "uses"],
            registry=r,
        )
        self._step_duration = Histogram(
            "levqor_step_duration_seconds",
            "Step run time",
            ["workflow", "uses"],
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self._calls = Counter(
            "levqor_connector_calls",
            "Connector calls, by outcome",
            ["connector", "action", "outcome"],
            registry=r,
        )
        self._call_errors = Counter(
            "levqor_connector_errors",
            "Connector calls that failed",
            ["connector", "action"],
            registry=r,
        )
        self._call_latency = Histogram(
            "levqor_connector_call_duration_seconds",
            "Connector call latency",
            ["connector"],
            buckets=CALL_BUCKETS,
            registry=r,
        )
        # An "info" as a gauge with labels: promtool rejects OpenMetrics info types.
        Gauge(
            "levqor_api_version", "Levqor version (value always 1)", ["version"], registry=r
        ).labels(version).set(1)
        r.register(_PulledCollector(self))

    # -- wiring -----------------------------------------------------------------------

    def set_depth_source(self, source: DepthSource | None) -> None:
        self._depth_source = source

    def set_worker_source(self, source: WorkerSource | None) -> None:
        self._worker_source = source

    @property
    def advanced(self) -> bool:
        try:
            return bool(self._advanced())
        except Exception:  # a broken flag store must not break the job that reports
            return False

    def _label(self, value: str) -> str:
        return value if self.advanced and value else AGGREGATE

    # -- what other services call -----------------------------------------------------

    def observe_job(self, status: str, workflow: str, duration_s: float) -> None:
        status = status.lower()
        self._jobs_run.labels(status, self._label(workflow)).inc()
        if duration_s >= 0:
            self._job_duration.labels(self._label(workflow)).observe(duration_s)
        with self._lock:
            self._jobs_total[status] += 1
        self.jobs.add(max(duration_s, 0.0), failed=status in FAILED_STATUSES)

    def observe_step(self, workflow: str, uses: str, status: str, duration_s: float) -> None:
        wf, use = self._label(workflow), self._label(uses)
        self._steps_run.labels(status.lower(), wf, use).inc()
        if duration_s >= 0:
            self._step_duration.labels(wf, use).observe(duration_s)

    def observe_connector_call(
        self, connector: str, action: str, outcome: str, latency_s: float
    ) -> None:
        conn, act = self._label(connector), self._label(action)
        failed = outcome.lower() not in OK_OUTCOMES
        self._calls.labels(conn, act, outcome.lower()).inc()
        if failed:
            self._call_errors.labels(conn, act).inc()
        if latency_s >= 0:
            self._call_latency.labels(conn).observe(latency_s)
        with self._lock:
            self._connector_calls += 1
            self._connector_errors += int(failed)
        self.calls.add(max(latency_s, 0.0), failed=failed)

    # -- pulled values ----------------------------------------------------------------

    def error_rate(self) -> float:
        return self.jobs.failure_ratio()

    def queue_depth(self) -> list[DepthRow]:
        if self._depth_source is None:
            return []
        try:
            return normalize_depth(self._depth_source())
        except Exception as exc:
            log.warning("queue depth source failed: %s", exc)
            return []

    def workers(self) -> float:
        if self._worker_source is None:
            return math.nan
        try:
            return float(self._worker_source())
        except Exception as exc:
            log.warning("worker count source failed: %s", exc)
            return math.nan

    def database_status(self) -> tuple[str, bool]:
        if self._database_status is None:
            return "", False
        now = self._monotonic()
        cached = self._db_cache
        if cached is not None and now - cached[0] < DB_STATUS_TTL_S:
            return cached[1]
        try:
            value = self._database_status()
        except Exception as exc:
            log.warning("database status probe failed: %s", exc)
            value = ("unknown", False)
        self._db_cache = (now, value)
        return value

    # -- reading ----------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The Prometheus text format (what ``/metrics`` serves)."""
        return generate_latest(self.registry)

    def snapshot(self, quantile_window_s: float = 60.0) -> Snapshot:
        with self._lock:
            totals = dict(self._jobs_total)
            calls, errors = self._connector_calls, self._connector_errors
        j50, j95 = self.jobs.quantiles((0.5, 0.95), quantile_window_s)
        c50, c95 = self.calls.quantiles((0.5, 0.95), quantile_window_s)
        _, up = self.database_status()
        return Snapshot(
            jobs_total=totals,
            connector_calls=calls,
            connector_errors=errors,
            depth=self.queue_depth(),
            error_rate=self.error_rate(),
            job_p50=j50,
            job_p95=j95,
            connector_p50=c50,
            connector_p95=c95,
            workers=self.workers(),
            database_up=1.0 if up else 0.0,
        )
