"""The graph runner's overhead per step on 200-node workflows, against the linear runner.

The baseline is the linear loop ``run_workflow`` was before graphs (copied below, as it
was), measured in the same run on the same steps. Both call the same ``StepRunner``
with a no-op action, so the difference is the scheduler's own work per step:

  * ``chain``: a 200-step list workflow (each step needs the previous one), which the
    graph runner runs inline on the calling thread;
  * ``dag``: 200 steps in 20 layers of 10, each step needing two steps of the layer
    before; the baseline runs them as a list in topological order, the graph runner as a
    graph with ``max_parallel`` 1 (inline) and 4 (pool threads).

    .venv/bin/python bench/graph_runner.py [--runs 25] [--nodes 200] [--json]

Medians of interleaved runs; the ratio is graph / linear.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from levqor_desktop.core.workflows import (
    ActionInfo,
    RunContext,
    RunResult,
    StepEvent,
    StepRunner,
    Workflow,
    build_scope,
    parse_workflow,
    resolve_inputs,
    run_workflow,
)
from levqor_desktop.core.workflows.actions import never_cancelled
from levqor_desktop.core.workflows.graph import graph_of


class NoOp:
    """One action, ``bench.noop``, that returns at once."""

    def describe(self, uses: str) -> ActionInfo | None:
        return ActionInfo(uses, "no-op") if uses == "bench.noop" else None

    def names(self) -> list[str]:
        return ["bench.noop"]

    def invoke(self, uses: str, inputs: dict[str, Any], run: RunContext) -> dict[str, Any]:
        return {"n": inputs["n"]}


def linear_run(
    workflow: Workflow,
    inputs: Mapping[str, Any],
    runner: StepRunner,
    on_event: Callable[[StepEvent], None],
) -> RunResult:
    """The linear loop of ``run_workflow`` before graphs (its resume branch left out)."""
    resolved = resolve_inputs(workflow, inputs)
    result = RunResult(status="succeeded")
    outputs: dict[str, Any] = {}
    for index, step in enumerate(workflow.steps):
        run = RunContext(step_id=step.id, workflow=workflow.name, cancelled=never_cancelled)
        if never_cancelled() or run.cancelled():
            result.status, result.failed_step, result.error = "canceled", step.id, "canceled"
            break
        on_event(StepEvent(step.id, index, step.uses, "running"))
        outcome = runner.run_step(step, build_scope(resolved, outputs), run)
        result.outcomes[step.id] = outcome
        on_event(StepEvent(step.id, index, step.uses, outcome.status, outcome))
        if outcome.status == "succeeded":
            outputs[step.id] = outcome.output
            result.outputs[step.id] = outcome.output or {}
        elif outcome.status == "skipped":
            outputs[step.id] = None
        else:
            result.status = "failed" if outcome.status == "failed" else "canceled"
            result.failed_step, result.error = step.id, outcome.error
            break
    return result


def chain(nodes: int) -> dict[str, Any]:
    steps = [{"id": f"s{n}", "uses": "bench.noop", "with": {"n": n}} for n in range(nodes)]
    return {"name": "chain", "steps": steps}


def dag(nodes: int, width: int = 10) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for n in range(nodes):
        layer, pos = divmod(n, width)
        needs = [] if layer == 0 else sorted({f"s{(layer - 1) * width + (pos + k) % width}"
                                              for k in (0, 1)})  # fmt: skip
        steps.append({"id": f"s{n}", "uses": "bench.noop", "needs": needs, "with": {"n": n}})
    return {"name": "dag", "steps": steps, "max_parallel": 4}


def as_list(workflow: Workflow) -> Workflow:
    """The same steps as a list, in the graph's topological order."""
    order = graph_of(workflow).order()
    steps = [workflow.step(sid).model_copy(update={"needs": None}) for sid in order]
    return workflow.model_copy(update={"steps": steps})


def timed(fn: Callable[[], RunResult]) -> float:
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    assert result.ok, result.error
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    catalog = NoOp()
    runner = StepRunner(catalog)
    events: list[StepEvent] = []
    chain_wf = parse_workflow(chain(args.nodes), catalog=catalog)
    dag_wf = parse_workflow(dag(args.nodes), catalog=catalog)
    dag_serial = dag_wf.model_copy(update={"max_parallel": 1})
    dag_list = as_list(dag_wf)
    single_wf = parse_workflow(chain(1), catalog=catalog)

    def graph_run(wf: Workflow) -> Callable[[], RunResult]:
        return lambda: run_workflow(wf, {}, catalog, on_event=events.append, step_runner=runner)

    def linear(wf: Workflow) -> Callable[[], RunResult]:
        return lambda: linear_run(wf, {}, runner, events.append)

    cases: dict[str, Callable[[], RunResult]] = {
        "chain/linear": linear(chain_wf),
        "chain/graph": graph_run(chain_wf),
        "dag/linear": linear(dag_list),
        "dag/graph max_parallel=1": graph_run(dag_serial),
        "dag/graph max_parallel=4": graph_run(dag_wf),
    }
    # A one-step run is too short to time alone: 200 of them make one sample.
    single_linear, single_graph = linear(single_wf), graph_run(single_wf)
    cases["one/linear"] = lambda: [single_linear() for _ in range(args.nodes)][-1]
    cases["one/graph"] = lambda: [single_graph() for _ in range(args.nodes)][-1]
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(3):  # warm up: template caches, thread pool imports
        for fn in cases.values():
            fn()
    for _ in range(args.runs):
        for name, fn in cases.items():
            events.clear()
            times[name].append(timed(fn))
    per_step = {name: statistics.median(t) / args.nodes * 1e6 for name, t in times.items()}
    rows = [
        ("chain (list workflow)", "chain/linear", "chain/graph"),
        ("dag, inline", "dag/linear", "dag/graph max_parallel=1"),
        ("dag, 4 threads", "dag/linear", "dag/graph max_parallel=4"),
        ("one step (µs per run)", "one/linear", "one/graph"),
    ]
    report = [
        {
            "case": label,
            "linear_us_per_step": round(per_step[base], 1),
            "graph_us_per_step": round(per_step[new], 1),
            "overhead_us_per_step": round(per_step[new] - per_step[base], 1),
            "ratio": round(per_step[new] / per_step[base], 2),
        }
        for label, base, new in rows
    ]
    if args.json:
        print(json.dumps({"nodes": args.nodes, "runs": args.runs, "results": report}, indent=2))
        return
    print(f"{args.nodes} nodes, {args.runs} interleaved runs, medians")
    print(f"{'case':<24}{'linear µs/step':>16}{'graph µs/step':>16}{'overhead':>11}{'ratio':>8}")
    for r in report:
        print(
            f"{r['case']:<24}{r['linear_us_per_step']:>16}{r['graph_us_per_step']:>16}"
            f"{r['overhead_us_per_step']:>11}{r['ratio']:>7}x"
        )


if __name__ == "__main__":
    main()
