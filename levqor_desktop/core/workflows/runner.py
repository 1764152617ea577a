"""Running steps and workflows: the API the jobs service builds on.

The runner knows nothing of the database or queues. A job runner (local pool or RQ
worker) calls it and records what it reports; a local test run calls it with
``test_run=True`` and records nothing.

API (stable; extend, do not change):

``StepRunner(actions, *, sleep=time.sleep, clock=time.monotonic, now=utcnow, rng=None)``
    ``run_step(step, scope, run) -> StepOutcome``. Evaluates ``if`` (false: skipped),
    renders ``with`` against ``scope``, invokes ``actions`` with retries (exponential
    backoff with jitter from ``step.retry``; :class:`StepFailed` with
    ``retryable=False``, a template error or an exception whose ``retryable`` attribute
    is false stops at once), enforces ``step.timeout_s`` (the action runs in a worker
    thread; the runner stops waiting at the deadline, the action's ``run.cancelled()``
    turns true and ``run.deadline`` bounds its network calls), checks ``run.cancelled()``
    before every attempt and during backoff. It never raises for the step's own
    failure: the outcome says what happened.

``StepOutcome``: ``status`` ("succeeded" | "failed" | "skipped" | "canceled"), ``output``
    (dict or None), ``error`` (text), ``error_kind`` ("timeout", "template",
    "canceled", "error", or an action's own kind such as "http_status"), ``attempts``,
    ``started_at``/``finished_at`` (aware UTC). ``to_dict()`` gives a JSON-able form.

``build_scope(inputs, outputs)``: the template scope ``{"inputs": ..., "steps": {id:
    {"output": ...}}}``.

``resolve_inputs(workflow, given)``: defaults applied, strings coerced ("3" -> 3 for an
    integer input, "true" -> True, JSON text for object/array); raises
    :class:`InputsInvalid` naming every missing or wrongly typed input.

``run_workflow(workflow, inputs, actions, *, completed={}, on_event=None,
    run_factory=None, cancelled=never_cancelled, test_run=False, step_runner=None)
    -> RunResult``: resolves the inputs and runs the steps as their ``needs`` allow
    (:mod:`.scheduler`: independent branches at once, up to ``max_parallel``; a list
    workflow runs in order, one step at a time, on the calling thread), reuses the
    outputs of steps listed in ``completed`` (at-least-once resume: a retried job runs
    only the steps that did not end; a value of None means the step was skipped). A
    failed or canceled step fails the run; ``on_failure`` says whether the others stop.
    ``on_event(StepEvent)`` is called on the calling thread, with "running" before a
    step and "succeeded"/"failed"/"skipped"/"canceled" (carrying the outcome) after it;
    a step taken from ``completed`` gets "succeeded" (or "skipped") with
    ``resumed=True``; a step that never starts gets an event without an outcome and
    with a ``reason``. ``RunResult.order`` lists the steps in run order and
    ``RunResult.not_run`` the steps that never started, with why.
    ``run_factory(step)`` builds each step's :class:`RunContext` (job id, logger, ...;
    the runner sets ``attempt``); by default one is made from ``cancelled`` and
    ``test_run``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.workflows.actions import (
    ActionCatalog,
    RunContext,
    StepCanceled,
    StepFailed,
    never_cancelled,
)
from levqor_desktop.core.workflows.document import Step, Workflow, type_matches
from levqor_desktop.core.workflows.outcomes import (
    RunResult,
    StepEvent,
    StepOutcome,
    StepStatus,
    build_scope,
)
from levqor_desktop.core.workflows.scheduler import GraphScheduler
from levqor_desktop.core.workflows.templates import TemplateEngine, TemplateError, shared_engine
from levqor_desktop.errors import ValidationError

__all__ = [
    "InputsInvalid",
    "RunResult",
    "StepEvent",
    "StepOutcome",
    "StepRunner",
    "StepStatus",
    "build_scope",
    "resolve_inputs",
    "run_workflow",
]

_SLEEP_SLICE_S = 0.25  # backoff sleeps in slices so a cancel is noticed quickly


class InputsInvalid(ValidationError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("workflow inputs: " + "; ".join(problems))
        self.problems = problems


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _coerce(kind: str, value: Any) -> Any:
    if type_matches(kind, value) or not isinstance(value, str):
        return value
    text = value.strip()
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text) if any(c in text for c in ".eE") else int(text)
    if kind == "boolean":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(text)
    return json.loads(text)  # object / array given as JSON text


def resolve_inputs(workflow: Workflow, given: Mapping[str, Any]) -> dict[str, Any]:
    """Declared inputs with defaults applied and values coerced to their declared type."""
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    for name in sorted(set(given) - set(workflow.inputs)):
        declared = ", ".join(sorted(workflow.inputs)) or "none"
        problems.append(f"{name!r} is not an input of {workflow.name} (declared: {declared})")
    for name, param in workflow.inputs.items():
        if name not in given or given[name] is None:
            if param.default is not None:
                resolved[name] = param.default
            elif param.required:
                problems.append(f"{name!r} is required ({param.type})")
            else:
                resolved[name] = None
            continue
        try:
            value = _coerce(param.type, given[name])
        except (ValueError, json.JSONDecodeError):
            value = given[name]
        if not type_matches(param.type, value):
            problems.append(f"{name!r} must be {param.type}, got {given[name]!r}")
            continue
        resolved[name] = value
    if problems:
        raise InputsInvalid(problems)
    return resolved


class _Timeout(Exception):
    pass


class StepRunner:
    """Runs one step: condition, templates, retries with backoff, timeout, cancel."""

    def __init__(
        self,
        actions: ActionCatalog,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = utcnow,
        rng: random.Random | None = None,
        engine: TemplateEngine | None = None,
    ) -> None:
        self.actions = actions
        self.sleep = sleep
        self.clock = clock
        self.now = now
        self.rng = rng or random.Random()
        self.engine = engine or shared_engine()

    def run_step(self, step: Step, scope: Mapping[str, Any], run: RunContext) -> StepOutcome:
        started = self.now()

        def done(
            status: StepStatus,
            output: Any = None,
            error: str | None = None,
            kind: str | None = None,
            attempts: int = 0,
        ) -> StepOutcome:
            return StepOutcome(status, output, error, kind, attempts, started, self.now())

        try:
            if step.if_ is not None and not self.engine.evaluate_condition(
                step.if_, scope, field=f"steps.{step.id}.if"
            ):
                return done("skipped")
            inputs = self.engine.render_value(step.with_, scope, field=f"steps.{step.id}.with")
        except TemplateError as exc:
            return done("failed", error=str(exc), kind="template")

        policy = step.retry
        attempt = 0
        while True:
            if run.cancelled():
                return done("canceled", error="canceled", kind="canceled", attempts=attempt)
            attempt += 1
            try:
                output = self._attempt(step, inputs, dataclasses.replace(run, attempt=attempt))
                return done("succeeded", output=output, attempts=attempt)
            except StepCanceled as exc:
                return done(
                    "canceled", error=str(exc) or "canceled", kind="canceled", attempts=attempt
                )
            except Exception as exc:
                error, kind, retryable = _describe(exc, step)
            run.log.warning(
                "step %s attempt %d/%d failed: %s", step.id, attempt, policy.attempts, error
            )
            if not retryable or attempt >= policy.attempts:
                return done("failed", error=error, kind=kind, attempts=attempt)
            if not self._backoff(policy.delay(attempt, self.rng), run):
                return done("canceled", error="canceled", kind="canceled", attempts=attempt)

    def _attempt(self, step: Step, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        if step.timeout_s is None:
            return _as_output(self.actions.invoke(step.uses, inputs, run))
        expired = threading.Event()
        outer = run.cancelled
        run = dataclasses.replace(
            run,
            deadline=self.clock() + step.timeout_s,
            timeout_s=step.timeout_s,
            monotonic=self.clock,
            cancelled=lambda: expired.is_set() or outer(),
        )
        box: dict[str, Any] = {}
        finished = threading.Event()

        def target() -> None:
            try:
                box["output"] = self.actions.invoke(step.uses, inputs, run)
            except BaseException as exc:
                box["error"] = exc
            finally:
                finished.set()

        worker = threading.Thread(target=target, name=f"step-{step.id}", daemon=True)
        worker.start()
        if not finished.wait(step.timeout_s):
            # The thread cannot be killed; it sees cancelled() and its deadline and ends.
            expired.set()
            raise _Timeout(f"timed out after {step.timeout_s:g} s")
        if "error" in box:
            raise box["error"]
        return _as_output(box["output"])

    def _backoff(self, delay: float, run: RunContext) -> bool:
        """Sleep ``delay`` seconds in slices; False if canceled meanwhile."""
        left = delay
        while left > 0:
            if run.cancelled():
                return False
            chunk = min(left, _SLEEP_SLICE_S)
            self.sleep(chunk)
            left -= chunk
        return not run.cancelled()


def _as_output(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise StepFailed(
        f"the action returned {type(value).__name__}, not an object", retryable=False, kind="output"
    )


def _describe(exc: Exception, step: Step) -> tuple[str, str, bool]:
    """(message, kind, retryable) of an attempt's failure."""
    if isinstance(exc, _Timeout):
        return f"{step.uses}: {exc}", "timeout", True
    if isinstance(exc, StepFailed):
        return str(exc), exc.kind, exc.retryable
    if isinstance(exc, TemplateError | ValidationError):
        return str(exc), "template" if isinstance(exc, TemplateError) else "invalid", False
    kind = str(getattr(exc, "kind", "error"))
    retryable = bool(getattr(exc, "retryable", True))
    return (
        f"{step.uses}: {exc}" if str(exc) else f"{step.uses}: {type(exc).__name__}",
        kind,
        retryable,
    )


def run_workflow(
    workflow: Workflow,
    inputs: Mapping[str, Any],
    actions: ActionCatalog,
    *,
    completed: Mapping[str, Mapping[str, Any] | None] | None = None,
    on_event: Callable[[StepEvent], None] | None = None,
    run_factory: Callable[[Step], RunContext] | None = None,
    cancelled: Callable[[], bool] = never_cancelled,
    test_run: bool = False,
    step_runner: StepRunner | None = None,
) -> RunResult:
    """Run ``workflow``'s steps as its graph allows; see the module docstring."""
    resolved = resolve_inputs(workflow, inputs)
    runner = step_runner or StepRunner(actions)

    def make_run(step: Step) -> RunContext:
        if run_factory is not None:
            return run_factory(step)
        return RunContext(
            step_id=step.id, workflow=workflow.name, test_run=test_run, cancelled=cancelled
        )

    return GraphScheduler(
        workflow,
        resolved,
        runner.run_step,
        completed=completed or {},
        emit=on_event or (lambda event: None),
        make_run=make_run,
        cancelled=cancelled,
        now=runner.now,
    ).run()
