"""The graph scheduler: parallel branches, fan-in, skip and failure propagation, on_failure."""

from __future__ import annotations

import threading
from typing import Any

from levqor_desktop.core.workflows import (
    RunContext,
    StepEvent,
    StepFailed,
    parse_workflow,
    run_workflow,
)
from tests.unit.test_workflows_runner import ScriptedCatalog


def step(
    sid: str, uses: str = "test.echo", needs: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": sid, "uses": uses, "with": {"tag": sid}, **extra}
    if needs is not None:
        data["needs"] = needs
    return data


def graph(*steps: dict[str, Any], **top: Any) -> Any:
    return parse_workflow({"name": "graph", "steps": list(steps), **top})


def echo(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
    return {"tag": inputs["tag"]}


def boom(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
    raise StepFailed(f"{inputs['tag']} broke", retryable=False)


def ends(events: list[StepEvent]) -> dict[str, tuple[str, str | None]]:
    return {e.step_id: (e.status, e.reason) for e in events if e.status != "running"}


def test_branches_run_at_once_bounded_by_max_parallel():
    lock = threading.Lock()
    state = {"active": 0, "peak": 0}
    pair = threading.Barrier(2, timeout=10)  # passes only when two branches overlap

    def branch(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        pair.wait()
        with lock:
            state["active"] -= 1
        return {"tag": inputs["tag"]}

    catalog = ScriptedCatalog(echo=echo, branch=branch)
    wf = graph(
        step("root"),
        *(step(f"b{n}", "test.branch", ["root"]) for n in range(4)),
        step("join", needs=[f"b{n}" for n in range(4)]),
        max_parallel=2,
    )
    events: list[StepEvent] = []
    result = run_workflow(wf, {}, catalog, on_event=events.append)
    assert result.ok, result.error
    assert state["peak"] == 2
    assert result.order == ["root", "b0", "b1", "b2", "b3", "join"]
    started = [e.step_id for e in events if e.status == "running"]
    assert started.index("join") == 5  # the fan-in started after every branch ended
    ended_before_join = [
        e.step_id for e in events[: events.index(StepEvent("join", 5, "test.echo", "running"))]
    ]
    assert {f"b{n}" for n in range(4)} <= set(ended_before_join)
    assert [e.step_id for e in events if e.last] == ["join"]


def test_fan_in_sees_every_branch_output():
    catalog = ScriptedCatalog(echo=echo)
    wf = graph(
        step("root", needs=[]),
        step("left", needs=["root"]),
        step("right", needs=["root"]),
        {
            "id": "join",
            "uses": "test.echo",
            "needs": ["left", "right"],
            "with": {"tag": "{{ steps.left.output.tag }}+{{ steps.right.output.tag }}"},
        },
    )
    result = run_workflow(wf, {}, catalog)
    assert result.outputs["join"] == {"tag": "left+right"}


def test_a_false_if_skips_what_needs_only_it_but_not_a_list_successor():
    catalog = ScriptedCatalog(echo=echo)
    wf = graph(
        step("root"),
        step("maybe", needs=["root"], **{"if": "false"}),
        step("only_maybe", needs=["maybe"]),
        step("deeper", needs=["only_maybe"]),
        step("both", needs=["maybe", "root"]),
        step("after_in_list"),  # implicit: needs "both", runs
    )
    skipped_list = graph(step("a"), step("b", **{"if": "false"}), step("c"))
    events: list[StepEvent] = []
    result = run_workflow(wf, {}, catalog, on_event=events.append)
    assert result.ok
    got = {sid: o.status for sid, o in result.outcomes.items()}
    assert got == {
        "root": "succeeded", "maybe": "skipped", "only_maybe": "skipped", "deeper": "skipped",
        "both": "succeeded", "after_in_list": "succeeded",
    }  # fmt: skip
    assert result.outcomes["only_maybe"].error_kind == "needs_skipped"
    assert [c[1]["tag"] for c in catalog.calls] == ["root", "both", "after_in_list"]
    assert run_workflow(skipped_list, {}, catalog).outcomes["c"].status == "succeeded"


def test_a_failure_fails_its_dependents_and_stop_cancels_the_rest():
    catalog = ScriptedCatalog(echo=echo, boom=boom)
    steps = [
        step("bad", "test.boom", []),
        step("child", needs=["bad"]),
        step("grandchild", needs=["child"]),
        step("other", needs=[]),
        step("other_next", needs=["other"]),
    ]
    events: list[StepEvent] = []
    stop = run_workflow(graph(*steps, max_parallel=1), {}, catalog, on_event=events.append)
    assert (stop.status, stop.failed_step, stop.error) == ("failed", "bad", "bad broke")
    assert ends(events) == {
        "bad": ("failed", None),
        "child": ("skipped", "upstream failed: step bad failed"),
        "grandchild": ("skipped", "upstream failed: step bad failed"),
        "other": ("canceled", "canceled: step bad failed (on_failure: stop)"),
        "other_next": ("canceled", "canceled: step bad failed (on_failure: stop)"),
    }
    assert list(stop.outcomes) == ["bad"]
    assert set(stop.not_run) == {"child", "grandchild", "other", "other_next"}
    assert [e.step_id for e in events if e.last] == ["bad"]

    catalog.calls.clear()
    events.clear()
    cont = run_workflow(
        graph(*steps, max_parallel=1, on_failure="continue"), {}, catalog, on_event=events.append
    )
    assert (cont.status, cont.failed_step) == ("failed", "bad")
    assert [c[1]["tag"] for c in catalog.calls] == ["bad", "other", "other_next"]
    assert set(cont.not_run) == {"child", "grandchild"}
    assert [e.step_id for e in events if e.last] == ["other_next"]


def test_stop_lets_running_steps_finish_and_starts_nothing_after_them():
    # "slow" ends only once the run has heard that "bad" failed, so the stop is decided
    # before "after" could start (not merely after "bad" raised on its thread).
    failure_heard = threading.Event()

    def fail_first(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        raise StepFailed("first broke", retryable=False)

    def slow(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        assert failure_heard.wait(10)
        return {"tag": inputs["tag"]}

    catalog = ScriptedCatalog(echo=echo, fail=fail_first, slow=slow)
    wf = graph(
        step("bad", "test.fail", []), step("slow", "test.slow", []), step("after", needs=["slow"])
    )
    events: list[StepEvent] = []

    def hear(event: StepEvent) -> None:
        events.append(event)
        if event.step_id == "bad" and event.status == "failed":
            failure_heard.set()

    result = run_workflow(wf, {}, catalog, on_event=hear)
    assert result.status == "failed"
    assert result.outcomes["slow"].status == "succeeded"
    assert ends(events)["after"] == ("canceled", "canceled: step bad failed (on_failure: stop)")


def test_a_cancel_stops_starting_steps_and_the_run_is_canceled():
    calls: list[str] = []

    def count(inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        calls.append(inputs["tag"])
        return {}

    catalog = ScriptedCatalog(echo=count)
    wf = graph(
        step("a"), step("b", needs=["a"]), step("c", needs=["a"]), step("d", needs=["b", "c"])
    )
    events: list[StepEvent] = []
    result = run_workflow(wf, {}, catalog, on_event=events.append, cancelled=lambda: bool(calls))
    assert (result.status, result.failed_step, calls) == ("canceled", "b", ["a"])
    assert {sid: st for sid, (st, _) in ends(events).items()} == {
        "a": "succeeded", "b": "canceled", "c": "canceled", "d": "canceled",
    }  # fmt: skip


def test_resume_reuses_succeeded_and_skipped_steps_anywhere_in_the_graph():
    catalog = ScriptedCatalog(echo=echo)
    wf = graph(
        step("root", needs=[]),
        step("maybe", needs=["root"], **{"if": "true"}),
        step("after_maybe", needs=["maybe"]),
        step("side", needs=["root"]),
        step("join", needs=["after_maybe", "side"]),
    )
    events: list[StepEvent] = []
    result = run_workflow(
        wf, {}, catalog, completed={"root": {"tag": "r"}, "maybe": None, "side": {"tag": "s"}},
        on_event=events.append,
    )  # fmt: skip
    assert result.ok
    assert [c[1]["tag"] for c in catalog.calls] == ["join"]  # maybe is not decided again
    assert result.outcomes["after_maybe"].error_kind == "needs_skipped"
    assert [e.step_id for e in events if e.resumed] == ["root", "maybe", "side"]
    assert [e.status for e in events if e.resumed] == ["succeeded", "skipped", "succeeded"]
