"""What the jobs package shows the rest of Levqor, and the narrow views it takes of
services other engineers own (usage limits, maintenance mode, metrics).

Those services are found on the App by their agreed names (``app.usage``,
``app.maintenance``, ``app.metrics``); each is optional, so the jobs package works
before they exist and with small stand-ins in tests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from levqor_desktop.core.models.jobs import JobStatus, StepStatus
from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.status import QueueStatus
from levqor_desktop.core.tenancy import Actor

Clock = Callable[[], dt.datetime]

#: The queue a job goes to unless told otherwise.
DEFAULT_QUEUE = "default"


# -- services we call, by the names agreed in FOUNDATION.md -------------------------------


@runtime_checkable
class UsageGate(Protocol):
    """``app.usage``: refuses work over a limit by raising LimitExceeded."""

    def check_enqueue(
        self, actor: Actor, *, workflow_name: str | None = None, job_id: int | None = None
    ) -> object: ...

    def why_blocked(self, actor: Actor, *, job_id: int | None = None) -> str | None: ...

    def record(
        self,
        actor: Actor,
        metric: Metric,
        amount: int,
        *,
        workflow: str | None = None,
        job_id: int | None = None,
        idempotency_key: str | None = None,
        durable: bool = True,
    ) -> bool: ...


@runtime_checkable
class MaintenanceGate(Protocol):
    """``app.maintenance``: while active, no job is claimed and writes are refused."""

    @property
    def active(self) -> bool: ...


@runtime_checkable
class MetricsSink(Protocol):
    """``app.metrics``: counters and histograms for jobs and steps."""

    def observe_job(self, status: str, workflow: str, duration_s: float) -> None: ...

    def observe_step(self, workflow: str, uses: str, status: str, duration_s: float) -> None: ...


class Services:
    """Optional services, looked up on the owner (the App) each time they are needed.

    Looking them up late lets the lead wire them in any order, and lets a test attach a
    stand-in to a plain object.
    """

    def __init__(self, owner: object | None = None) -> None:
        self._owner = owner
        # isinstance() against a runtime-checkable protocol inspects every member each
        # time (tens of microseconds, several times per job): remember it per class.
        self._fits: dict[tuple[type[Any], type[Any]], bool] = {}

    def _get(self, name: str, kind: type[Any]) -> Any:
        service = getattr(self._owner, name, None) if self._owner is not None else None
        if service is None:
            return None
        key = (type(service), kind)
        fits = self._fits.get(key)
        if fits is None:
            fits = self._fits[key] = isinstance(service, kind)
        return service if fits else None

    @property
    def usage(self) -> UsageGate | None:
        gate: UsageGate | None = self._get("usage", UsageGate)
        return gate

    @property
    def metrics(self) -> MetricsSink | None:
        sink: MetricsSink | None = self._get("metrics", MetricsSink)
        return sink

    def maintenance_active(self) -> bool:
        gate = getattr(self._owner, "maintenance", None) if self._owner is not None else None
        return bool(getattr(gate, "active", False))


# -- the backend contract -------------------------------------------------------------------


@runtime_checkable
class JobQueue(Protocol):
    """A backend that carries jobs to workers. The database row stays the record."""

    #: "local" or "rq".
    name: str

    def submit(self, job_id: int) -> None:
        """The job's row is committed as queued: make it run (wake a thread, send it)."""

    def wake(self) -> None:
        """Many jobs became runnable at once: look for them now."""

    def withdraw(self, job_id: int) -> None:
        """The job was canceled or deleted while queued: drop what the backend holds."""

    def status(self) -> QueueStatus: ...


# -- what the service returns ---------------------------------------------------------------


@dataclass(frozen=True)
class StepRecord:
    step_id: str
    index: int
    status: StepStatus
    attempts: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    output: Any
    error: str | None


@dataclass(frozen=True)
class JobRecord:
    id: int
    org_id: int
    user_id: int | None
    workflow_id: int | None
    workflow_version: int | None
    workflow_name: str
    inputs: dict[str, Any]
    status: JobStatus
    backend: str
    queue: str
    priority: int
    attempts: int
    max_attempts: int
    not_before: dt.datetime | None
    dispatched: bool
    heartbeat_at: dt.datetime | None
    worker_id: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    parent_job_id: int | None
    cancel_requested: bool
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return ((self.finished_at or self.started_at) - self.started_at).total_seconds()


@dataclass(frozen=True)
class JobFilter:
    """Which jobs: every field narrows (None = any). ``text`` matches name, id or error."""

    states: tuple[JobStatus, ...] = ()
    workflow: str | None = None
    user_id: int | None = None
    queue: str | None = None
    text: str | None = None
    finished_before: dt.datetime | None = None
    ids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON for the audit table."""
        out: dict[str, Any] = {}
        if self.states:
            out["states"] = [s.value for s in self.states]
        for key in ("workflow", "user_id", "queue", "text"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.finished_before is not None:
            out["finished_before"] = self.finished_before.isoformat()
        if self.ids:
            out["ids"] = list(self.ids)
        return out

    def describe(self) -> str:
        """One line for people ("states=failed workflow=digest"), e.g. a guard's target."""
        parts = [
            f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in self.to_dict().items()
        ]
        return " ".join(parts) or "every job"


@dataclass(frozen=True)
class JobPage:
    rows: list[JobRecord]
    total: int
    offset: int


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    kind: str
    host: str
    pid: int
    state: str
    current_job_id: int | None
    heartbeat_age_s: float
    processed: int
    failed: int
    online: bool


@dataclass(frozen=True)
class Reason:
    """One line of "why isn't it running?": a machine code and a sentence."""

    code: str
    text: str
