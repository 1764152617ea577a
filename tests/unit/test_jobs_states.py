"""The job state machine and the retry backoff."""

from __future__ import annotations

import random

import pytest

from levqor_desktop.core.jobs.states import BACKOFF_CAP_S, TRANSITIONS, backoff_delay, check_move
from levqor_desktop.core.models.jobs import FINISHED, JobStatus
from levqor_desktop.errors import ValidationError


def test_finished_jobs_only_go_back_to_the_queue() -> None:
    for state in FINISHED:
        assert TRANSITIONS[state] <= {JobStatus.QUEUED}
    assert TRANSITIONS[JobStatus.SUCCEEDED] == frozenset()
    assert JobStatus.RUNNING not in TRANSITIONS[JobStatus.FAILED]


def test_a_queued_job_cannot_finish_without_running() -> None:
    with pytest.raises(ValidationError, match="job 9 is queued: it cannot be succeeded"):
        check_move(9, JobStatus.QUEUED, JobStatus.SUCCEEDED, "succeeded")
    check_move(9, JobStatus.QUEUED, JobStatus.CANCELED, "canceled")


@pytest.mark.parametrize("attempt", [1, 2, 3, 6])
def test_backoff_doubles_within_its_jitter_band(attempt: int) -> None:
    rng = random.Random(attempt)
    bound = 2.0 * 2 ** (attempt - 1)
    delays = [backoff_delay(attempt, rng=rng) for _ in range(200)]
    assert all(bound / 2 <= d <= bound for d in delays)
    assert max(delays) - min(delays) > bound / 10  # jitter spreads retries


def test_backoff_is_capped() -> None:
    assert backoff_delay(50, rng=random.Random(1)) <= BACKOFF_CAP_S
