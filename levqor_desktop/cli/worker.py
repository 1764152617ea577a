"""``levqor worker [--burst] [--concurrency N] [--with-scheduler] [--queue Q ...]``.

With NEW_QUEUE_ENABLED on: an RQ worker (RQ's SimpleWorker with a timer timeout, so no
fork per job and no SIGALRM) on the Levqor queues; ``--concurrency N`` runs N worker
processes. Otherwise the local pool runs headless with N threads. Either way crash
recovery and the dispatcher of held jobs run too, and the scheduler with
``--with-scheduler``. ``--burst`` stops once no runnable job is left.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import redis
from sqlalchemy import or_, select

from levqor_desktop.cli.context import CliContext
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.jobs.claims import IS_RUNNING, runnable
from levqor_desktop.core.jobs.contracts import Services
from levqor_desktop.core.jobs.rq_worker import LevqorWorker, WorkerContext
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job

if TYPE_CHECKING:
    # The App is built by CliContext; importing it here would make `--help` slow.
    from levqor_desktop.app import App


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "worker", help="run jobs headless: an RQ worker (NEW_QUEUE_ENABLED) or the local pool"
    )
    parser.add_argument("--burst", action="store_true", help="stop when no job is left")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (rq) or threads (local)",
    )
    parser.add_argument("--with-scheduler", action="store_true", help="also fire schedules")
    parser.add_argument("--queue", action="append", default=[], help="queue(s) to serve (rq)")
    parser.set_defaults(handler=run)


def _configure_logging(ctx: CliContext) -> None:
    from levqor_desktop.core.logging import configure_logging

    configure_logging(ctx.settings)


def run(ctx: CliContext) -> int:
    _configure_logging(ctx)
    app = ctx.app()
    kit = app.jobs_kit
    kit.scheduler.autostart = bool(ctx.args.with_scheduler)
    app.flag_flips.autostart = kit.scheduler.autostart  # scheduled flag flips too
    if app.flags.enabled(FlagName.NEW_QUEUE_ENABLED):
        return _run_rq(ctx, app)
    return _run_local(ctx, app)


def _run_local(ctx: CliContext, app: App) -> int:
    kit = app.jobs_kit
    if ctx.args.concurrency:
        kit.pool.resize(ctx.args.concurrency)
    stop = threading.Event()
    previous = _on_signals(stop)
    try:
        app.start_background()
        ctx.print(f"local pool: {kit.pool.size} threads on {app.db.display_url} (Ctrl+C stops)")
        idle = threading.Event()
        if ctx.args.burst:
            kit.pool.listeners.append(lambda report: idle.set())
        while not stop.is_set():
            if ctx.args.burst and not _local_work_left(app):
                break
            idle.wait(0.5)
            idle.clear()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _local_work_left(app: App) -> bool:
    work = or_(IS_RUNNING, runnable(utcnow()))
    with app.db.session() as session:
        found = session.scalar(select(Job.id).where(Job.backend == "local", work).limit(1))
    return found is not None


def _run_rq(ctx: CliContext, app: App) -> int:
    kit = app.jobs_kit
    kit.pool.autostart = False  # this process serves RQ only
    children = _spawn_children(ctx, max(1, ctx.args.concurrency or 1) - 1)
    try:
        app.start_background()
        context = WorkerContext(app.db, kit.runner, clock=utcnow, services=Services(app))
        # The worker blocks on Redis for long: its own connection, without a read timeout.
        connection = redis.Redis.from_url(app.settings.redis_url)
        queues = [kit.rq.queue(name) for name in (ctx.args.queue or ["default"])]
        worker = LevqorWorker(
            [type(q)(q.name, connection=connection) for q in queues],
            connection=connection,
            context=context,
        )
        ctx.print(f"rq worker {worker.name} on {', '.join(q.name for q in queues)}")
        worker.work(burst=ctx.args.burst, logging_level=app.settings.log_level)
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=30)
    return 0


def _spawn_children(ctx: CliContext, count: int) -> list[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "levqor_desktop.cli.main", "worker", "--concurrency", "1"]
    if ctx.args.burst:
        argv.append("--burst")
    for name in ctx.args.queue:
        argv += ["--queue", name]
    return [subprocess.Popen(argv, env=dict(os.environ)) for _ in range(count)]


def _on_signals(stop: threading.Event) -> dict[signal.Signals, Any]:
    """Ctrl+C and SIGTERM stop the loop; returns the handlers to put back."""

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, handler)
    return previous
