"""The sampler: one-second ring buffer, minute samples in the database, history after a restart."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from sqlalchemy import func, select

from levqor_desktop.app import App
from levqor_desktop.core.metrics import Metrics, Sampler
from levqor_desktop.core.metrics.ring import RingBuffer
from levqor_desktop.core.models.observability import MetricSample

T0 = 1_800_000_000.0  # a whole minute (divisible by 60)


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_ring_buffer_keeps_the_newest_in_order() -> None:
    ring = RingBuffer(("a", "b"), capacity=3)
    for i in range(5):
        ring.append(float(i), {"a": i * 10.0, "unknown": 1.0})
    ts, cols = ring.window(("a", "b"), since=0)
    assert ts.tolist() == [2.0, 3.0, 4.0]
    assert cols["a"].tolist() == [20.0, 30.0, 40.0]
    assert np.isnan(cols["b"]).all()
    assert ring.oldest() == 2.0
    assert ring.window(("a",), since=3, until=3)[0].tolist() == [3.0]


def test_throughput_depth_and_quantiles_per_tick() -> None:
    clock = Clock()
    depth = {"queued": 5, "running": 2}
    metrics = Metrics(depth_source=lambda: depth, monotonic=clock)
    sampler = Sampler(metrics, None, clock=clock)
    first = sampler.tick()
    assert first["jobs_succeeded_per_s"] == 0.0
    for duration in (1.0, 2.0, 3.0, 4.0):
        metrics.observe_job("succeeded", "w", duration)
    metrics.observe_job("failed", "w", 10.0)
    clock.now += 2
    sample = sampler.tick()
    assert sample["jobs_succeeded_per_s"] == 2.0
    assert sample["jobs_failed_per_s"] == 0.5
    assert sample["queue_waiting"] == 5 and sample["queue_running"] == 2
    assert sample["error_rate"] == pytest.approx(0.2)
    assert sample["job_p50_s"] == 3.0
    assert math.isnan(sample["connector_p95_s"])
    ts, _ = sampler.ring.window(("jobs_succeeded_per_s",), since=T0)
    assert ts.tolist() == [T0, T0 + 2]


def test_minute_means_are_stored_and_read_back_after_a_restart(app: App) -> None:
    clock = Clock()
    depth = {"queued": 0}
    metrics = Metrics(depth_source=lambda: depth, monotonic=clock)
    sampler = Sampler(metrics, app.db, clock=clock)
    for second in range(125):  # two whole minutes and a bit
        depth["queued"] = 10 if second < 60 else 20
        clock.now = T0 + second
        sampler.tick()
    with app.db.session() as session:
        rows = session.execute(
            select(MetricSample.ts, MetricSample.value)
            .where(MetricSample.series == "queue_waiting")
            .order_by(MetricSample.ts)
        ).all()
    assert [(r[0].timestamp(), r[1]) for r in rows] == [(T0, 10.0), (T0 + 60, 20.0)]

    # A new process: an empty ring buffer, the history comes from the database.
    restarted = Sampler(Metrics(monotonic=clock), app.db, clock=clock)
    history = restarted.history(("queue_waiting", "error_rate"), since=T0 - 3600)
    assert history.ts.tolist() == [T0, T0 + 60]
    assert history.values["queue_waiting"].tolist() == [10.0, 20.0]
    assert history.resolution_s == 60.0
    restarted.tick(T0 + 130)
    merged = restarted.history(("queue_waiting",), since=T0 - 3600)
    assert merged.ts.tolist() == [T0, T0 + 60, T0 + 130]


def test_stop_flushes_the_partial_minute(app: App) -> None:
    clock = Clock()
    sampler = Sampler(Metrics(monotonic=clock), app.db, clock=clock)
    sampler.tick()
    sampler.stop()
    with app.db.session() as session:
        assert (session.scalar(select(func.count()).select_from(MetricSample)) or 0) > 0


def test_recent_range_is_served_from_memory_at_one_second(app: App) -> None:
    clock = Clock()
    sampler = Sampler(Metrics(monotonic=clock), app.db, clock=clock)
    for second in range(10):
        sampler.tick(T0 + second)
    history = sampler.history(("error_rate",), since=T0 + 5)
    assert history.resolution_s == 1.0
    assert history.ts.tolist() == [T0 + s for s in range(5, 10)]


def test_old_samples_are_pruned(app: App) -> None:
    clock = Clock()
    sampler = Sampler(Metrics(), app.db, clock=clock, retention=dt.timedelta(days=1))
    old = dt.datetime.fromtimestamp(T0, dt.UTC) - dt.timedelta(days=2)
    fresh = dt.datetime.fromtimestamp(T0, dt.UTC) - dt.timedelta(hours=2)
    with app.db.session() as session:
        session.add_all(
            [
                MetricSample(series="error_rate", ts=old, value=1.0),
                MetricSample(series="error_rate", ts=fresh, value=0.5),
            ]
        )
    assert sampler.prune() == 1
    assert sampler.history(("error_rate",), since=T0 - 7 * 86400).values["error_rate"].tolist() == [
        0.5
    ]


def test_background_thread_samples_until_stopped(app: App) -> None:
    sampler = Sampler(app.metrics, None, interval_s=0.01)
    sampler.start()
    try:
        deadline = 0
        while len(sampler.ring) < 3 and deadline < 500:
            sampler._stop.wait(0.01)  # a bounded wait for the thread, not a timed assertion
            deadline += 1
    finally:
        sampler.stop()
    assert len(sampler.ring) >= 3
