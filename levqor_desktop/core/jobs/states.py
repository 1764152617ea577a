"""The job state machine and the retry backoff.

    queued ──claim──▶ running ──▶ succeeded
      ▲  │               │ ├────▶ failed      (no attempts left, or a permanent fault)
      │  │               │ └────▶ canceled    (at a step boundary after a cancel request)
      │  └──cancel──▶ canceled
      └──── retry with backoff / requeue / crash recovery (attempts left)

Operators may requeue a failed or canceled job (the same row goes back to queued and
resumes from its first step that did not succeed); a *retry* is a new job instead.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.errors import ValidationError

Q, R, S, F, C = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.SUCCEEDED,
    JobStatus.FAILED,
    JobStatus.CANCELED,
)

#: Every transition the code makes; anything else is a bug or an operator mistake.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    Q: frozenset({R, C}),
    R: frozenset({S, F, C, Q}),
    S: frozenset(),
    F: frozenset({Q}),
    C: frozenset({Q}),
}

#: Attempts a requeued job gets on top of those it used (single or bulk requeue).
REQUEUE_ATTEMPTS = 3
#: First retry after about this long; doubles each attempt, capped.
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 600.0


def requeue_values(backend: str) -> dict[str, Any]:
    """The columns a requeue sets (one job or in bulk), as values for an UPDATE or an ORM row.

    The attempt count stays (it is history, and it tells the runner to look for steps
    already done); the job gets REQUEUE_ATTEMPTS more attempts.
    """
    return {
        "status": JobStatus.QUEUED,
        "max_attempts": Job.attempts + REQUEUE_ATTEMPTS,
        "not_before": None,
        "finished_at": None,
        "worker_id": None,
        "error": None,
        "cancel_requested": False,
        "dispatched": False,
        "backend": backend,
    }


def can_move(old: JobStatus, new: JobStatus) -> bool:
    return new in TRANSITIONS[old]


def check_move(job_id: int, old: JobStatus, new: JobStatus, action: str) -> None:
    """Raise a ValidationError an operator understands when ``action`` does not apply."""
    if not can_move(old, new):
        raise ValidationError(f"job {job_id} is {old.value}: it cannot be {action}")


def backoff_delay(
    attempt: int,
    *,
    base_s: float = BACKOFF_BASE_S,
    cap_s: float = BACKOFF_CAP_S,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with "full jitter".

    Full jitter (a uniform draw up to the exponential bound) spreads retries of jobs
    that failed together, so a recovering service is not hit by all of them at once.
    Half of the bound is kept so a retry never comes back immediately.
    """
    bound = min(cap_s, base_s * (2.0 ** max(0, attempt - 1)))
    draw: float = (rng or random.Random()).uniform(0.0, bound / 2)
    return bound / 2 + draw


def retry_at(now: dt.datetime, attempt: int, rng: random.Random | None = None) -> dt.datetime:
    return now + dt.timedelta(seconds=backoff_delay(attempt, rng=rng))
