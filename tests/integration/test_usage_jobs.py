"""Limits meet jobs: a job over a hard limit is refused at enqueue (service and CLI), a
queued job's "why" names the limit, and an admin override lets that one job through."""

from __future__ import annotations

from pathlib import Path

import pytest

from levqor_desktop.app import App
from levqor_desktop.cli.main import main
from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.errors import LimitExceeded
from levqor_desktop.resources import resources_dir

EXAMPLE = resources_dir() / "examples" / "offline-transform-demo.json"


def test_enqueue_is_refused_and_why_names_the_limit(app: App) -> None:
    actor = app.actor
    assert actor is not None
    app.workflows.save(actor, EXAMPLE.read_text("utf-8"))
    job = app.jobs.enqueue(actor, "offline-transform-demo")
    app.usage.limits.set(actor, Metric.JOB_RUNS, Period.DAY, 1)
    app.usage.record(actor, Metric.JOB_RUNS, 1, job_id=job.id, idempotency_key=f"job:{job.id}:1")
    with pytest.raises(LimitExceeded, match=r"hard limit of 1 job runs per day .* resets at"):
        app.jobs.enqueue(actor, "offline-transform-demo")
    # A job already queued when the limit filled up: "why" says which limit holds it.
    app.usage.limits.unset(actor, Metric.JOB_RUNS, Period.DAY)
    assert not any(r.code == "limit" for r in app.jobs.why(actor, job.id))
    app.usage.limits.set(actor, Metric.CONNECTOR_CALLS, Period.MONTH, 0)
    reasons = app.jobs.why(actor, job.id)
    assert any(r.code == "limit" and "connector calls per month" in r.text for r in reasons)
    app.usage.override(actor, job.id, "month-end report must go out")
    assert not any(r.code == "limit" for r in app.jobs.why(actor, job.id))


def test_the_cli_refuses_a_run_over_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path / "home"))
    assert main(["limits", "set", "job_runs", "0", "--period", "day"]) == 0
    capsys.readouterr()
    assert main(["run", str(EXAMPLE), "--timeout", "1"]) == 1
    err = capsys.readouterr().err
    assert "levqor: error: the hard limit of 0 job runs per day for organization" in err
    assert "resets at" in err
