"""PeriodicService: when the first pass runs, failures, fixed rate, start and stop."""

from __future__ import annotations

import logging
import threading

import pytest

from levqor_desktop.core.periodic import PeriodicService

#: Long enough that a test never sees a second pass it did not ask for.
NEVER_S = 3600.0


class Counting(PeriodicService):
    name = "counting"
    thread_name = "levqor-test-counting"

    def __init__(self, interval_s: float, *, fail_first: int = 0) -> None:
        super().__init__(interval_s)
        self.passes = 0
        self.fail_first = fail_first
        self.threads: list[str] = []
        self.enough = threading.Event()
        self.wanted = 1

    def tick(self) -> int:
        self.passes += 1
        self.threads.append(threading.current_thread().name)
        if self.passes >= self.wanted:
            self.enough.set()
        if self.passes <= self.fail_first:
            raise RuntimeError(f"pass {self.passes} broke")
        return self.passes


def _run_until(service: PeriodicService, done: threading.Event) -> None:
    """Start the service, wait (bounded) for ``done``, and stop it."""
    service.start()
    try:
        assert done.wait(10)
    finally:
        service.stop()


class Later(Counting):
    first_pass_at_start = False


class Steady(Counting):
    fixed_rate = True


def test_the_first_pass_runs_at_start_on_the_service_thread() -> None:
    service = Counting(NEVER_S)
    _run_until(service, service.ticked)
    assert service.passes == 1 and service.threads == ["levqor-test-counting"]
    assert service._thread is None


def test_first_pass_after_the_interval_never_runs_when_stopped_before() -> None:
    service = Later(NEVER_S)
    service.start()
    service.stop()
    assert service.passes == 0 and not service.ticked.is_set()


@pytest.mark.parametrize("kind", [Counting, Later, Steady])
def test_a_failed_pass_is_logged_and_the_next_one_runs(
    kind: type[Counting], caplog: pytest.LogCaptureFixture
) -> None:
    service = kind(0.001, fail_first=2)
    service.wanted = 3
    with caplog.at_level(logging.ERROR, logger="levqor_desktop.core.periodic"):
        _run_until(service, service.enough)
    failures = [r for r in caplog.records if r.getMessage() == "counting: a pass failed"]
    assert len(failures) == 2 and all(r.exc_info for r in failures)


def test_a_service_logs_its_own_message_on_its_own_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Own(Counting):
        logger = logging.getLogger("levqor.test.own")
        failure_message = "own pass broke"

    service = Own(NEVER_S, fail_first=1)
    with caplog.at_level(logging.ERROR, logger="levqor.test.own"):
        _run_until(service, service.ticked)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("levqor.test.own", "own pass broke")
    ]


def test_starting_twice_runs_one_thread_and_autostart_off_runs_none() -> None:
    service = Counting(NEVER_S)
    service.start()
    first = service._thread
    service.start()
    try:
        assert service._thread is first
        assert service.ticked.wait(10)
    finally:
        service.stop()
    assert service.passes == 1
    off = Counting(NEVER_S)
    off.autostart = False
    off.start()
    assert off._thread is None
    off.stop()
    assert off.passes == 0


def test_a_stopped_service_starts_again() -> None:
    service = Counting(NEVER_S)
    service.start()
    assert service.ticked.wait(10)
    service.stop()
    service.ticked.clear()
    _run_until(service, service.ticked)
    assert service.passes == 2
