"""The graph scheduler: runs a workflow's steps as their needs allow, some at once.

One coordinator (the caller's thread) owns every piece of state and calls ``emit``;
steps run on up to ``workflow.max_parallel`` pool threads. A step that is the only one
that can run goes inline on the coordinator, so a list workflow (a chain) never
touches a thread and runs exactly as the linear runner did.

Rules, applied when a step's last need ends:

- a need failed (or was canceled, or itself never ran for that reason): the step is
  not run; it ends "skipped" with the reason ``upstream failed: step X failed``;
- its needs were written out and every one was skipped: the step is skipped;
- otherwise it is ready, and starts in topological order (list order on ties).

A failure fails the run. ``on_failure: stop`` starts nothing more (steps already
running finish); ``continue`` lets the branches that do not depend on it finish. A
cancel (``cancelled()`` or the step's own run context) is checked before each start.
Steps never started end with a "canceled" event. Events of steps that never started
carry no outcome; ``StepEvent.last`` marks the last outcome of the run, which the job
runner writes together with the job's end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import queue
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from levqor_desktop.core.workflows.actions import RunContext
from levqor_desktop.core.workflows.document import Step, Workflow
from levqor_desktop.core.workflows.graph import graph_of
from levqor_desktop.core.workflows.outcomes import RunResult, StepEvent, StepOutcome, build_scope

__all__ = ["GraphScheduler", "RunStep"]

RunStep = Callable[[Step, Mapping[str, Any], RunContext], StepOutcome]

# Terminal states of a step in one run (beside the outcome's own status).
_OK, _SKIPPED, _FAILED, _BLOCKED = "ok", "skipped", "failed", "blocked"


class GraphScheduler:
    def __init__(
        self,
        workflow: Workflow,
        inputs: Mapping[str, Any],
        run_step: RunStep,
        *,
        completed: Mapping[str, Mapping[str, Any] | None],
        emit: Callable[[StepEvent], None],
        make_run: Callable[[Step], RunContext],
        cancelled: Callable[[], bool],
        now: Callable[[], dt.datetime],
    ) -> None:
        self.workflow = workflow
        self.inputs = inputs
        self.run_step = run_step
        self.completed = completed
        self.emit = emit
        self.make_run = make_run
        self.cancelled = cancelled
        self.now = now
        self.graph = graph_of(workflow)
        self.steps = {s.id: s for s in workflow.steps}
        self.result = RunResult(status="succeeded", order=self.graph.order())
        self._outputs: dict[str, Any] = {}
        self._state: dict[str, str] = {}
        self._cause: dict[str, str] = {}  # blocked step -> the failed step behind it
        self._waiting = {sid: len(self.graph.needs[sid]) for sid in self.graph.ids}
        self._ready: list[int] = []
        self._running: set[str] = set()
        self._batch: list[tuple[str, Any, dict[str, Any]]] = []  # events not yet emitted
        self._stop: str | None = None  # why nothing more starts
        self._done: queue.SimpleQueue[tuple[str, StepOutcome | BaseException]] = queue.SimpleQueue()
        self._aborted = False  # read by pool steps' cancelled(): a flag, not an Event (cheaper)
        self._pool: ThreadPoolExecutor | None = None

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> RunResult:
        try:
            self._resume()
            while True:
                more = bool(self._running or (self._ready and self._stop is None))
                self._flush(last=not more)
                if not more:
                    break
                self._launch()
                if self._running:
                    sid, got = self._done.get()
                    if isinstance(got, BaseException):
                        raise got
                    self._finish(sid, got)
            self._withhold()
            self._flush(last=False)
        except BaseException:
            self._aborted = True  # pool steps see cancelled(); their results go nowhere
            raise
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=not self._aborted, cancel_futures=True)
        return self.result

    def _resume(self) -> None:
        """Take the steps done before (a resumed job) as they ended, then find the roots."""
        for sid in self.result.order:
            if sid in self.completed:
                done = self.completed[sid]
                self._outputs[sid] = None if done is None else dict(done)
                if done is not None:
                    self.result.outputs[sid] = self._outputs[sid]
                status = "succeeded" if done is not None else "skipped"
                self._state[sid] = _OK if done is not None else _SKIPPED
                self._batch.append((sid, status, {"resumed": True}))
        for sid in list(self._state):
            self._release(sid)
        for sid in self.graph.roots():
            if sid not in self._state:
                self._decide(sid)

    def _launch(self) -> None:
        parallel = self.workflow.max_parallel
        while self._ready and self._stop is None and len(self._running) < parallel:
            sid = self.graph.ids[heapq.heappop(self._ready)]
            step = self.steps[sid]
            run = self.make_run(step)
            if self.cancelled() or run.cancelled():
                heapq.heappush(self._ready, self.graph.position[sid])
                self._stop = "canceled"
                if self.result.failed_step is None:
                    self.result.status, self.result.error = "canceled", "canceled"
                    self.result.failed_step = sid
                return
            self._running.add(sid)
            self.emit(self._event(sid, "running"))
            if len(self._running) == 1 and (not self._ready or parallel == 1):
                self._done.put((sid, self.run_step(step, self._scope(), run)))  # inline
                return
            self._submit(step, run)

    def _submit(self, step: Step, run: RunContext) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                self.workflow.max_parallel, thread_name_prefix=f"step-{self.workflow.name}"
            )
        outer = run.cancelled
        run = dataclasses.replace(run, cancelled=lambda: self._aborted or outer())
        scope = self._scope()

        def target() -> None:
            try:
                self._done.put((step.id, self.run_step(step, scope, run)))
            except BaseException as exc:  # a bug in a step runner: the coordinator raises it
                self._done.put((step.id, exc))

        self._pool.submit(target)

    def _scope(self) -> dict[str, Any]:
        return build_scope(self.inputs, self._outputs)

    # -- state changes --------------------------------------------------------------------

    def _finish(self, sid: str, outcome: StepOutcome) -> None:
        self._running.discard(sid)
        self.result.outcomes[sid] = outcome
        self._batch.append((sid, outcome.status, {"outcome": outcome}))
        if outcome.status == "succeeded":
            self._outputs[sid] = outcome.output
            self.result.outputs[sid] = outcome.output or {}
            self._state[sid] = _OK
        elif outcome.status == "skipped":
            self._outputs[sid] = None
            self._state[sid] = _SKIPPED
        else:
            self._state[sid] = _FAILED
            if self.result.failed_step is None:
                self.result.status = "failed" if outcome.status == "failed" else "canceled"
                self.result.failed_step, self.result.error = sid, outcome.error
            if outcome.status == "canceled":
                self._stop = self._stop or "canceled"
            elif self.workflow.on_failure == "stop":
                self._stop = self._stop or f"canceled: step {sid} failed (on_failure: stop)"
        self._release(sid)

    def _release(self, first: str) -> None:
        """``first`` ended: decide each dependent whose needs have all ended (cascading)."""
        work = [first]
        while work:
            sid = work.pop()
            for dep in self.graph.dependents[sid]:
                self._waiting[dep] -= 1
                if self._waiting[dep] == 0 and dep not in self._state and self._decide(dep):
                    work.append(dep)

    def _decide(self, sid: str) -> bool:
        """Block, skip or ready ``sid``; True when that ended it (its dependents are next)."""
        needs = self.graph.needs[sid]
        failed = [n for n in needs if self._state[n] in (_FAILED, _BLOCKED)]
        if failed:
            cause = self._cause.get(failed[0], failed[0])
            how = "failed" if self.result.outcomes[cause].status == "failed" else "was canceled"
            reason = f"upstream failed: step {cause} {how}"
            self._state[sid], self._cause[sid] = _BLOCKED, cause
            self.result.not_run[sid] = reason
            self._batch.append((sid, "skipped", {"reason": reason}))
            return True
        if needs and sid in self.graph.explicit and all(self._state[n] == _SKIPPED for n in needs):
            at = self.now()
            reason = "every step it needs was skipped"
            outcome = StepOutcome("skipped", None, reason, "needs_skipped", 0, at, at)
            self.result.outcomes[sid] = outcome
            self._outputs[sid] = None
            self._state[sid] = _SKIPPED
            self._batch.append((sid, "skipped", {"outcome": outcome, "reason": reason}))
            return True
        heapq.heappush(self._ready, self.graph.position[sid])
        return False

    def _withhold(self) -> None:
        reason = self._stop or "canceled"
        for sid in self.result.order:
            if sid not in self._state:
                self.result.not_run[sid] = reason
                self._batch.append((sid, "canceled", {"reason": reason}))

    # -- events ---------------------------------------------------------------------------

    def _event(self, sid: str, status: Any, **extra: Any) -> StepEvent:
        return StepEvent(sid, self.graph.position[sid], self.steps[sid].uses, status, **extra)

    def _flush(self, *, last: bool) -> None:
        """Emit the events gathered since the last flush; ``last`` on the final outcome."""
        batch, self._batch = self._batch, []
        final = -1
        if last:
            final = max(
                (n for n, (_, _, extra) in enumerate(batch) if "outcome" in extra), default=-1
            )
        for n, (sid, status, extra) in enumerate(batch):
            self.emit(self._event(sid, status, last=n == final, **extra))
