"""``levqor run FILE_OR_NAME [--input k=v ...] [--test] [--json]``.

``--test`` runs the workflow here and now, records nothing, prints every step in run
order (the graph's topological order) with its state, duration and output or error,
and exits 1 if a step failed. Without it the run is enqueued as a job
and the command waits for its result (on the local pool of this process, or on RQ
workers when NEW_QUEUE_ENABLED is on).
"""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.jobs.contracts import JobRecord
from levqor_desktop.core.models.jobs import FINISHED, JobStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows import StepEvent, parse_workflow, run_workflow
from levqor_desktop.core.workflows.graph import graph_of
from levqor_desktop.errors import LevqorError, ValidationError

if TYPE_CHECKING:
    # The App is built by CliContext; importing it here would make `--help` slow.
    from levqor_desktop.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "run", help="run a workflow file or a stored workflow (as a job, or --test locally)"
    )
    parser.add_argument("workflow", metavar="FILE_OR_NAME", help="a .json file or a stored name/id")
    parser.add_argument(
        "--input", "-i", action="append", default=[], metavar="KEY=VALUE", help="an input value"
    )
    parser.add_argument("--test", action="store_true", help="a local test run; records nothing")
    parser.add_argument("--timeout", type=float, default=0, help="stop waiting after S seconds")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; values stay text (the workflow's input types convert them)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--input {pair!r}: write it as KEY=VALUE")
        out[key.strip()] = value
    return out


def _document(arg: str) -> dict[str, Any] | None:
    path = Path(arg)
    if not (path.suffix == ".json" or path.exists()):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: a workflow must be a JSON object")
    return data


def run(ctx: CliContext) -> int:
    app = ctx.app()
    actor = ctx.actor  # --as USER, or the default operator
    inputs = parse_inputs(ctx.args.input)
    document = _document(ctx.args.workflow)
    if ctx.args.test:
        return _test_run(ctx, app, actor, document, inputs)
    if document is not None:
        job = app.jobs.enqueue(actor, document=document, inputs=inputs)
    else:
        job = app.jobs.enqueue(actor, ctx.args.workflow, inputs)
    if not ctx.json:
        ctx.print(f"job {job.id} queued on the {job.backend} backend")
    final = _wait(app, actor, job, ctx.args.timeout or None)
    if ctx.json:
        ctx.emit_json(final)
    else:
        for step in final.steps:
            detail = step.error if step.error else json.dumps(step.output, default=str)
            ctx.print(f"  {step.step_id}: {step.status.value}  {detail}")
        tail = f": {final.error}" if final.error and final.status is not JobStatus.SUCCEEDED else ""
        ctx.print(f"job {final.id} {final.status.value}{tail}")
    return 0 if final.status is JobStatus.SUCCEEDED else 1


def _wait(app: App, actor: Actor, job: JobRecord, timeout: float | None) -> JobRecord:
    kit = app.jobs_kit
    changed = threading.Event()
    started_pool = False
    if job.backend == "local":
        kit.pool.listeners.append(lambda report: changed.set())
        if not kit.pool.running:
            kit.recovery.run_once()
            kit.pool.start()
            started_pool = True
    try:
        waited = 0.0
        while True:
            current = app.jobs.get(actor, job.id)
            if current.status in FINISHED:
                return current
            if timeout is not None and waited >= timeout:
                raise LevqorError(
                    f"job {job.id} is still {current.status.value} after {timeout:g} s",
                    hint=f"see `levqor jobs why {job.id}`",
                )
            # Local jobs wake us when they end; RQ jobs run elsewhere, so look again soon.
            changed.wait(0.2)
            changed.clear()
            waited += 0.2
    finally:
        if started_pool:
            kit.pool.stop()


def _test_run(
    ctx: CliContext, app: App, actor: Actor, document: dict[str, Any] | None, inputs: dict[str, Any]
) -> int:
    if document is not None:
        workflow = parse_workflow(document, catalog=app.actions)
    else:
        workflow = app.workflows.get(actor, ctx.args.workflow).workflow
    ended: dict[str, StepEvent] = {}

    def on_event(event: StepEvent) -> None:
        if event.status != "running":
            ended[event.step_id] = event

    result = run_workflow(workflow, inputs, app.actions, on_event=on_event, test_run=True)
    graph = graph_of(workflow)
    events = [_step_line(ended[sid], graph.needs[sid]) for sid in result.order if sid in ended]
    if ctx.json:
        ctx.emit_json(
            {
                "workflow": workflow.name,
                "status": result.status,
                "error": result.error,
                "failed_step": result.failed_step,
                "steps": events,
            }
        )
    else:
        for item in events:
            took = f"  ({item['duration_s'] * 1000:.0f} ms)" if "duration_s" in item else ""
            head = f"{item['step']} [{item['uses']}]: {item['status']}"
            ctx.print(f"  {head}{took}  {item['detail']}")
        tail = f" at step {result.failed_step}: {result.error}" if not result.ok else ""
        ctx.print(f"test run of {workflow.name}: {result.status}{tail}")
    return 0 if result.ok else 1


def _step_line(event: StepEvent, needs: tuple[str, ...]) -> dict[str, Any]:
    """One step of a test run as printed (and as given in --json)."""
    item: dict[str, Any] = {
        "step": event.step_id,
        "uses": event.uses,
        "status": event.status,
        "needs": list(needs),
    }
    outcome = event.outcome
    if outcome is not None:
        item.update(outcome.to_dict())
        item["duration_s"] = outcome.duration_s
        if outcome.error:
            item["detail"] = outcome.error
        elif outcome.status == "skipped":
            item["detail"] = "its condition (if) was false"
        else:
            item["detail"] = json.dumps(outcome.output, default=str)
    else:
        item["detail"] = event.reason or ""
    return item
