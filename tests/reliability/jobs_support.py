"""Shared by the jobs tests: workflow documents, a controllable action catalog, waiting.

Waiting is event-driven where the jobs run in this process (the pool's listeners) and a
bounded poll of the database where they run in another process (RQ workers, killed
pools): either way the wait ends as soon as the condition holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from levqor_desktop.core.db import Database
from levqor_desktop.core.jobs.local import LocalPool
from levqor_desktop.core.jobs.runner import RunReport
from levqor_desktop.core.models.jobs import FINISHED, Job, JobStatus
from levqor_desktop.core.workflows.actions import ActionInfo, RunContext, StepCanceled, StepFailed

NOOP = {
    "name": "noop",
    "inputs": {"n": {"type": "integer", "default": 0}},
    "steps": [{"id": "only", "uses": "core.transform", "with": {"value": "{{ inputs.n }}"}}],
}

#: Two steps; the second calls test.flaky which fails while `fail` is true.
TWO_STEPS = {
    "name": "two-steps",
    "inputs": {"fail": {"type": "boolean", "default": False}},
    "steps": [
        {"id": "first", "uses": "test.count", "with": {"tag": "first"}},
        {"id": "second", "uses": "test.flaky", "with": {"fail": "{{ inputs.fail }}"}},
    ],
}

#: One step that blocks until released (or canceled).
BLOCKING = {
    "name": "blocking",
    "steps": [
        {"id": "wait", "uses": "test.block", "with": {}},
        {"id": "after", "uses": "test.count", "with": {"tag": "after"}},
    ],
}

#: For other processes (which only have the built-ins): a step that takes `s` seconds.
SLEEPY = {
    "name": "sleepy",
    "inputs": {"s": {"type": "number", "default": 0.5}},
    "steps": [
        {"id": "nap", "uses": "core.delay", "with": {"seconds": "{{ inputs.s }}"}},
        {"id": "done", "uses": "core.transform", "with": {"value": "ok"}},
    ],
}


class TestActions:
    """``test.*`` actions whose behaviour a test steers."""

    __test__ = False

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.release = threading.Event()
        self.started = threading.Event()
        self.fail_kind = "error"  # retryable unless set to a permanent kind
        self._lock = threading.Lock()

    def describe(self, uses: str) -> ActionInfo | None:
        if uses in ("test.count", "test.flaky", "test.block"):
            return ActionInfo(uses, "test action")
        return None

    def names(self) -> list[str]:
        return ["test.block", "test.count", "test.flaky"]

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        with self._lock:
            self.calls[uses] += 1
            if "tag" in inputs:
                self.calls[f"tag:{inputs['tag']}"] += 1
        if uses == "test.flaky" and inputs.get("fail"):
            raise StepFailed(
                "flaky says no", retryable=self.fail_kind == "error", kind=self.fail_kind
            )
        if uses == "test.block":
            self.started.set()
            while not self.release.wait(0.02):
                if run.cancelled():
                    raise StepCanceled("canceled while blocked")
        return {"ok": True, "uses": uses}


class Finished:
    """Collects the local pool's run reports; wait for a condition on them."""

    def __init__(self, pool: LocalPool) -> None:
        self.reports: list[RunReport] = []
        self._cond = threading.Condition()
        pool.listeners.append(self._on)

    def _on(self, report: RunReport) -> None:
        with self._cond:
            self.reports.append(report)
            self._cond.notify_all()

    def ended(self, job_id: int) -> RunReport | None:
        return next((r for r in reversed(self.reports) if r.job_id == job_id), None)

    def wait(self, predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def wait_job(self, job_id: int, *states: JobStatus, timeout: float = 15.0) -> RunReport:
        wanted = set(states) or set(FINISHED)

        def done() -> bool:
            r = self.ended(job_id)
            return r is not None and r.status in wanted

        assert self.wait(done, timeout), f"job {job_id} did not reach {wanted}: {self.reports}"
        report = self.ended(job_id)
        assert report is not None
        return report


def poll_until(predicate: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    """Check ``predicate`` until it holds or ``timeout`` passes (another process works)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        pause.wait(every)


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
    return {JobStatus(s).value: n for s, n in rows}


def all_finished(db: Database, total: int) -> Callable[[], bool]:
    def check() -> bool:
        c = counts(db)
        return sum(c.get(s.value, 0) for s in FINISHED) == total

    return check


def levqor_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `levqor` child process: its own home, no metrics port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEVQOR_", "DATABASE_URL"))}
    env.update(LEVQOR_HOME=str(home), LEVQOR_METRICS_PORT="0", LEVQOR_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def spawn_levqor(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `levqor ARGS` in a new process (output to ``log``, read it when a test fails)."""
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "levqor_desktop.cli.main", *args],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        cwd=str(Path(__file__).resolve().parents[2]),
    )


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
