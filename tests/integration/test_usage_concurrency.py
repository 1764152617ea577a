"""Concurrent workers against a hard limit, and concurrent writers against the rollups,
on SQLite and PostgreSQL; two processes on PostgreSQL."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from levqor_desktop.app import App
from levqor_desktop.core.models.usage import Metric, Period, UsageEvent, UsageRollup
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import NewEvent, UsageLimitExceeded
from levqor_desktop.errors import LimitExceeded

THREADS = 16
LIMIT = 20
ATTEMPTS_PER_THREAD = 3  # 48 attempts against a limit of 20


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest) -> App:
    app: App = request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")
    return app


def _call_until_refused(app: App, actor: Actor, barrier: threading.Barrier) -> tuple[int, int]:
    barrier.wait()
    ok = refused = 0
    for _ in range(ATTEMPTS_PER_THREAD):
        try:
            reservation = app.usage.reserve(actor, Metric.CONNECTOR_CALLS, 1)
        except UsageLimitExceeded:
            refused += 1
            continue
        app.usage.commit(reservation, connector="slack")
        ok += 1
    return ok, refused


def test_sixteen_threads_never_overshoot_a_hard_limit(any_app: App) -> None:
    actor = any_app.actor
    assert actor is not None
    any_app.usage.limits.set(actor, Metric.CONNECTOR_CALLS, Period.DAY, LIMIT)
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(
            pool.map(lambda _: _call_until_refused(any_app, actor, barrier), range(THREADS))
        )
    assert sum(ok for ok, _ in results) == LIMIT
    assert sum(refused for _, refused in results) == THREADS * ATTEMPTS_PER_THREAD - LIMIT
    assert any_app.usage.totals(actor, Period.DAY)[Metric.CONNECTOR_CALLS] == LIMIT
    with pytest.raises(LimitExceeded, match="20 connector calls per day"):
        any_app.usage.check_enqueue(actor)


def test_concurrent_writers_keep_rollups_equal_to_a_recount(any_app: App) -> None:
    actor = any_app.actor
    assert actor is not None
    now = any_app.usage.now()

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(6):
            events = [
                NewEvent(
                    actor.org_id,
                    actor.user_id,
                    rng.choice(list(Metric)),
                    rng.randint(0, 50),
                    now,
                    f"k{rng.randint(0, 60)}",  # shared keys: each counts once overall
                )
                for _ in range(rng.randint(1, 5))
            ]
            if rng.random() < 0.5:
                any_app.usage.record_events(events)
            else:
                for event in events:
                    any_app.usage.record_events([event])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    with any_app.db.session() as session:
        events = session.execute(select(UsageEvent.metric, UsageEvent.amount)).all()
        rollups = session.execute(select(UsageRollup.metric, UsageRollup.amount)).all()
    recount: Counter[str] = Counter()
    for metric, amount in events:
        recount[str(metric)] += amount
    stored: Counter[str] = Counter()
    for metric, amount in rollups:
        stored[str(metric)] += amount
    assert +stored == +recount
    assert len(events) <= 61  # keys k0..k60, each stored once


WORKER = """
import json, sys
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import UsageLimitExceeded, UsageService

url, org, user, attempts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
usage = UsageService(Database(url))
actor = Actor(org, user, Role.OPERATOR, "worker")
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # start together
ok = 0
for _ in range(attempts):
    try:
        r = usage.reserve(actor, Metric.CONNECTOR_CALLS, 1)
    except UsageLimitExceeded:
        continue
    usage.commit(r, connector="proc")
    ok += 1
print(json.dumps({"ok": ok}))
"""


@pytest.mark.postgres
def test_two_processes_never_overshoot_a_hard_limit(pg_app: App, tmp_path: Path) -> None:
    actor = pg_app.actor
    assert actor is not None
    pg_app.usage.limits.set(actor, Metric.CONNECTOR_CALLS, Period.DAY, 25)
    url = pg_app.db.url.render_as_string(hide_password=False)
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(actor.org_id), str(actor.user_id), "20"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outputs = [proc.communicate(timeout=120)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    oks = [json.loads(out.strip().splitlines()[-1])["ok"] for out in outputs]
    assert sum(oks) == 25
    assert pg_app.usage.totals(actor, Period.DAY)[Metric.CONNECTOR_CALLS] == 25


def test_two_owners_demoting_each_other_at_once_leave_one_owner(any_app: App) -> None:
    from levqor_desktop.core.flags import FlagName
    from levqor_desktop.core.models import Role
    from levqor_desktop.errors import ValidationError

    any_app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    owner = any_app.actor
    assert owner is not None
    any_app.orgs.add_member(owner, "ann@example.com", "Ann", Role.OWNER)
    ann = any_app.orgs.actor_for("ann@example.com")
    barrier = threading.Barrier(2)

    def demote(who: Actor, other: int) -> str:
        barrier.wait()
        try:
            any_app.orgs.set_role(who, other, Role.ADMIN)
        except ValidationError:
            return "refused"
        return "done"

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(demote, owner, ann.user_id)
        second = pool.submit(demote, ann, owner.user_id)
        outcomes = sorted([first.result(), second.result()])
    assert outcomes == ["done", "refused"]
    roles = [m.role for m in any_app.orgs.members(owner)]
    assert roles.count(Role.OWNER) == 1
