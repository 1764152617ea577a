"""``levqor jobs list|show|cancel|requeue|retry|why|delete|depth|pause|resume``.

Actions take job ids, or (with no ids) every job matching the filter options: then
the count is shown first and the command asks before acting, unless ``--yes``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from levqor_desktop.cli.context import CliContext
from levqor_desktop.cli.guard import add_guard_options, ask_locally, guarded
from levqor_desktop.cli.run import parse_inputs
from levqor_desktop.core.jobs.contracts import JobFilter, JobRecord
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ValidationError

ACTIONS = ("cancel", "requeue", "retry", "delete")


def _filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", action="append", default=[], choices=[s.value for s in JobStatus])
    p.add_argument("--workflow", help="workflow name")
    p.add_argument("--user", type=int, help="user id")
    p.add_argument("--queue", help="queue name")
    p.add_argument("--text", help="matches workflow name, inputs, error or #id")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("jobs", help="list, inspect and steer jobs")
    jobs = parser.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)

    p = jobs.add_parser("list", help="jobs, newest first")
    _filters(p)
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_list)

    for name, helptext in (("show", "one job with its steps"), ("why", "why it is not running")):
        p = jobs.add_parser(name, help=helptext)
        p.add_argument("job_id", type=int)
        p.add_argument("--json", action="store_true", help="print JSON")
        p.set_defaults(handler=run_show if name == "show" else run_why)

    for name in ACTIONS:
        p = jobs.add_parser(name, help=f"{name} jobs by id, or every job matching the filters")
        p.add_argument("job_ids", type=int, nargs="*", metavar="JOB_ID")
        _filters(p)
        p.add_argument("--reason", help="why (kept in the audit trail)")
        p.add_argument("--yes", "-y", action="store_true", help="do not ask before a bulk action")
        add_guard_options(p, yes=False)
        p.add_argument("--json", action="store_true", help="print JSON")
        if name == "retry":
            how = p.add_mutually_exclusive_group()
            how.add_argument(
                "--from-failed-step",
                action="store_true",
                help="keep the steps that succeeded or were skipped, run the rest",
            )
            how.add_argument(
                "--from-step",
                metavar="STEP",
                help="re-run this step and everything downstream of it only",
            )
            p.add_argument("--input", "-i", action="append", default=[], metavar="KEY=VALUE")
        p.set_defaults(handler=run_action, action=name)

    p = jobs.add_parser("depth", help="job counts by queue and state")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_depth)
    for name in ("pause", "resume"):
        p = jobs.add_parser(name, help=f"{name} a queue (no job of it starts while paused)")
        p.add_argument("queue", nargs="?", default="default")
        p.add_argument("--reason")
        p.set_defaults(handler=run_pause, pause=name == "pause")


def _actor(ctx: CliContext) -> Actor:
    # ``--as USER`` or the default operator.
    return ctx.actor


def _filter(args: argparse.Namespace) -> JobFilter:
    return JobFilter(
        states=tuple(JobStatus(s) for s in args.state),
        workflow=args.workflow,
        user_id=args.user,
        queue=args.queue,
        text=args.text,
    )


def _row(job: JobRecord) -> list[Any]:
    when = job.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return [
        job.id,
        job.workflow_name,
        job.status.value,
        job.queue,
        job.attempts,
        when,
        (job.error or "")[:60],
    ]


def run_list(ctx: CliContext) -> int:
    args = ctx.args
    page = ctx.app().jobs.list(_actor(ctx), _filter(args), offset=args.offset, limit=args.limit)
    if ctx.json:
        ctx.emit_json({"total": page.total, "offset": page.offset, "jobs": page.rows})
        return 0
    ctx.table(
        ["id", "workflow", "status", "queue", "tries", "created (UTC)", "error"],
        [_row(j) for j in page.rows],
    )
    ctx.print(f"{len(page.rows)} of {page.total} job(s)")
    return 0


def run_show(ctx: CliContext) -> int:
    job = ctx.app().jobs.get(_actor(ctx), ctx.args.job_id)
    if ctx.json:
        ctx.emit_json(job)
        return 0
    fields = [
        ("job", job.id),
        ("workflow", f"{job.workflow_name} v{job.workflow_version or '-'}"),
        ("status", job.status.value),
        ("backend / queue", f"{job.backend} / {job.queue}"),
        ("attempts", f"{job.attempts} of {job.max_attempts}"),
        ("inputs", job.inputs),
        ("created", job.created_at),
        ("started", job.started_at),
        ("finished", job.finished_at),
        ("worker", job.worker_id),
        ("retry of", job.parent_job_id),
        ("error", job.error),
    ]
    for key, value in fields:
        if value not in (None, ""):
            ctx.print(f"{key:<16} {value}")
    for step in job.steps:
        detail = step.error or step.output
        ctx.print(
            f"  step {step.index} {step.step_id}: {step.status.value} x{step.attempts}  {detail}"
        )
    return 0


def run_why(ctx: CliContext) -> int:
    reasons = ctx.app().jobs.why(_actor(ctx), ctx.args.job_id)
    if ctx.json:
        ctx.emit_json(reasons)
        return 0
    for n, reason in enumerate(reasons, 1):
        ctx.print(f"{n}. {reason.text}")
    return 0


def run_depth(ctx: CliContext) -> int:
    depth = ctx.app().jobs.depth(_actor(ctx))
    if ctx.json:
        ctx.emit_json(depth)
        return 0
    states = [s.value for s in JobStatus]
    ctx.table(["queue", *states], [[q, *(c.get(s, 0) for s in states)] for q, c in depth.items()])
    return 0


def run_pause(ctx: CliContext) -> int:
    jobs, actor = ctx.app().jobs, _actor(ctx)
    if ctx.args.pause:
        jobs.pause(actor, ctx.args.queue, ctx.args.reason)
    else:
        jobs.resume(actor, ctx.args.queue, ctx.args.reason)
    ctx.print(f"queue {ctx.args.queue} {'paused' if ctx.args.pause else 'resumed'}")
    return 0


def run_action(ctx: CliContext) -> int:
    args, jobs, actor = ctx.args, ctx.app().jobs, _actor(ctx)
    flt = _filter(args)
    inputs = parse_inputs(getattr(args, "input", [])) or None
    if args.job_ids:
        done: list[Any] = []
        ids = ", ".join(f"#{i}" for i in args.job_ids)
        guarded(
            ctx,
            f"jobs.{args.action}",
            f"jobs {ids}",
            lambda: _act_on_ids(ctx, done, inputs),
            count=len(args.job_ids),
            preview=[f"#{i}" for i in args.job_ids],
            details={"reason": args.reason} if args.reason else None,
        )
        if ctx.json:
            ctx.emit_json(done)
        else:
            for item in done:
                ctx.print(_describe(args.action, item))
        return 0
    if flt == JobFilter():
        raise ValidationError(
            f"name job ids, or filters (--state, --workflow, ...) to {args.action} every match"
        )
    count = jobs.preview(actor, flt, args.action)
    if count == 0:
        ctx.print(f"no job matches: nothing to {args.action}")
        return 0
    if not ask_locally(ctx, f"{args.action} {count} job(s)"):
        if not sys.stdin.isatty():
            raise ValidationError(f"{count} job(s) match; add --yes to {args.action} them")
        ctx.print("nothing changed")
        return 1
    result = guarded(
        ctx,
        f"jobs.bulk_{args.action}",
        flt.describe(),
        lambda: jobs.apply(actor, flt, args.action, args.reason),
        count=count,
        preview=jobs.preview_lines(actor, flt, args.action),
        details={"reason": args.reason} if args.reason else None,
    )
    if ctx.json:
        ctx.emit_json(result)
    else:
        made = f"; new jobs {result.new_job_ids[:20]}" if result.new_job_ids else ""
        ctx.print(f"{args.action}: {result.count} job(s){made}")
    return 0


def _act_on_ids(ctx: CliContext, done: list[Any], inputs: dict[str, Any] | None) -> None:
    args, jobs, actor = ctx.args, ctx.app().jobs, _actor(ctx)
    for job_id in args.job_ids:
        if args.action == "cancel":
            done.append(jobs.cancel(actor, job_id, args.reason))
        elif args.action == "requeue":
            done.append(jobs.requeue(actor, job_id, args.reason))
        elif args.action == "delete":
            jobs.delete(actor, job_id, args.reason)
            done.append({"id": job_id, "deleted": True})
        else:
            done.append(
                jobs.retry(
                    actor,
                    job_id,
                    from_failed_step=args.from_failed_step,
                    from_step=args.from_step,
                    inputs=inputs,
                    reason=args.reason,
                )
            )


def _describe(action: str, item: Any) -> str:
    if isinstance(item, JobRecord):
        if action == "retry":
            return f"job {item.parent_job_id} retried as job {item.id} ({item.status.value})"
        note = " (stops at the next step)" if item.cancel_requested else ""
        return f"job {item.id}: {item.status.value}{note}"
    return f"job {item['id']} deleted"
