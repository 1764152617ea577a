"""``/metrics`` renders the registry at most once per ``metrics_cache_seconds``."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter

from levqor_desktop.app import App
from levqor_desktop.core.opsapi import OpsApiConfig, create_ops_app
from levqor_desktop.core.opsapi.routes_metrics import ScrapeCache


def test_a_rendering_is_reused_until_it_is_max_age_old() -> None:
    registry = CollectorRegistry()
    hits = Counter("hits", "test", registry=registry)
    now = [100.0]
    cache = ScrapeCache(registry, 0.5, clock=lambda: now[0])
    assert cache.fresh() is None  # nothing rendered yet
    first = cache.render()
    assert b"hits_total 0.0" in first
    hits.inc()
    now[0] += 0.4
    assert cache.fresh() == first and cache.render() == first
    now[0] += 0.1
    assert cache.fresh() is None
    assert b"hits_total 1.0" in cache.render()
    now[0] -= 10  # a clock that went back: render again rather than trust it
    assert cache.fresh() is None


def test_max_age_zero_renders_every_scrape() -> None:
    registry = CollectorRegistry()
    hits = Counter("hits", "test", registry=registry)
    cache = ScrapeCache(registry, 0.0, clock=lambda: 5.0)
    assert b"hits_total 0.0" in cache.render()
    hits.inc()
    assert cache.fresh() is None and b"hits_total 1.0" in cache.render()


def test_the_ops_api_serves_the_cached_rendering(app: App) -> None:
    assert app.actor is not None
    cached = create_ops_app(app, OpsApiConfig(metrics_cache_seconds=3600))
    live = create_ops_app(app, OpsApiConfig(metrics_cache_seconds=0))
    with TestClient(cached) as slow, TestClient(live) as fresh:
        before = slow.get("/metrics")
        assert before.status_code == 200
        assert before.headers["content-type"].startswith("text/plain")
        app.metrics.observe_job("succeeded", "wf", 0.2)
        assert slow.get("/metrics").text == before.text
        line = 'levqor_jobs_run_total{status="succeeded",workflow="_all"} 1.0'
        assert line not in before.text and line in fresh.get("/metrics").text
