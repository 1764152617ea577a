"""The notice feed: job failures and failed canary runs that are new since the last poll.

The window turns notices into desktop notifications (when the operator turned them on);
the feed itself is headless and polled off the UI thread. The first poll only sets the
baseline: failures that happened before the window opened are not news.

A failed job is keyed by its id and finish time, so a job retried in place that fails
again is news again. Canary runs are keyed by id (they only grow). Automatic canary runs
(CANARY_MODE) are left out: the window already announces each of their outcomes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from levqor_desktop.core.canary.results import Status
from levqor_desktop.core.canary.store import RunReport
from levqor_desktop.core.canary.verdict import Verdict
from levqor_desktop.core.jobs.contracts import JobFilter, JobPage
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.tenancy import Actor

#: Failures looked at per poll; more than this between two polls are summed up in one.
WINDOW = 50


class JobLister(Protocol):
    def list(
        self, actor: Actor, flt: JobFilter | None = ..., *, offset: int = ..., limit: int = ...,
        sort: str = ..., descending: bool = ..., with_total: bool = ...,
    ) -> JobPage: ...  # fmt: skip


class CanaryHistory(Protocol):
    def history(
        self, actor: Actor, *, limit: int = ..., target: str | None = ...
    ) -> list[RunReport]: ...


@dataclass(frozen=True)
class Notice:
    kind: Literal["job_failed", "canary_failed", "summary"]
    title: str
    text: str
    #: The job or canary run id (None for a summary).
    ref: int | None = None


@dataclass(frozen=True)
class QueueCounts:
    """What the tray shows: jobs queued, running and failed, summed over queues."""

    queued: int
    running: int
    failed: int

    @classmethod
    def from_depth(cls, depth: dict[str, dict[str, int]]) -> QueueCounts:
        def total(state: JobStatus) -> int:
            return sum(states.get(state.value, 0) for states in depth.values())

        return cls(total(JobStatus.QUEUED), total(JobStatus.RUNNING), total(JobStatus.FAILED))

    @property
    def text(self) -> str:
        return f"{self.queued:,} queued · {self.running:,} running · {self.failed:,} failed"


class NoticeFeed:
    """``poll()`` returns the notices new since the previous call (none on the first)."""

    def __init__(
        self, jobs: JobLister, canary: CanaryHistory, actor: Callable[[], Actor | None]
    ) -> None:
        self._jobs, self._canary, self._actor = jobs, canary, actor
        self._seen_jobs: set[tuple[int, dt.datetime | None]] | None = None
        self._last_run_id: int | None = None

    def poll(self) -> list[Notice]:
        actor = self._actor()
        if actor is None:
            return []
        return self._job_notices(actor) + self._canary_notices(actor)

    def _job_notices(self, actor: Actor) -> list[Notice]:
        page = self._jobs.list(
            actor, JobFilter(states=(JobStatus.FAILED,)), limit=WINDOW,
            sort="finished_at", descending=True, with_total=False,
        )  # fmt: skip
        keys = {(job.id, job.finished_at) for job in page.rows}
        previous, self._seen_jobs = self._seen_jobs, keys
        if previous is None:
            return []
        new = [job for job in page.rows if (job.id, job.finished_at) not in previous]
        return _job_notices(new) if new else []

    def _canary_notices(self, actor: Actor) -> list[Notice]:
        runs = self._canary.history(actor, limit=WINDOW)
        newest = max((run.id for run in runs if run.id is not None), default=0)
        last, self._last_run_id = self._last_run_id, max(newest, self._last_run_id or 0)
        if last is None:
            return []
        return [
            Notice(
                "canary_failed",
                f"Canary failed: {run.target_label}",
                _canary_text(run),
                run.id,
            )
            for run in reversed(runs)
            if run.id is not None and run.id > last
            and run.verdict is Verdict.FAIL and run.trigger != "auto"
        ]  # fmt: skip


def _job_notices(new: Sequence[Any]) -> list[Notice]:
    if len(new) > 3:
        names = sorted({job.workflow_name for job in new})
        return [
            Notice(
                "summary",
                f"{len(new)} jobs failed",
                "Workflows: " + ", ".join(names[:5]) + ("…" if len(names) > 5 else ""),
            )
        ]
    return [
        Notice(
            "job_failed",
            f"Job #{job.id} failed: {job.workflow_name}",
            (job.error or "no error text").splitlines()[0][:200],
            job.id,
        )
        for job in reversed(new)
    ]


def _canary_text(run: RunReport) -> str:
    failed = [r.name for r in run.results if r.status is Status.FAIL]
    return "Failed checks: " + (", ".join(failed) if failed else "none recorded")
