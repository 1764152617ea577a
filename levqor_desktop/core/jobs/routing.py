"""Which backend carries a new job, and how the rest of the app reaches the backends.

``NEW_QUEUE_ENABLED`` chooses ``rq`` for jobs enqueued from now on; jobs already queued
stay on the backend that holds them (the local pool keeps draining its own).
"""

from __future__ import annotations

from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.jobs.contracts import JobQueue
from levqor_desktop.core.status import QueueStatus


class QueueRouter:
    """``app.queue``: the backends by name, and the one new jobs go to."""

    def __init__(self, flags: FlagStore, local: JobQueue, rq: JobQueue | None = None) -> None:
        self.flags = flags
        self.backends: dict[str, JobQueue] = {local.name: local}
        if rq is not None:
            self.backends[rq.name] = rq

    @property
    def name(self) -> str:
        """The backend new jobs go to."""
        wants_rq = self.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
        return "rq" if wants_rq and "rq" in self.backends else "local"

    @property
    def current(self) -> JobQueue:
        return self.backends[self.name]

    def get(self, name: str) -> JobQueue | None:
        return self.backends.get(name)

    def submit(self, job_id: int, backend: str) -> None:
        queue = self.backends.get(backend)
        if queue is not None:
            queue.submit(job_id)

    def wake_limit(self, backend: str) -> int:
        """How many of a batch of new jobs to announce one by one: the local pool needs
        one wake-up per thread; every rq job must be sent."""
        if backend == "local":
            return 64
        return 1_000_000_000

    def wake(self, backend: str) -> None:
        """Many jobs became runnable at once (a bulk requeue, recovery)."""
        queue = self.backends.get(backend)
        if queue is not None:
            queue.wake()

    def withdraw(self, job_id: int, backend: str) -> None:
        queue = self.backends.get(backend)
        if queue is not None:
            queue.withdraw(job_id)

    def status(self) -> QueueStatus:
        return self.current.status()
