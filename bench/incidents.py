"""Incident export at scale: 10,000 and 100,000 events in one window, on SQLite.

Seeds a week of events of every kind (half of them failed jobs with a failed step, next
to as many succeeded jobs as history), then measures in one run:
  * ``app.incidents.export_file`` as Markdown and as JSON (keyring read, six sources
    paged and merged, every event redacted, written to a file);
  * the baseline: the same rows read with one plain query per table and written with
    ``json.dumps`` per row (no paging, no merge, no redaction, no formatting);
  * the failed-jobs page query's SQLite plan (which index; whether it sorts).

    .venv/bin/python bench/incidents.py [--events 10000 100000] [--rounds 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, insert, select, text

from levqor_desktop.app import App, build_app
from levqor_desktop.core.incidents import Window
from levqor_desktop.core.incidents.sources import failed_jobs
from levqor_desktop.core.models.base import Base
from levqor_desktop.core.models.canary import CanaryResult, CanaryRun
from levqor_desktop.core.models.jobs import Job, JobStatus, JobStep, StepStatus
from levqor_desktop.core.models.migrations import MigrationRun
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.core.models.safety import OperatorAction
from levqor_desktop.core.models.usage import Metric, UsageLimitHit
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring

START = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
SPAN = dt.timedelta(days=7)
SECRET = "BenchPlantedCredential7d1e"
#: Share of the events per kind (failed jobs are the bulk of a bad week).
MIX = {"jobs": 0.5, "flags": 0.1, "canary": 0.1, "migrations": 0.05, "hits": 0.15, "ops": 0.1}
BATCH = 2000


def _batches(rows: Iterator[dict[str, Any]], table: type[Base] | Table, app: App) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            with app.db.write_session() as session:
                session.execute(insert(table), batch)
            batch = []
    if batch:
        with app.db.write_session() as session:
            session.execute(insert(table), batch)


def seed(app: App, actor: Actor, events: int) -> dict[str, int]:
    """Write ``events`` events spread over a week; return how many of each kind."""
    counts = {kind: int(events * share) for kind, share in MIX.items()}
    counts["jobs"] += events - sum(counts.values())
    app.connectors.save_account(actor, "slack", "ops", {"bot_token": SECRET})

    def at(i: int, n: int) -> dt.datetime:
        return START + SPAN * ((i + 0.5) / n)

    n_jobs = counts["jobs"]
    org, user = actor.org_id, actor.user_id

    def jobs() -> Iterator[dict[str, Any]]:
        # A succeeded job between each two failed ones: the history the query skips.
        for i in range(2 * n_jobs):
            failed = i % 2 == 0
            moment = at(i, 2 * n_jobs)
            yield {
                "id": i + 1,
                "org_id": org,
                "user_id": user,
                "workflow_name": f"notify-{i % 17}",
                "inputs": {"contact": f"user{i}@example.org", "n": i},
                "status": JobStatus.FAILED if failed else JobStatus.SUCCEEDED,
                "backend": "local",
                "attempts": 3 if failed else 1,
                "max_attempts": 3,
                "started_at": moment - dt.timedelta(seconds=2),
                "finished_at": moment,
                "created_at": moment - dt.timedelta(seconds=3),
                "heartbeat_at": moment,
                "worker_id": "local-bench-1",
                "error": f"step post failed: slack said invalid_auth with token {SECRET}"
                if failed
                else None,
            }

    def steps() -> Iterator[dict[str, Any]]:
        for i in range(0, 2 * n_jobs, 2):
            for index, (step, status) in enumerate(
                (("prepare", StepStatus.SUCCEEDED), ("post", StepStatus.FAILED))
            ):
                yield {
                    "job_id": i + 1,
                    "step_id": step,
                    "step_index": index,
                    "status": status,
                    "attempts": 1,
                    "error": "invalid_auth: Authorization: Bearer xoxb-1234-abcdefgh"
                    if status is StepStatus.FAILED
                    else None,
                }

    _batches(jobs(), Job, app)
    _batches(steps(), JobStep, app)
    _batches(
        (
            {
                "created_at": at(i, counts["flags"]),
                "flag": "BUILDER_ENABLED",
                "old_value": i % 2 == 1,
                "new_value": i % 2 == 0,
                "old_effective": i % 2 == 1,
                "new_effective": i % 2 == 0,
                "source": "cli",
                "reason": f"asked by ops{i}@example.org",
                "user_id": user,
                "org_id": org,
                "actor_name": "Bench Operator",
            }
            for i in range(counts["flags"])
        ),
        FlagAudit,
        app,
    )
    n_canary = counts["canary"]
    _batches(
        (
            {
                "id": i + 1,
                "org_id": org,
                "target": "local",
                "target_label": "this app",
                "verdict": "fail" if i % 3 == 0 else "pass",
                "trigger": "auto",
                "change": "flag BUILDER_ENABLED on",
                "started_at": at(i, n_canary),
                "finished_at": at(i, n_canary),
            }
            for i in range(n_canary)
        ),
        CanaryRun,
        app,
    )
    _batches(
        (
            {
                "run_id": i // 2 + 1,
                "position": i % 2,
                "check_name": ("error_rate", "health")[i % 2],
                "status": ("fail", "pass")[i % 2],
                "value": 40.0,
                "unit": "%",
                "threshold": "≤ 5 %",
                "summary": "40 % of jobs failed",
                "details": {},
            }
            for i in range(2 * n_canary)
        ),
        CanaryResult,
        app,
    )
    _batches(
        (
            {
                "uuid": f"{i:032x}",
                "kind": "switch",
                "status": "failed",
                "source": "sqlite:///levqor.db",
                "target": "postgresql://ops@db/levqor",
                "started_at": at(i, counts["migrations"]),
                "message": "final sync failed: connection reset",
            }
            for i in range(counts["migrations"])
        ),
        MigrationRun,
        app,
    )
    _batches(
        (
            {
                "org_id": org,
                "user_id": user,
                "limit_id": 1,
                "metric": Metric.JOB_RUNS,
                "outcome": "refused",
                "stage": "enqueue",
                "workflow": "notify-1",
                "message": "job runs per day: 100 of 100 used",
                "used": 100,
                "value": 100,
                "at": at(i, counts["hits"]),
                "last_at": at(i, counts["hits"]),
                "hits": 1 + i % 4,
            }
            for i in range(counts["hits"])
        ),
        UsageLimitHit,
        app,
    )
    _batches(
        (
            {
                "created_at": at(i, counts["ops"]),
                "org_id": org,
                "user_id": user,
                "actor_name": "Bench Operator",
                "profile": "prod-eu",
                "environment": "production",
                "action": "jobs.bulk_retry",
                "target": "state=failed",
                "count": 3,
                "source": "cli",
                "outcome": "confirmed",
                "details": {"preview": [f"job for ops{i}@example.org"], "api_key": SECRET},
            }
            for i in range(counts["ops"])
        ),
        OperatorAction,
        app,
    )
    with app.db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return counts


# -- measures -------------------------------------------------------------------------


def baseline(app: App, out_path: Path) -> int:
    """The same rows, one plain query per table, ``json.dumps`` per row, nothing else."""
    tables = {
        "jobs": (Job.__table__, Job.finished_at),
        "flag_audit": (FlagAudit.__table__, FlagAudit.created_at),
        "canary_runs": (CanaryRun.__table__, CanaryRun.started_at),
        "migration_runs": (MigrationRun.__table__, MigrationRun.started_at),
        "usage_limit_hits": (UsageLimitHit.__table__, UsageLimitHit.at),
        "operator_actions": (OperatorAction.__table__, OperatorAction.created_at),
    }
    n = 0
    with open(out_path, "w", encoding="utf-8") as out, app.db.session() as session:
        for name, (table, moment) in tables.items():
            query = select(table).where(moment >= START, moment < START + SPAN)
            if name == "jobs":
                query = query.where(Job.status == JobStatus.FAILED)
            for row in session.execute(query).mappings():
                out.write(json.dumps(dict(row), default=str) + "\n")
                n += 1
    return n


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    count = fn()
    return time.perf_counter() - started, count


@contextmanager
def seeded_app(events: int) -> Iterator[tuple[App, Actor, Path]]:
    with tempfile.TemporaryDirectory(prefix="levqor-bench-incidents-") as folder:
        home = Path(folder)
        settings = Settings.from_env({"LEVQOR_METRICS_PORT": "0"}, home=home)
        app = build_app(settings, secret_backend=MemoryKeyring()).start()
        try:
            assert app.actor is not None
            t0 = time.perf_counter()
            counts = seed(app, app.actor, events)
            print(f"seeded {events:,} events {counts} in {time.perf_counter() - t0:.1f} s")
            yield app, app.actor, home
        finally:
            app.close()


def run(events: int, rounds: int) -> dict[str, float]:
    with seeded_app(events) as (app, actor, home):
        window = Window(START, START + SPAN)
        results: dict[str, list[float]] = {"md": [], "json": [], "baseline": []}
        for _ in range(rounds):
            for fmt in ("md", "json"):
                path = home / f"export.{fmt}"
                export = functools.partial(app.incidents.export_file, actor, window, fmt, path)
                seconds, count = timed(export)
                assert count == events, (fmt, count, events)
                assert SECRET not in path.read_text(encoding="utf-8")
                results[fmt].append(seconds)
            seconds, count = timed(lambda: baseline(app, home / "baseline.jsonl"))
            assert count == events, ("baseline", count, events)
            results["baseline"].append(seconds)
        plan = _plan(app, actor)
    medians = {k: statistics.median(v) for k, v in results.items()}
    print(f"\n{events:,} events, medians of {rounds} round(s); failed-jobs page plan: {plan}")
    print(f"{'measure':<28}{'seconds':>10}{'events/s':>12}{'vs baseline':>14}")
    labels = {"baseline": "plain json (baseline)", "md": "export md", "json": "export json"}
    for name, label in labels.items():
        rate = events / medians[name]
        ratio = medians[name] / medians["baseline"]
        print(f"{label:<28}{medians[name]:>10.2f}{rate:>12,.0f}{ratio:>13.1f}x")
    return medians


def _plan(app: App, actor: Actor) -> str:
    """SQLite's plan of the failed-jobs page query (does it sort, which index)."""
    source = failed_jobs(actor.org_id)
    query = (
        source.query.where(source.time >= START, source.time < START + SPAN)
        .order_by(source.time, source.id)
        .limit(500)
    )
    with app.db.session() as session:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return "; ".join(str(r[-1]) for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    for events in args.events:
        run(events, args.rounds)


if __name__ == "__main__":
    main()
