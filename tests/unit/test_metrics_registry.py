"""Metrics: names, labels, pulled gauges, error rate; the exposition parses and passes promtool."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from levqor_desktop.app import App
from levqor_desktop.core.metrics import AGGREGATE, Metrics
from levqor_desktop.core.metrics.sources import DatabaseDepthSource, normalize_depth
from levqor_desktop.core.models.jobs import Job, JobStatus


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _busy_metrics(advanced: bool = True) -> Metrics:
    m = Metrics(
        advanced=lambda: advanced,
        database_status=lambda: ("sqlite", True),
        depth_source=lambda: {("default", "queued"): 4, ("default", "running"): 2},
        worker_source=lambda: 3,
    )
    m.observe_job("succeeded", "wf-a", 1.5)
    m.observe_job("failed", "wf-a", 0.2)
    m.observe_step("wf-a", "slack.post_message", "succeeded", 0.3)
    m.observe_connector_call("slack", "post_message", "ok", 0.12)
    m.observe_connector_call("slack", "post_message", "error", 2.0)
    return m


def test_registry_is_the_apps_own_not_the_global_one(app: App) -> None:
    assert app.metrics.registry is not REGISTRY
    assert REGISTRY.get_sample_value("levqor_error_rate") is None


def test_series_names_and_labels() -> None:
    s = _samples(_busy_metrics())
    assert s[("levqor_jobs_run_total", (("status", "failed"), ("workflow", "wf-a")))] == 1
    assert s[("levqor_job_duration_seconds_count", (("workflow", "wf-a"),))] == 2
    step_labels = (("uses", "slack.post_message"), ("workflow", "wf-a"))
    assert s[("levqor_step_duration_seconds_count", step_labels)] == 1
    assert s[("levqor_queue_depth", (("queue", "default"), ("state", "queued")))] == 4
    assert s[("levqor_queue_depth", (("queue", "default"), ("state", "running")))] == 2
    assert s[("levqor_error_rate", ())] == 0.5
    assert s[("levqor_database_status", (("backend", "sqlite"),))] == 1
    assert s[("levqor_workers", ())] == 3
    assert (
        s[("levqor_connector_errors_total", (("action", "post_message"), ("connector", "slack")))]
        == 1
    )
    calls = (("action", "post_message"), ("connector", "slack"), ("outcome", "ok"))
    assert s[("levqor_connector_calls_total", calls)] == 1
    assert s[("levqor_connector_call_duration_seconds_count", (("connector", "slack"),))] == 2
    assert next(k for k in s if k[0] == "levqor_api_version")[1][0][0] == "version"


def test_without_advanced_metrics_labels_are_aggregated() -> None:
    s = _samples(_busy_metrics(advanced=False))
    assert s[("levqor_jobs_run_total", (("status", "failed"), ("workflow", AGGREGATE)))] == 1
    assert not any("wf-a" in str(k) or "slack" in str(k) for k in s)


def test_error_rate_rolls_over_five_minutes() -> None:
    clock = FakeClock()
    m = Metrics(monotonic=clock)
    m.observe_job("failed", "w", 1)
    clock.now += 200
    m.observe_job("succeeded", "w", 1)
    assert m.error_rate() == 0.5
    clock.now += 101  # the failure is now older than five minutes
    assert m.error_rate() == 0.0
    clock.now += 300
    assert m.error_rate() == 0.0  # nothing finished: 0, not a division by zero


def test_database_status_is_cached_and_reports_down() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def probe() -> tuple[str, bool]:
        calls.append(1)
        return "postgresql", len(calls) == 1

    m = Metrics(database_status=probe, monotonic=clock)
    assert m.database_status() == ("postgresql", True)
    assert m.database_status() == ("postgresql", True)
    clock.now += 6
    assert m.database_status() == ("postgresql", False)
    assert len(calls) == 2
    assert _samples(m)[("levqor_database_status", (("backend", "postgresql"),))] == 0


def test_broken_sources_do_not_break_the_scrape() -> None:
    def broken() -> int:
        raise RuntimeError("jobs service down")

    m = Metrics(depth_source=broken, worker_source=broken)
    s = _samples(m)
    assert s[("levqor_queue_depth", (("queue", "default"), ("state", "queued")))] == 0
    assert ("levqor_workers", ()) not in s
    assert math.isnan(m.workers())


@pytest.mark.parametrize(
    "raw",
    [
        {"queued": 2, "running": 1},
        {"default": {"queued": 2, "running": 1}},
        {("default", "queued"): 2, ("default", "running"): 1},
        [("default", "queued", 2), ("default", "running", 1)],
    ],
)
def test_depth_shapes(raw: object) -> None:
    assert sorted(normalize_depth(raw)) == [("default", "queued", 2), ("default", "running", 1)]


def test_depth_from_the_jobs_table(app: App) -> None:
    assert app.actor is not None
    with app.db.session() as session:
        for status, queue in [
            (JobStatus.QUEUED, "default"),
            (JobStatus.QUEUED, "default"),
            (JobStatus.RUNNING, "bulk"),
            (JobStatus.SUCCEEDED, "default"),
        ]:
            session.add(Job(org_id=app.actor.org_id, workflow_name="w", status=status, queue=queue))
    assert sorted(DatabaseDepthSource(app.db)()) == [
        ("bulk", "running", 1),
        ("default", "queued", 2),
    ]


def test_exposition_passes_promtool(tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package 'prometheus')")
    text = _busy_metrics().exposition()
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_app_metrics_exposition_parses_and_passes_promtool(app: App) -> None:
    text = app.metrics.exposition()
    names = {f.name for f in text_string_to_metric_families(text.decode())}
    assert {
        "levqor_jobs_run",
        "levqor_queue_depth",
        "levqor_error_rate",
        "levqor_database_status",
        "levqor_api_version",
        "levqor_job_duration_seconds",
        "levqor_step_duration_seconds",
        "levqor_workers",
        "levqor_connector_calls",
        "levqor_connector_errors",
        "levqor_connector_call_duration_seconds",
    } <= names
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package 'prometheus')")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
