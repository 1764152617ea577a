"""The notice feed: new job failures and failed canary runs since the last poll."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from levqor_desktop.app import App
from levqor_desktop.core.canary.results import CheckResult, Status
from levqor_desktop.core.canary.store import RunReport
from levqor_desktop.core.canary.verdict import Verdict
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.notices import NoticeFeed, QueueCounts
from tests.helpers.job_rows import insert_jobs


def _canary(app: App, verdict: Verdict, trigger: str = "manual") -> int:
    assert app.actor is not None
    now = utcnow()
    result = CheckResult("health", Status.FAIL if verdict is Verdict.FAIL else Status.PASS,
                         1.0, "s", "< 0.5", "slow")  # fmt: skip
    report = RunReport("local", "This machine", verdict, [result], now, now, trigger=trigger)
    return app.canary.store.save(report, app.actor.org_id)


def feed(app: App) -> NoticeFeed:
    return NoticeFeed(app.jobs, app.canary, lambda: app.actor)


def test_the_first_poll_is_the_baseline_then_only_new_failures(app: App) -> None:
    insert_jobs(app, JobStatus.FAILED, 2)
    _canary(app, Verdict.FAIL)
    notices = feed(app)
    assert notices.poll() == []
    assert notices.poll() == []

    (bad,) = insert_jobs(app, JobStatus.FAILED, 1, "invoice")
    insert_jobs(app, JobStatus.SUCCEEDED, 3)
    run = _canary(app, Verdict.FAIL)
    _canary(app, Verdict.PASS)
    _canary(app, Verdict.FAIL, trigger="auto")  # announced by the automatic canary itself
    got = notices.poll()
    assert [(n.kind, n.ref) for n in got] == [("job_failed", bad), ("canary_failed", run)]
    assert got[0].title == f"Job #{bad} failed: invoice"
    assert got[0].text == "HTTP 500 from CRM"
    assert got[1].text == "Failed checks: health"
    assert notices.poll() == []


def test_a_job_that_fails_again_is_news_again(app: App) -> None:
    notices = feed(app)
    (job_id,) = insert_jobs(app, JobStatus.FAILED, 1)
    notices.poll()
    assert notices.poll() == []
    with app.db.session() as session:
        session.execute(
            update(Job).where(Job.id == job_id)
            .values(finished_at=utcnow() + dt.timedelta(seconds=5))
        )  # fmt: skip
    assert [n.ref for n in notices.poll()] == [job_id]


def test_many_failures_at_once_become_one_summary(app: App) -> None:
    notices = feed(app)
    notices.poll()
    insert_jobs(app, JobStatus.FAILED, 7, "crm")
    (summary,) = notices.poll()
    assert summary.kind == "summary"
    assert summary.title == "7 jobs failed"
    assert summary.text == "Workflows: crm"


def test_queue_counts_sum_the_queues() -> None:
    counts = QueueCounts.from_depth(
        {"default": {"queued": 3, "running": 1, "failed": 2}, "slow": {"queued": 1, "failed": 5}}
    )
    assert counts == QueueCounts(4, 1, 7)
    assert counts.text == "4 queued · 1 running · 7 failed"
