"""Load test of ``levqor serve``: 1,000 concurrent clients for a minute, against a bare
Starlette/uvicorn app serving the same routes in the same run.

The mix (each client picks per request): health (open), metrics (open), an
authenticated read of a job (viewer key) and a write that enqueues a job (operator key,
``POST /api/v1/jobs``). Settings: SQLite with the local pool, and PostgreSQL + Redis
with the rq backend (a fresh database and an empty Redis database, both removed after).
The baseline (``bench/load_baseline.py``) serves health, metrics, a read of the same job
row from the same database and a write that inserts a row (and, with Redis, enqueues an
RQ job). The load generator (``bench/load_client.py``) is a separate process, so it
does not share the server's GIL; on 2 cores its CPU share is reported.

The rate limit is raised for the run (``--rate``/``--burst`` of ``levqor serve``): one
key per kind and 1,000 clients would otherwise be throttled; the limiter still runs.

    python bench/load_serve.py [--seconds 60] [--clients 1000] [--rounds 3]
                               [--settings sqlite,postgresql] [--quick | --smoke] [--json]

Rounds alternate baseline / levqor within each setting; the report gives every round
and the medians, and the ratios are of the medians (levqor / baseline). ``--smoke``
(SQLite, 20 clients, 1 s) only proves that both servers and the generator still work;
a test runs it.

PostgreSQL and Redis come from LEVQOR_TEST_DATABASE_URL / LEVQOR_TEST_REDIS_URL: a
fresh database, dropped after, and a Redis database index claimed as the test suite
claims one (``bench/redis_db.py``), flushed and released after.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.jobs import NOOP, _pg_database  # noqa: E402
from bench.redis_db import own_redis_database  # noqa: E402
from levqor_desktop.app import build_app  # noqa: E402
from levqor_desktop.core.models import Role  # noqa: E402
from levqor_desktop.core.opsapi.server import KEEP_ALIVE_S  # noqa: E402
from levqor_desktop.settings import Settings  # noqa: E402

#: Shares of the mix.
MIX = {"health": 0.25, "metrics": 0.15, "read": 0.40, "write": 0.20}
#: What the report gives per round and as medians.
MEASURES = ("per_s", "p50_ms", "p99_ms", "errors", "rss_before_mb", "rss_after_mb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare(home: Path, env: dict[str, str]) -> dict[str, Any]:
    """Schema, keys and one job to read, through the App (closed before serving)."""
    app = build_app(Settings.from_env({"LEVQOR_METRICS_PORT": "0", **env}, home=home)).start()
    try:
        actor = app.actor
        assert actor is not None
        viewer = app.api_keys.create(actor, name="load-read", role=Role.VIEWER).key
        operator = app.api_keys.create(actor, name="load-write", role=Role.OPERATOR).key
        job_id = app.jobs.enqueue(actor, document=NOOP, inputs={"n": 1}).id
        return {
            "viewer": viewer,
            "operator": operator,
            "job_id": job_id,
            "db": app.db.url.render_as_string(hide_password=False),
        }
    finally:
        app.close()


def plan(keyed: bool, prepared: dict[str, Any]) -> dict[str, Any]:
    def headers(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {prepared[key]}"} if keyed else {}

    body = {"document": NOOP, "inputs": {"n": 2}}
    return {
        "kinds": [
            {"name": "health", "weight": MIX["health"], "method": "GET",
             "path": "/ops/health", "expect": 200},
            {"name": "metrics", "weight": MIX["metrics"], "method": "GET",
             "path": "/metrics", "expect": 200},
            {"name": "read", "weight": MIX["read"], "method": "GET",
             "path": f"/api/v1/jobs/{prepared['job_id']}", "expect": 200,
             "headers": headers("viewer")},
            {"name": "write", "weight": MIX["write"], "method": "POST",
             "path": "/api/v1/jobs", "expect": 201, "headers": headers("operator"),
             "body": body},
        ]
    }  # fmt: skip


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], url: str) -> Iterator[int]:
    """Start a server process, wait until its health answers, stop it after."""
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}): {command}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/ops/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer: {command}")
            time.sleep(0.2)
        yield proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(
    name: str, command: list[str], env: dict[str, str], port: int, the_plan: dict[str, Any],
    args: argparse.Namespace, workdir: Path,
) -> dict[str, Any]:  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    plan_file = workdir / f"{name}-plan.json"
    plan_file.write_text(json.dumps(the_plan), encoding="utf-8")
    with serving(command, env, url) as pid:
        # A short warm-up so both servers have imported and connected what they need;
        # it also proves each route answers as the plan expects before any load.
        for kind in the_plan["kinds"]:
            answer = httpx.request(kind["method"], f"{url}{kind['path']}",
                                   headers=kind.get("headers"), json=kind.get("body"),
                                   timeout=30)  # fmt: skip
            if answer.status_code != kind["expect"]:
                raise RuntimeError(f"{name}: {kind['method']} {kind['path']} answered "
                                   f"{answer.status_code}: {answer.text[:300]}")  # fmt: skip
        rss_before, cpu_before = rss_mb(pid), cpu_s(pid)
        spy = None
        if args.py_spy:  # collapsed stacks of the server under load, for profiling
            spy = subprocess.Popen(
                ["py-spy", "record", "--gil", "--nonblocking", "--format", "raw", "--pid", str(pid),
                 "--duration", str(int(args.seconds + args.ramp)),
                 "--output", str(Path(args.py_spy) / f"{name}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        t0 = time.perf_counter()
        generator = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load_client.py"), "--url", url,
             "--plan", str(plan_file), "--clients", str(args.clients),
             "--seconds", str(args.seconds), "--ramp", str(args.ramp),
             "--timeout", str(args.timeout)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        if spy is not None:
            spy.wait()
        result: dict[str, Any] = json.loads(generator.stdout)
        result.update(
            server=name,
            rss_before_mb=round(rss_before, 1),
            rss_after_mb=round(rss_mb(pid), 1),
            server_cpu_share=(cpu_s(pid) - cpu_before) / wall,
            generator_cpu_share=result["cpu_s"] / result["wall_s"],
        )
    return result


def setting(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        redis_url: str | None = None
        if kind == "postgresql":
            redis_url = stack.enter_context(own_redis_database(os.environ["LEVQOR_TEST_REDIS_URL"]))
            pg_url, drop = _pg_database(os.environ["LEVQOR_TEST_DATABASE_URL"])
            stack.callback(drop)
            env = {"DATABASE_URL": pg_url, "PG_ENABLED": "1", "REDIS_URL": redis_url,
                   "NEW_QUEUE_ENABLED": "1"}  # fmt: skip
        home = workdir / kind
        prepared = prepare(home, env)
        base_env = {**os.environ, "PYTHONPATH": str(ROOT), "LEVQOR_LOG_LEVEL": "WARNING"}
        results: dict[str, list[dict[str, Any]]] = {}
        servers = [s for s in ("baseline", "levqor") if s in args.servers.split(",")]
        for _ in range(args.rounds):
            for name in servers:
                port = free_port()
                if name == "baseline":
                    command = [sys.executable, "-m", "uvicorn", "bench.load_baseline:app",
                               "--port", str(port), "--no-access-log", "--log-level",
                               "warning", "--lifespan", "off",
                               "--timeout-keep-alive", str(KEEP_ALIVE_S)]  # fmt: skip
                    server_env = {**base_env, "LOAD_DB_URL": prepared["db"]}
                    if redis_url:
                        server_env["LOAD_REDIS_URL"] = redis_url
                else:
                    command = [sys.executable, "-m", "levqor_desktop.cli.main", "serve",
                               "--port", str(port), "--rate", "1000000",
                               "--burst", "1000000"]  # fmt: skip
                    server_env = {**base_env, **env, "LEVQOR_HOME": str(home),
                                  "LEVQOR_METRICS_PORT": "0"}  # fmt: skip
                result = measure(f"{kind}-{name}", command, server_env, port,
                                 plan(name == "levqor", prepared), args, workdir)  # fmt: skip
                results.setdefault(name, []).append(result)
                print(summary_line(kind, result), file=sys.stderr, flush=True)
        return results


def summary_line(kind: str, r: dict[str, Any]) -> str:
    per_kind = ", ".join(
        f"{k} {v['p50_ms']:.0f}/{v['p99_ms']:.0f} ms ({v['errors']} err)"
        for k, v in r["kinds"].items()
    )
    return (
        f"{r['server']:<22} {r['per_s']:7.0f} req/s  p50 {r['p50_ms']:6.0f} ms  "
        f"p99 {r['p99_ms']:6.0f} ms  errors {r['errors']} {r['error_kinds'] or ''}  "
        f"RSS {r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f} MB  "
        f"CPU server {r['server_cpu_share']:.2f} / generator {r['generator_cpu_share']:.2f} "
        f"cores  [{per_kind}]"
    )


def medians(rounds: list[dict[str, Any]]) -> dict[str, float]:
    return {m: statistics.median(r[m] for r in rounds) for m in MEASURES}


def summarize(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians per server and, with both, levqor / baseline of each median."""
    out: dict[str, Any] = {name: medians(rounds) for name, rounds in results.items()}
    if "baseline" in out and "levqor" in out:
        base, ours = out["baseline"], out["levqor"]
        out["ratio"] = {m: ours[m] / base[m] for m in ("per_s", "p50_ms", "p99_ms", "rss_after_mb")}
        out["ratio_by_round"] = [
            b["per_s"] and o["per_s"] / b["per_s"]
            for b, o in zip(results["baseline"], results["levqor"], strict=False)
        ]
        out["errors_total"] = {n: sum(r["errors"] for r in results[n]) for n in results}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time per server")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--ramp", type=float, default=5.0, help="clients start over this")
    parser.add_argument("--timeout", type=float, default=10.0, help="a slower answer is an error")
    parser.add_argument("--rounds", type=int, default=3, help="baseline/levqor pairs")
    parser.add_argument("--settings", default="sqlite,postgresql")
    parser.add_argument("--servers", default="baseline,levqor", help="which (for profiling)")
    parser.add_argument("--quick", action="store_true", help="100 clients, 5 s, one round")
    parser.add_argument("--smoke", action="store_true", help="SQLite, 20 clients, 1 s, one round")
    parser.add_argument("--py-spy", metavar="DIR", help="profile each server into DIR "
                        "(py-spy, the samples that hold the GIL)")  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds, args.ramp, args.rounds = 100, 5.0, 1.0, 1
    if args.smoke:
        args.clients, args.seconds, args.ramp, args.rounds = 20, 1.0, 0.2, 1
        args.settings = "sqlite"
    out: dict[str, Any] = {"clients": args.clients, "seconds": args.seconds,
                           "rounds": args.rounds, "settings": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.settings.split(","):
            if kind == "postgresql" and not (
                os.environ.get("LEVQOR_TEST_DATABASE_URL")
                and os.environ.get("LEVQOR_TEST_REDIS_URL")
            ):
                print("postgresql: skipped (no LEVQOR_TEST_DATABASE_URL / _REDIS_URL)")
                continue
            results = setting(kind, args, Path(tmp))
            out["settings"][kind] = {"rounds": results, "summary": summarize(results)}
    report(out, as_json=args.json)
    return 0


def report(out: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(out, indent=2))
        return
    print(f"{out['clients']} clients, {out['seconds']:.0f} s per server, "
          f"{out['rounds']} alternating round(s); medians")  # fmt: skip
    for kind, both in out["settings"].items():
        for rounds in both["rounds"].values():
            for r in rounds:
                print(summary_line(kind, r))
        summary = both["summary"]
        for name in ("baseline", "levqor"):
            if name in summary:
                m = summary[name]
                print(f"{kind} {name} (median): {m['per_s']:.0f} req/s, p50 {m['p50_ms']:.0f} ms, "
                      f"p99 {m['p99_ms']:.0f} ms, errors {m['errors']:.0f}, "
                      f"RSS {m['rss_before_mb']:.0f} -> {m['rss_after_mb']:.0f} MB")  # fmt: skip
        if "ratio" in summary:
            ratio, by_round = summary["ratio"], summary["ratio_by_round"]
            print(f"{kind}: levqor / baseline: throughput {ratio['per_s']:.2f}x "
                  f"(rounds {', '.join(f'{x:.2f}' for x in by_round)}), "
                  f"p50 {ratio['p50_ms']:.2f}x, p99 {ratio['p99_ms']:.2f}x, "
                  f"RSS after {ratio['rss_after_mb']:.2f}x; "
                  f"errors {summary['errors_total']}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
