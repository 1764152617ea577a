"""Jobs benchmark: the local and rq backends against their baselines, in one run.

1. Throughput of N one-step no-op jobs through the local backend (SQLite, PostgreSQL)
   against a plain ThreadPoolExecutor with the same number of threads running the same
   step (``run_workflow`` of the same workflow, no persistence): the ceiling.
   "end-to-end" = from the first enqueue to the last job finished, the pool running
   meanwhile; "drain" = jobs already queued, from pool start to the last finish.
2. The rq backend (one ``levqor worker`` process) against bare RQ (one ``SimpleWorker``
   process, a no-op function), same worker count; rates from the first start to the
   last end recorded by each (process start-up excluded for both). Each of
   ``--rq-rounds`` rounds runs four variants: bare RQ; bare RQ with the levqor
   worker's heartbeat (``QuietHeartbeat``, RQ's worker heartbeat at most once a
   second); that, with each job also writing the PostgreSQL record the levqor worker
   keeps (the metered claim and the end with its step, in line); and the levqor
   worker. Each round starts one variant later than the one before, and the ratios are
   of the medians: on a shared machine a single round can differ 2x from the next.
   Bare + record against quiet is what the record costs; levqor against bare + record
   is the levqor worker's own overhead beyond it. All on a Redis database index
   claimed as the test suite claims one (``bench/redis_db.py``).
3. Enqueue → start latency on an idle local pool (one job at a time), p50/p99.

    python bench/jobs.py [--jobs 5000] [--threads 4] [--rq-rounds 3] [--rq-only] [--json]

PostgreSQL and Redis come from LEVQOR_TEST_DATABASE_URL / LEVQOR_TEST_REDIS_URL; a
missing service skips its rows.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.redis_db import own_redis_database  # noqa: E402
from levqor_desktop.app import App, build_app  # noqa: E402
from levqor_desktop.core.db import Database  # noqa: E402
from levqor_desktop.core.jobs import store  # noqa: E402
from levqor_desktop.core.jobs.claims import claim_by_id  # noqa: E402
from levqor_desktop.core.jobs.store import StepResult  # noqa: E402
from levqor_desktop.core.models import utcnow  # noqa: E402
from levqor_desktop.core.models.jobs import FINISHED, Job, JobStatus, StepStatus  # noqa: E402
from levqor_desktop.core.workflows import parse_workflow, run_workflow  # noqa: E402
from levqor_desktop.settings import Settings  # noqa: E402

NOOP = {
    "name": "bench-noop",
    "inputs": {"n": {"type": "integer", "default": 0}},
    "steps": [{"id": "only", "uses": "core.transform", "with": {"value": "{{ inputs.n }}"}}],
}


#: The rq rounds' variants (keys of the results: ``<variant>_rounds``, ``_per_s``).
RQ_VARIANTS = ("bare_rq", "quiet_rq", "recorded_rq", "rq_backend")


def noop(n: int) -> int:
    """Bare RQ's job: the no-op."""
    return n


_RECORD: list[Database] = []


def open_record(url: str) -> None:
    """The recorded bare worker's database, opened before it starts (as ours is)."""
    _RECORD.append(Database(url))
    _RECORD[0].ping()


def recorded_noop(job_id: int) -> int:
    """Bare RQ's job with the levqor record: the no-op between the claim (metered) and
    the end (with its step) that the levqor worker writes, the same statements in line."""
    db, worker = _RECORD[0], f"bare-{os.getpid()}"
    began = utcnow()
    job = claim_by_id(db, job_id, worker, began, meter=True)
    assert job is not None, f"job {job_id} was not runnable"
    done = utcnow()
    step = StepResult("only", 0, StepStatus.SUCCEEDED, 1, began, done, job.inputs["n"], None)
    store.finish(db, job_id, worker, JobStatus.SUCCEEDED, done, step=step)
    return job_id


def _app(home: Path, **env: str) -> App:
    settings = Settings.from_env({"LEVQOR_METRICS_PORT": "0", **env}, home=home)
    return build_app(settings).start()


def _finished(app: App) -> int:
    with app.db.session() as session:
        stmt = select(func.count()).select_from(Job).where(Job.status.in_(FINISHED))
        return int(session.scalar(stmt) or 0)


def _wait_all(app: App, total: int, done: threading.Event | None = None) -> None:
    while _finished(app) < total:
        if done is not None:
            done.wait(0.05)
            done.clear()
        else:
            time.sleep(0.05)


def _span(app: App) -> float:
    """Seconds from the first job started to the last finished (database clock)."""
    with app.db.session() as session:
        first, last = session.execute(
            select(func.min(Job.started_at), func.max(Job.finished_at))
        ).one()
    assert first is not None, "no job ran"
    assert last is not None, "no job finished"
    return float((last - first).total_seconds())


def local_backend(app: App, jobs: int, threads: int) -> dict[str, float]:
    actor = app.actor
    assert actor is not None
    pool = app.jobs_kit.pool
    pool.resize(threads)
    # Drain: everything queued first, then the pool starts.
    for start in range(0, jobs, 500):
        app.jobs.enqueue_many(
            actor, None, [{"n": n} for n in range(start, min(jobs, start + 500))], document=NOOP
        )
    t0 = time.perf_counter()
    pool.start()
    _wait_all(app, jobs)
    drain = time.perf_counter() - t0
    # End to end: enqueue while the pool runs.
    t0 = time.perf_counter()
    for start in range(0, jobs, 100):
        app.jobs.enqueue_many(
            actor, None, [{"n": n} for n in range(start, min(jobs, start + 100))], document=NOOP
        )
    _wait_all(app, 2 * jobs)
    e2e = time.perf_counter() - t0
    pool.stop()
    return {"drain_per_s": jobs / drain, "e2e_per_s": jobs / e2e}


def thread_pool_ceiling(jobs: int, threads: int) -> float:
    from levqor_desktop.core.workflows.builtins import BuiltinCatalog

    workflow = parse_workflow(NOOP)
    actions = BuiltinCatalog()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(lambda n: run_workflow(workflow, {"n": n}, actions), range(jobs)))
    return jobs / (time.perf_counter() - t0)


def latency(app: App, samples: int) -> dict[str, float]:
    actor = app.actor
    assert actor is not None
    pool = app.jobs_kit.pool
    ended = threading.Event()
    pool.listeners.append(lambda report: ended.set())
    pool.start()
    ids = []
    for n in range(samples):
        ended.clear()
        ids.append(app.jobs.enqueue(actor, document=NOOP, inputs={"n": n}).id)
        ended.wait(5)
        time.sleep(0.01)  # idle again: the threads are waiting when the next one comes
    pool.stop()
    with app.db.session() as session:
        rows = session.execute(select(Job.created_at, Job.started_at).where(Job.id.in_(ids))).all()
    ms = sorted((s - c).total_seconds() * 1000 for c, s in rows if s is not None)
    return {"p50_ms": statistics.median(ms), "p99_ms": ms[int(len(ms) * 0.99) - 1]}


def _pg_database(admin_url: str) -> tuple[str, Any]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"levqor_bench_{uuid.uuid4().hex[:8]}"
    url = make_url(admin_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return url.set(database=name).render_as_string(hide_password=False), drop


def rq_backend(home: Path, pg_url: str, redis_url: str, jobs: int) -> float:
    env = {
        "DATABASE_URL": pg_url,
        "PG_ENABLED": "1",
        "REDIS_URL": redis_url,
        "NEW_QUEUE_ENABLED": "1",
    }
    app = _app(home, **env)
    actor = app.actor
    assert actor is not None
    for start in range(0, jobs, 500):
        app.jobs.enqueue_many(
            actor, None, [{"n": n} for n in range(start, min(jobs, start + 500))], document=NOOP
        )
    child_env = {
        **os.environ,
        **env,
        "LEVQOR_HOME": str(home),
        "LEVQOR_METRICS_PORT": "0",
        "LEVQOR_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "levqor_desktop.cli.main", "worker", "--burst"],
        env=child_env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    assert _finished(app) == jobs
    rate = jobs / _span(app)
    app.close()
    return rate


def bare_rq(
    redis_url: str, jobs: int, *, quiet: bool = False, record: tuple[Path, str] | None = None
) -> float:
    """Bare RQ's rate; ``record`` (a home and a PostgreSQL URL): each job also claims
    and ends a levqor job row there, with the levqor worker's statements."""
    import redis
    from rq import Queue
    from rq.job import Job as RqJob

    conn = redis.Redis.from_url(redis_url)
    name = f"bench-{uuid.uuid4().hex[:6]}"
    queue = Queue(name, connection=conn)
    opening = ""
    if record is None:
        ids = [queue.enqueue("bench.jobs.noop", n, result_ttl=600).id for n in range(jobs)]
    else:
        app = _app(record[0], DATABASE_URL=record[1], PG_ENABLED="1")  # local: no dispatch
        assert app.actor is not None
        rows = [
            job_id
            for start in range(0, jobs, 500)
            for job_id in app.jobs.enqueue_many(
                app.actor, None, [{"n": n} for n in range(start, min(jobs, start + 500))],
                document=NOOP,
            )
        ]  # fmt: skip
        app.close()
        ids = [queue.enqueue("bench.jobs.recorded_noop", j, result_ttl=600).id for j in rows]
        opening = f"bench.jobs.open_record({record[1]!r});"
    # bench.jobs (this module, which holds the no-op) is imported before the worker
    # starts, so its import is not counted in bare RQ's time, as the levqor worker's
    # start-up is not counted in its own.
    worker = "QuietHeartbeat" if quiet else "SimpleWorker"
    code = (
        "import redis, sys, bench.jobs; from rq import Queue, SimpleWorker;"
        "from levqor_desktop.core.jobs.rq_worker import QuietHeartbeat;"
        f"c = redis.Redis.from_url({redis_url!r});{opening}"
        f"{worker}([Queue({name!r}, connection=c)], connection=c)"
        ".work(burst=True, logging_level='WARNING')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    fetched = RqJob.fetch_many(ids, connection=conn)
    starts = [j.started_at for j in fetched if j is not None and j.started_at]
    ends = [j.ended_at for j in fetched if j is not None and j.ended_at]
    assert len(ends) == jobs, f"bare RQ finished {len(ends)} of {jobs}"
    for j in fetched:
        if j is not None:
            j.delete()
    return jobs / (max(ends) - min(starts)).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--rq-rounds", type=int, default=3)
    parser.add_argument("--rq-only", action="store_true", help="only the rq rounds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {"jobs": args.jobs, "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        if not args.rq_only:
            results["ceiling_per_s"] = thread_pool_ceiling(args.jobs, args.threads)
            app = _app(Path(tmp) / "sqlite")
            results["local_sqlite"] = local_backend(app, args.jobs, args.threads)
            app.close()
            app = _app(Path(tmp) / "latency")
            results["latency"] = latency(app, args.latency_samples)
            app.close()
        admin = os.environ.get("LEVQOR_TEST_DATABASE_URL")
        redis_url = os.environ.get("LEVQOR_TEST_REDIS_URL")
        if admin and not args.rq_only:
            pg_url, drop = _pg_database(admin)
            try:
                app = _app(Path(tmp) / "pg", DATABASE_URL=pg_url, PG_ENABLED="1")
                results["local_postgres"] = local_backend(app, args.jobs, args.threads)
                app.close()
            finally:
                drop()
        if admin and redis_url:
            results.update(rq_rounds(admin, redis_url, args.jobs, args.rq_rounds, Path(tmp)))
    _report(results, as_json=args.json)
    return 0


def rq_rounds(admin: str, base_redis: str, jobs: int, rounds: int, tmp: Path) -> dict[str, Any]:
    """Bare RQ, bare RQ with the quiet heartbeat, that with the record, and the rq
    backend, alternating for ``rounds`` rounds on a Redis database of their own; each
    round starts one variant later than the one before, so none always runs first."""
    rates: dict[str, list[float]] = {name: [] for name in RQ_VARIANTS}
    with own_redis_database(base_redis) as redis_url:
        for n in range(rounds):
            for k in range(len(RQ_VARIANTS)):
                name = RQ_VARIANTS[(n + k) % len(RQ_VARIANTS)]
                if name == "bare_rq":
                    rate = bare_rq(redis_url, jobs)
                elif name == "quiet_rq":
                    rate = bare_rq(redis_url, jobs, quiet=True)
                else:
                    pg_url, drop = _pg_database(admin)
                    try:
                        if name == "recorded_rq":
                            record = (tmp / f"rec{n}", pg_url)
                            rate = bare_rq(redis_url, jobs, quiet=True, record=record)
                        else:
                            rate = rq_backend(tmp / f"rq{n}", pg_url, redis_url, jobs)
                    finally:
                        drop()
                rates[name].append(rate)
                print(f"round {n + 1}: {name} {rate:.0f} jobs/s", file=sys.stderr, flush=True)
    results: dict[str, Any] = {}
    for name, values in rates.items():
        results[f"{name}_rounds"] = values
        results[f"{name}_per_s"] = statistics.median(values)
    return results


def _report(r: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(r, indent=2))
        return
    ceiling = r.get("ceiling_per_s", float("nan"))
    print(f"{r['jobs']} one-step no-op jobs, {r['threads']} threads")
    print(f"ThreadPoolExecutor ceiling      {ceiling:8.0f} jobs/s")
    for key, label in (("local_sqlite", "local, SQLite"), ("local_postgres", "local, PostgreSQL")):
        if key in r:
            d, e = r[key]["drain_per_s"], r[key]["e2e_per_s"]
            print(
                f"{label:<18} drain {d:8.0f} jobs/s ({d / ceiling:.2f}x ceiling); "
                f"end-to-end {e:8.0f} jobs/s ({e / ceiling:.2f}x)"
            )
    if "bare_rq_per_s" in r:
        bare = r["bare_rq_per_s"]
        rounds = ", ".join(
            f"{b:.0f}/{h:.0f}/{c:.0f}/{q:.0f}"
            for b, h, c, q in zip(
                r["bare_rq_rounds"], r["quiet_rq_rounds"], r["recorded_rq_rounds"],
                r["rq_backend_rounds"], strict=True,
            )
        )  # fmt: skip
        print(f"bare / quiet-heartbeat bare / bare + record / rq backend by round: {rounds}")
        print(f"bare RQ SimpleWorker (median)   {bare:8.0f} jobs/s")
        quiet = r["quiet_rq_per_s"]
        print(f"bare RQ, quiet heartbeat        {quiet:8.0f} jobs/s")
        recorded = r["recorded_rq_per_s"]
        print(
            f"bare RQ + the PostgreSQL record {recorded:8.0f} jobs/s ({recorded / quiet:.2f}x "
            "quiet-heartbeat bare RQ: what the record costs)"
        )
        rq = r["rq_backend_per_s"]
        print(
            f"rq backend (levqor worker)      {rq:8.0f} jobs/s ({rq / bare:.2f}x bare RQ, "
            f"{rq / quiet:.2f}x bare RQ with the same heartbeat, "
            f"{rq / recorded:.2f}x bare RQ with the same heartbeat and record)"
        )
        if "local_sqlite" in r:
            print(
                f"local SQLite drain / bare RQ     {r['local_sqlite']['drain_per_s'] / bare:.1f}x"
            )
    if "latency" not in r:
        return
    lat = r["latency"]
    print(
        f"enqueue -> start, idle local pool: p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
