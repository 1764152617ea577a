"""Each attempt of a job is metered once as a job run, for its organization and user."""

from __future__ import annotations

import time

from levqor_desktop.app import App
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.usage import Metric

WORKFLOW = {
    "name": "metered",
    "version": 1,
    "trigger": {"type": "manual"},
    "steps": [{"id": "say", "uses": "core.log", "with": {"message": "hello"}}],
}


def test_a_finished_job_counts_one_run(app: App) -> None:
    actor = app.actor
    assert actor is not None
    app.start_background()
    jobs = [app.jobs.enqueue(actor, document=WORKFLOW) for _ in range(3)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [app.jobs.get(actor, j.id).status for j in jobs]
        if all(s is JobStatus.SUCCEEDED for s in done):
            break
        time.sleep(0.05)
    assert [app.jobs.get(actor, j.id).status for j in jobs] == [JobStatus.SUCCEEDED] * 3
    assert app.usage.month_to_date(actor.org_id, actor.user_id)[Metric.JOB_RUNS] == 3
