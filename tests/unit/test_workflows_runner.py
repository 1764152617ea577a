"""The step runner and run_workflow: retries, backoff, timeout, if, cancel, resume."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from levqor_desktop.core.workflows import (
    ActionInfo,
    InputsInvalid,
    RunContext,
    Step,
    StepEvent,
    StepFailed,
    StepRunner,
    build_scope,
    parse_workflow,
    resolve_inputs,
    run_workflow,
)

Behaviour = Callable[[dict[str, Any], RunContext], dict[str, Any]]


class ScriptedCatalog:
    """A real ActionCatalog whose actions are Python callables; it logs every call."""

    def __init__(self, **actions: Behaviour) -> None:
        self.actions = {f"test.{name}": fn for name, fn in actions.items()}
        self.calls: list[tuple[str, dict[str, Any], RunContext]] = []

    def describe(self, uses: str) -> ActionInfo | None:
        return ActionInfo(uses, "scripted") if uses in self.actions else None

    def names(self) -> list[str]:
        return sorted(self.actions)

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        self.calls.append((uses, inputs, run))
        return self.actions[uses](inputs, run)


class Timeline:
    """Records fake sleeps and action calls in one list, to read backoff gaps."""

    def __init__(self) -> None:
        self.entries: list[float | str] = []
        self.on_sleep: Callable[[], None] | None = None

    def sleep(self, seconds: float) -> None:
        self.entries.append(seconds)
        if self.on_sleep:
            self.on_sleep()

    def gaps(self) -> list[float]:
        """Total sleep between consecutive calls."""
        gaps: list[float] = []
        current = None
        for entry in self.entries:
            if entry == "call":
                if current is not None:
                    gaps.append(round(current, 6))
                current = 0.0
            elif current is not None:
                current += float(entry)
        return gaps


def flaky(failures: int, timeline: Timeline, **exc_kwargs: Any) -> Behaviour:
    count = {"n": 0}

    def action(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        timeline.entries.append("call")
        count["n"] += 1
        if count["n"] <= failures:
            raise StepFailed(f"failure {count['n']}", **exc_kwargs)
        return {"attempt": run.attempt, "echo": inputs}

    return action


def step(**fields: Any) -> Step:
    fields.setdefault("id", "s")
    fields.setdefault("uses", "test.act")
    return Step.model_validate(fields)


def run_ctx(cancelled: Callable[[], bool] = lambda: False) -> RunContext:
    return RunContext(step_id="s", cancelled=cancelled)


def test_retries_until_success_with_growing_backoff():
    timeline = Timeline()
    catalog = ScriptedCatalog(act=flaky(3, timeline))
    runner = StepRunner(catalog, sleep=timeline.sleep)
    policy = {"attempts": 5, "backoff_s": 0.1, "max_backoff_s": 10, "jitter": 0}
    outcome = runner.run_step(step(retry=policy, with_={"x": 1}), {}, run_ctx())
    assert outcome.status == "succeeded"
    assert outcome.attempts == 4
    assert outcome.output == {"attempt": 4, "echo": {"x": 1}}
    assert timeline.gaps() == [0.1, 0.2, 0.4]


def test_backoff_is_capped_and_jittered_below_the_cap():
    timeline = Timeline()
    catalog = ScriptedCatalog(act=flaky(9, timeline))
    runner = StepRunner(catalog, sleep=timeline.sleep, rng=random.Random(7))
    policy = {"attempts": 6, "backoff_s": 0.2, "max_backoff_s": 1.0, "jitter": 0.5}
    outcome = runner.run_step(step(retry=policy), {}, run_ctx())
    assert outcome.status == "failed"
    assert outcome.attempts == 6
    assert outcome.error == "failure 6"
    bases = [0.2, 0.4, 0.8, 1.0, 1.0]
    gaps = timeline.gaps()
    assert len(gaps) == 5
    for gap, base in zip(gaps, bases, strict=True):
        assert base * 0.5 <= gap <= base
    assert gaps != bases  # the jitter took something off


def test_a_permanent_failure_is_not_retried():
    timeline = Timeline()
    catalog = ScriptedCatalog(act=flaky(5, timeline, retryable=False, kind="bad_input"))
    runner = StepRunner(catalog, sleep=timeline.sleep)
    outcome = runner.run_step(step(retry={"attempts": 5}), {}, run_ctx())
    assert (outcome.status, outcome.attempts, outcome.error_kind) == ("failed", 1, "bad_input")
    assert timeline.gaps() == []


class VendorDown(Exception):
    kind = "unavailable"
    retryable = False


def test_foreign_exceptions_honour_their_retryable_attribute():
    def boom(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        raise VendorDown("the vendor said no")

    catalog = ScriptedCatalog(act=boom)
    outcome = StepRunner(catalog, sleep=lambda s: None).run_step(
        step(retry={"attempts": 3}), {}, run_ctx()
    )
    assert (outcome.status, outcome.attempts, outcome.error_kind) == ("failed", 1, "unavailable")
    assert outcome.error == "test.act: the vendor said no"


def test_a_step_over_its_timeout_fails_and_its_action_is_told_to_stop():
    saw: dict[str, Any] = {}
    stopped = threading.Event()

    def hang(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        saw["deadline"], saw["timeout"] = run.deadline, run.timeout_s
        saw["remaining"] = run.remaining()
        never = threading.Event()
        while not run.cancelled():
            never.wait(0.01)
        stopped.set()
        return {}

    runner = StepRunner(ScriptedCatalog(act=hang))
    outcome = runner.run_step(step(timeout_s=0.05), {}, run_ctx())
    assert outcome.status == "failed"
    assert outcome.error_kind == "timeout"
    assert "timed out after 0.05 s" in (outcome.error or "")
    assert stopped.wait(5), "the action never saw cancelled() turn true"
    assert saw["timeout"] == 0.05
    assert saw["deadline"] is not None
    assert 0 <= saw["remaining"] <= 0.05


def test_a_false_if_skips_the_step():
    catalog = ScriptedCatalog(act=lambda i, r: {})
    runner = StepRunner(catalog)
    scope = build_scope({"go": False}, {})
    outcome = runner.run_step(step(if_="inputs.go"), scope, run_ctx())
    assert (outcome.status, outcome.attempts) == ("skipped", 0)
    assert catalog.calls == []
    assert runner.run_step(step(if_="not inputs.go"), scope, run_ctx()).status == "succeeded"


def test_a_template_error_fails_without_calling_the_action():
    catalog = ScriptedCatalog(act=lambda i, r: {})
    outcome = StepRunner(catalog).run_step(
        step(with_={"text": "{{ steps.nope.output }}"}), build_scope({}, {}), run_ctx()
    )
    assert outcome.status == "failed"
    assert outcome.error_kind == "template"
    assert "steps.s.with.text" in (outcome.error or "")
    assert catalog.calls == []


def test_cancel_before_the_first_attempt_and_during_backoff():
    catalog = ScriptedCatalog(act=lambda i, r: {})
    outcome = StepRunner(catalog).run_step(step(), {}, run_ctx(lambda: True))
    assert (outcome.status, outcome.attempts) == ("canceled", 0)
    assert catalog.calls == []

    timeline = Timeline()
    flag = threading.Event()
    timeline.on_sleep = flag.set  # the job is canceled while the runner backs off
    catalog = ScriptedCatalog(act=flaky(5, timeline))
    runner = StepRunner(catalog, sleep=timeline.sleep)
    outcome = runner.run_step(
        step(retry={"attempts": 5, "backoff_s": 30}), {}, run_ctx(flag.is_set)
    )
    assert (outcome.status, outcome.attempts) == ("canceled", 1)
    assert len(catalog.calls) == 1
    assert sum(e for e in timeline.entries if isinstance(e, float)) < 30


def test_an_action_returning_a_non_object_fails():
    outcome = StepRunner(ScriptedCatalog(act=lambda i, r: [1])).run_step(step(), {}, run_ctx())  # type: ignore[arg-type, return-value]
    assert (outcome.status, outcome.error_kind) == ("failed", "output")


WORKFLOW: dict[str, Any] = {
    "name": "three",
    "inputs": {"n": {"type": "integer", "required": True}, "tag": {"default": "x"}},
    "steps": [
        {"id": "a", "uses": "test.double", "with": {"v": "{{ inputs.n }}"}},
        {"id": "b", "uses": "test.double", "with": {"v": "{{ steps.a.output.v }}"}},
        {"id": "c", "uses": "test.double", "if": "steps.b.output.v > 100", "with": {"v": 0}},
        {"id": "d", "uses": "test.double", "with": {"v": "{{ steps.b.output.v + 1 }}"}},
    ],
}


def doubling() -> ScriptedCatalog:
    return ScriptedCatalog(double=lambda inputs, run: {"v": inputs["v"] * 2})


def test_run_workflow_runs_in_order_and_emits_events():
    catalog = doubling()
    events: list[StepEvent] = []
    result = run_workflow(parse_workflow(WORKFLOW), {"n": "3"}, catalog, on_event=events.append)
    assert result.ok
    assert result.outputs == {"a": {"v": 6}, "b": {"v": 12}, "d": {"v": 26}}
    assert [(e.step_id, e.status) for e in events] == [
        ("a", "running"), ("a", "succeeded"), ("b", "running"), ("b", "succeeded"),
        ("c", "running"), ("c", "skipped"), ("d", "running"), ("d", "succeeded"),
    ]  # fmt: skip
    assert result.outcomes["c"].status == "skipped"


def test_run_workflow_resumes_after_completed_steps():
    catalog = doubling()
    events: list[StepEvent] = []
    result = run_workflow(
        parse_workflow(WORKFLOW),
        {"n": 3},
        catalog,
        completed={"a": {"v": 50}, "b": {"v": 500}},
        on_event=events.append,
    )
    assert [c[0] for c in catalog.calls] == ["test.double", "test.double"]  # c and d only
    assert result.outputs["d"] == {"v": 1002}
    assert events[0] == StepEvent("a", 0, "test.double", "succeeded", resumed=True)


def test_run_workflow_stops_at_the_first_failure():
    def fail(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        raise StepFailed("nope", retryable=False)

    steps: list[Any] = list(WORKFLOW["steps"])
    doc = {**WORKFLOW, "steps": [steps[0], {"id": "x", "uses": "test.fail"}, *steps[1:]]}
    catalog = ScriptedCatalog(double=lambda i, r: {"v": 1}, fail=fail)
    result = run_workflow(parse_workflow(doc), {"n": 1}, catalog)
    assert (result.status, result.failed_step, result.error) == ("failed", "x", "nope")
    assert list(result.outcomes) == ["a", "x"]


def test_run_workflow_uses_the_run_factory_and_cancel():
    catalog = doubling()
    made: list[str] = []

    def factory(s: Step) -> RunContext:
        made.append(s.id)
        return RunContext(step_id=s.id, job_id=42, test_run=True)

    run_workflow(parse_workflow(WORKFLOW), {"n": 1}, catalog, run_factory=factory)
    assert made == ["a", "b", "c", "d"]
    assert {c[2].job_id for c in catalog.calls} == {42}

    def cancel_after_first() -> bool:
        return len(catalog.calls) >= 1

    catalog.calls.clear()
    result = run_workflow(parse_workflow(WORKFLOW), {"n": 1}, catalog, cancelled=cancel_after_first)
    assert (result.status, result.failed_step) == ("canceled", "b")
    assert len(catalog.calls) == 1


def test_resolve_inputs_applies_defaults_coerces_and_reports_every_problem():
    wf = parse_workflow(
        {
            "name": "inputs",
            "inputs": {
                "n": {"type": "integer", "required": True},
                "ratio": {"type": "number", "default": 0.5},
                "on": {"type": "boolean"},
                "tags": {"type": "array"},
                "label": {"type": "string", "default": "x"},
            },
            "steps": [{"id": "a", "uses": "core.log"}],
        }
    )
    assert resolve_inputs(wf, {"n": "4", "on": "yes", "tags": '["a"]'}) == {
        "n": 4, "ratio": 0.5, "on": True, "tags": ["a"], "label": "x",
    }  # fmt: skip
    with pytest.raises(InputsInvalid) as caught:
        resolve_inputs(wf, {"ratio": "lots", "on": 3, "extra": 1})
    problems = caught.value.problems
    assert "'n' is required (integer)" in problems
    assert any(p.startswith("'ratio' must be number") for p in problems)
    assert any(p.startswith("'on' must be boolean") for p in problems)
    assert any(p.startswith("'extra' is not an input") for p in problems)
