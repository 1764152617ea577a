"""Usage metering at scale: 1,000,000 events across 1,000 users and 100 organizations.

Measures, on SQLite and PostgreSQL, against baselines from the same run:
  * a user's month-to-date (rollups) vs the same sums from the raw events;
  * an organization's top-10 users (rollups) vs the same ranking from the raw events;
  * recording one event with its rollup (one transaction each) vs a plain event insert
    without rollup; and recording in batches of 500.

    .venv/bin/python bench/usage.py [--events N] [--backend sqlite|postgresql|both]

PostgreSQL uses LEVQOR_TEST_DATABASE_URL (a scratch database is created and dropped).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text

from levqor_desktop.core import schema
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Metric, Period, UsageEvent
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import NewEvent, UsageService
from levqor_desktop.core.usage.periods import period_start

METRICS = [m.value for m in Metric]
CONNECTORS = ["slack", "smtp", "ai", "github", "stripe"]
DAYS = 90
THREADS = 4


# -- databases ------------------------------------------------------------------------


@contextmanager
def sqlite_db() -> Iterator[Database]:
    with tempfile.TemporaryDirectory(prefix="levqor-bench-") as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def postgres_db() -> Iterator[Database]:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = os.environ.get(
        "LEVQOR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    url = make_url(admin).set(drivername="postgresql")
    name = f"levqor_bench_{uuid.uuid4().hex[:8]}"
    admin_text = url.render_as_string(hide_password=False)
    with psycopg.connect(admin_text, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = Database(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield db
    finally:
        db.dispose()
        with psycopg.connect(admin_text, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- data -----------------------------------------------------------------------------


def load(db: Database, events: int, users: int, orgs: int, now: dt.datetime) -> float:
    """Organizations, users (each in one org), events and their rollups; returns seconds."""
    rng = random.Random(7)
    started = time.perf_counter()
    created = now - dt.timedelta(days=DAYS)
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO organizations (id, slug, name, created_at) VALUES (:i, :s, :n, :c)"),
            [{"i": o, "s": f"org-{o}", "n": f"Org {o}", "c": created} for o in range(1, orgs + 1)],
        )
        conn.execute(
            text(
                "INSERT INTO users (id, email_sha256, display_name, created_at)"
                " VALUES (:i, :e, :n, :c)"
            ),
            [
                {"i": u, "e": f"{u:064x}", "n": f"User {u}", "c": created}
                for u in range(1, users + 1)
            ],
        )
        conn.execute(
            text(
                "INSERT INTO memberships (org_id, user_id, role, created_at)"
                " VALUES (:o, :u, 'operator', :c)"
            ),
            [{"o": (u - 1) % orgs + 1, "u": u, "c": created} for u in range(1, users + 1)],
        )
    rows = []
    rollups: Counter[tuple[int, str, dt.date, int]] = Counter()
    start_s = (now - dt.timedelta(days=DAYS)).timestamp()
    span = DAYS * 86400
    for i in range(events):
        user = rng.randint(1, users)
        org = (user - 1) % orgs + 1
        metric = METRICS[i % 5]
        amount = rng.randint(1, 2000) if metric.startswith("ai") or metric == "cost_usd" else 1
        at = dt.datetime.fromtimestamp(start_s + rng.random() * span, dt.UTC)
        rows.append((org, user, metric, amount, CONNECTORS[i % 5], f"wf-{i % 20}", at, f"b{i}"))
        rollups[(org, metric, at.date(), user)] += amount
    if db.is_sqlite:
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO usage_events (org_id, user_id, metric, amount, connector, workflow,"
                " occurred_at, idempotency_key) VALUES (?,?,?,?,?,?,?,?)",
                [(*r[:6], r[6].strftime("%Y-%m-%d %H:%M:%S.%f"), r[7]) for r in rows],
            )
            cur.executemany(
                "INSERT INTO usage_rollups (org_id, metric, day, user_id, amount)"
                " VALUES (?,?,?,?,?)",
                [(o, m, d.isoformat(), u, a) for (o, m, d, u), a in rollups.items()],
            )
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        finally:
            raw.close()
    else:
        raw = db.engine.raw_connection()
        try:
            pg = raw.driver_connection
            with pg.cursor() as cur:  # type: ignore[union-attr]
                with cur.copy(
                    "COPY usage_events (org_id, user_id, metric, amount, connector, workflow,"
                    " occurred_at, idempotency_key) FROM STDIN"
                ) as copy:
                    for r in rows:
                        copy.write_row(r)
                with cur.copy(
                    "COPY usage_rollups (org_id, metric, day, user_id, amount) FROM STDIN"
                ) as copy:
                    for (o, m, d, u), a in rollups.items():
                        copy.write_row((o, m, d, u, a))
                for table in ("organizations", "users", "usage_events"):
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
            pg.commit()  # type: ignore[union-attr]
            pg.autocommit = True  # type: ignore[union-attr]
            pg.execute("VACUUM ANALYZE")  # type: ignore[union-attr]
            pg.autocommit = False  # type: ignore[union-attr]
        finally:
            raw.close()
    return time.perf_counter() - started


# -- timing ---------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    fn()  # warm the caches and the statement cache
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def raw_month_to_date(db: Database, org: int, user: int, since: dt.datetime) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(UsageEvent.metric, func.sum(UsageEvent.amount))
            .where(
                UsageEvent.org_id == org,
                UsageEvent.user_id == user,
                UsageEvent.occurred_at >= since,
            )
            .group_by(UsageEvent.metric)
        )
        return {str(m): int(a) for m, a in rows}


def raw_top_users(db: Database, org: int, since: dt.datetime) -> list[tuple[int, int]]:
    with db.session() as session:
        total = func.sum(UsageEvent.amount).label("t")
        rows = session.execute(
            select(UsageEvent.user_id, total)
            .where(
                UsageEvent.org_id == org,
                UsageEvent.metric == Metric.CONNECTOR_CALLS,
                UsageEvent.occurred_at >= since,
            )
            .group_by(UsageEvent.user_id)
            .order_by(total.desc(), UsageEvent.user_id)
            .limit(10)
        )
        return [(int(u), int(t)) for u, t in rows]


def plain_insert(db: Database, event: NewEvent) -> None:
    """The baseline for recording: the same event insert on the same driver path, one
    transaction each, without the rollup."""
    mark = "?" if db.is_sqlite else "%s"
    sql = (
        "INSERT INTO usage_events (org_id, user_id, metric, amount, connector, occurred_at,"
        f" idempotency_key) VALUES ({', '.join([mark] * 7)}) ON CONFLICT DO NOTHING RETURNING id"
    )
    at = event.occurred_at
    when = at.strftime("%Y-%m-%d %H:%M:%S.%f") if db.is_sqlite else at
    values = (
        event.org_id,
        event.user_id,
        event.metric.value,
        1,
        "slack",
        when,
        event.idempotency_key,
    )
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.is_sqlite:
            cur.execute("BEGIN IMMEDIATE")
        cur.execute(sql, values)
        cur.fetchone()
        if db.is_sqlite:
            cur.execute("COMMIT")
        else:
            raw.commit()
        cur.close()
    finally:
        raw.close()


def bench(db: Database, args: argparse.Namespace) -> dict[str, float]:
    schema.upgrade(db)
    now = dt.datetime.now(dt.UTC)
    usage = UsageService(db, clock=lambda: now)
    result: dict[str, float] = {"load_s": load(db, args.events, args.users, args.orgs, now)}
    rng = random.Random(11)
    month = period_start(Period.MONTH, now)
    since = dt.datetime(month.year, month.month, month.day, tzinfo=dt.UTC)

    def some_user() -> tuple[int, int]:
        user = rng.randint(1, args.users)
        return (user - 1) % args.orgs + 1, user

    org, user = some_user()
    fast = usage.month_to_date(org, user)
    slow = raw_month_to_date(db, org, user, since)
    assert {k.value: v for k, v in fast.items() if v} == slow, (fast, slow)
    actor = Actor(org, user, Role.VIEWER, "bench")
    top = [(int(t.key), t.amount) for t in usage.top_users(actor, Metric.CONNECTOR_CALLS)]
    assert top == raw_top_users(db, org, since), "top-10 from rollups differs from raw events"

    result["mtd_ms"], result["mtd_p95_ms"] = timed(
        lambda: usage.month_to_date(*some_user()), args.runs
    )
    result["mtd_raw_ms"], _ = timed(lambda: raw_month_to_date(db, *some_user(), since), args.runs)

    def top10() -> object:
        o = rng.randint(1, args.orgs)
        return usage.top_users(Actor(o, 1, Role.VIEWER, "bench"), Metric.CONNECTOR_CALLS)

    result["top_ms"], result["top_p95_ms"] = timed(top10, args.runs)
    result["top_raw_ms"], _ = timed(
        lambda: raw_top_users(db, rng.randint(1, args.orgs), since), args.runs
    )

    def events(n: int, prefix: str) -> list[NewEvent]:
        out = []
        for i in range(n):
            o, u = some_user()
            out.append(NewEvent(o, u, Metric.CONNECTOR_CALLS, 1, now, f"{prefix}{i}", "slack"))
        return out

    # Writes: the baseline and the real path alternate in rounds, so both see the same
    # load on a shared machine; the medians of the per-round rates are reported.
    rounds, n = 5, args.writes // 5
    plain_rates, record_rates = [], []
    for r in range(rounds):
        base = events(n, f"plain-{r}-")
        start = time.perf_counter()
        for event in base:
            plain_insert(db, event)
        plain_rates.append(n / (time.perf_counter() - start))
        singles = [
            (Actor(e.org_id, e.user_id, Role.OPERATOR, "b"), e) for e in events(n, f"one-{r}-")
        ]
        start = time.perf_counter()
        for who, event in singles:
            usage.record(
                who, event.metric, 1, connector="slack", idempotency_key=event.idempotency_key
            )
        record_rates.append(n / (time.perf_counter() - start))
    result["plain_per_s"] = statistics.median(plain_rates)
    result["record_per_s"] = statistics.median(record_rates)

    threaded = [
        (Actor(e.org_id, e.user_id, Role.OPERATOR, "b"), e) for e in events(args.writes, "t-")
    ]

    def record_slice(part: list[tuple[Actor, NewEvent]]) -> None:
        for who, event in part:
            usage.record(
                who, event.metric, 1, connector="slack", idempotency_key=event.idempotency_key
            )

    start = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(record_slice, [threaded[i::THREADS] for i in range(THREADS)]))
    result["threads_per_s"] = len(threaded) / (time.perf_counter() - start)

    batch = events(args.writes * 4, "batch-")
    start = time.perf_counter()
    for i in range(0, len(batch), 500):
        usage.record_events(batch[i : i + 500])
    result["batch_per_s"] = len(batch) / (time.perf_counter() - start)
    with db.session() as session:
        result["events"] = float(session.scalar(select(func.count()).select_from(UsageEvent)) or 0)
    return result


def report(name: str, r: dict[str, float]) -> str:
    cells = [
        name,
        f"{int(r['events']):,}",
        f"{r['load_s']:.1f} s",
        f"{r['mtd_ms']:.2f} ms (p95 {r['mtd_p95_ms']:.2f})",
        f"{r['mtd_raw_ms']:.2f} ms",
        f"{r['mtd_raw_ms'] / r['mtd_ms']:.1f}x",
        f"{r['top_ms']:.2f} ms (p95 {r['top_p95_ms']:.2f})",
        f"{r['top_raw_ms']:.2f} ms",
        f"{r['top_raw_ms'] / r['top_ms']:.1f}x",
        f"{r['record_per_s']:,.0f}/s",
        f"{r['plain_per_s']:,.0f}/s",
        f"{r['record_per_s'] / r['plain_per_s']:.2f}",
        f"{r['threads_per_s']:,.0f}/s",
        f"{r['batch_per_s']:,.0f}/s",
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = (
    "| backend | events | bulk load | user month-to-date (rollups) | same from raw events "
    "| speed-up | org top-10 users (rollups) | same from raw events | speed-up "
    "| record event + rollup | plain insert (baseline) | ratio "
    f"| record, {THREADS} threads | record, batches of 500 |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--runs", type=int, default=200, help="timed repetitions per query")
    parser.add_argument("--writes", type=int, default=5000, help="events recorded one by one")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    lines = [HEADER]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for name in backends:
        with sqlite_db() if name == "sqlite" else postgres_db() as db:
            result = bench(db, args)
        print(f"{name}: {result}", file=sys.stderr)
        lines.append(report(name, result))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
