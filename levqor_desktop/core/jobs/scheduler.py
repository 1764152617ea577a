"""The scheduler: enqueues due runs of scheduled workflows, once each.

Several schedulers may run against one database (the window, ``levqor serve``,
``levqor worker --with-scheduler``). Each due time becomes a job with the unique key
``schedule:<workflow id>:<due time>``: whichever scheduler inserts it first wins, the
others hit the unique constraint and move on. When nothing ran for a while, only the
latest missed due time is enqueued (one catch-up run that records how many due times
it stands for), never a storm of them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.contracts import Clock
from levqor_desktop.core.jobs.service import DuplicateKey, JobService, WorkflowRef
from levqor_desktop.core.models.jobs import Job, ScheduleRun
from levqor_desktop.core.models.tenancy import Role
from levqor_desktop.core.periodic import PeriodicService
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError

log = logging.getLogger("levqor.queue.scheduler")

#: Counting missed due times stops here (the count is only shown to people).
MAX_COUNTED = 10_000


@dataclass(frozen=True)
class ScheduledWorkflow:
    """One workflow whose newest version has a schedule trigger."""

    org_id: int
    user_id: int
    ref: WorkflowRef
    cron: str
    timezone: str
    #: Due times before this are not owed (the schedule's first save).
    since: dt.datetime


#: Lists the scheduled workflows of every organization (``app.workflows``, adapted).
ScheduledSource = Callable[[], list[ScheduledWorkflow]]


@dataclass(frozen=True)
class Fired:
    workflow_id: int
    due_at: dt.datetime
    job_id: int
    covered: int


def latest_due(
    cron: str, timezone: str, after: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime | None, int]:
    """The newest due time in ``(after, now]`` and how many due times that range holds."""
    zone = ZoneInfo(timezone)
    newest = croniter(cron, now.astimezone(zone)).get_prev(dt.datetime)
    if newest <= after:
        return None, 0
    counted = 0
    it = croniter(cron, after.astimezone(zone))
    while counted < MAX_COUNTED:
        nxt = it.get_next(dt.datetime)
        if nxt > now:
            break
        counted += 1
    return newest.astimezone(dt.UTC), max(counted, 1)


class Scheduler(PeriodicService):
    """Background service: fire due schedules every ``interval_s`` seconds."""

    name = "job-scheduler"
    thread_name = "levqor-scheduler"

    def __init__(
        self,
        db: Database,
        jobs: JobService,
        source: ScheduledSource,
        *,
        clock: Clock,
        interval_s: float = 15.0,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(interval_s)
        self.db = db
        self.jobs = jobs
        self.source = source
        self.clock = clock
        #: True during maintenance: nothing fires (a missed run becomes one catch-up run).
        self.paused = paused
        # autostart is False in processes that must not schedule (``levqor worker``
        # without the option).

    def tick(self) -> list[Fired]:
        if self.paused is not None and self.paused():
            return []
        now = self.clock()
        fired: list[Fired] = []
        for wf in self.source():
            try:
                done = self._fire(wf, now)
            except LevqorError as exc:
                log.warning("schedule of %s not fired: %s", wf.ref.name, exc)
                continue
            if done is not None:
                fired.append(done)
        return fired

    def _last_due(self, workflow_id: int) -> dt.datetime | None:
        with self.db.session() as session:
            return session.scalar(
                select(func.max(ScheduleRun.due_at)).where(ScheduleRun.workflow_id == workflow_id)
            )

    def _fire(self, wf: ScheduledWorkflow, now: dt.datetime) -> Fired | None:
        assert wf.ref.id is not None
        after = self._last_due(wf.ref.id) or wf.since
        due, covered = latest_due(wf.cron, wf.timezone, after, now)
        if due is None:
            return None
        actor = Actor(wf.org_id, wf.user_id, Role.OPERATOR, "scheduler")
        key = f"schedule:{wf.ref.id}:{due.isoformat()}"
        won = True
        job_id: int | None
        try:
            job_id = self.jobs.enqueue(actor, ref=wf.ref, inputs={}, schedule_key=key).id
        except DuplicateKey:
            won = False  # another scheduler fired this due time (or we did, before a crash)
            with self.db.session() as session:
                job_id = session.scalar(select(Job.id).where(Job.schedule_key == key))
        try:
            with self.db.session() as session:
                session.add(
                    ScheduleRun(
                        org_id=wf.org_id,
                        workflow_id=wf.ref.id,
                        due_at=due,
                        job_id=job_id,
                        covered=covered,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass  # recorded by the other scheduler
        if not won or job_id is None:
            return None
        if covered > 1:
            log.info("%s: %d due runs were missed; one catch-up run enqueued", wf.ref.name, covered)
        return Fired(wf.ref.id, due, job_id, covered)
