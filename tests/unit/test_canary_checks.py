"""Each check on made-up observations: pass, warn, fail and no-data; the verdict; baselines."""

from __future__ import annotations

import datetime as dt

import pytest

from levqor_desktop.core.canary.checks import CHECKS, Observations
from levqor_desktop.core.canary.reports import (
    ConnectorCheck,
    ConnectorsReport,
    DatabaseHealth,
    DiskState,
    HealthReport,
    KeyringState,
    ProbeReport,
    QueueHealthReport,
    RecentOutcomes,
    SchemaState,
    SystemReport,
)
from levqor_desktop.core.canary.results import Status, Thresholds
from levqor_desktop.core.canary.runner import CanaryRunner
from levqor_desktop.core.canary.targets import TargetError
from levqor_desktop.core.canary.verdict import Verdict, verdict_of

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


class FakeTarget:
    """A target whose reports the test sets field by field."""

    key = "fake"
    label = "fake"

    def __init__(self) -> None:
        self.db_ms: float | None = 2.0
        self.queue = QueueHealthReport(
            backend="local", reachable=True, depth={"queued": 0, "running": 0},
            workers_online=2, oldest_queued_age_s=None,
            recent=RecentOutcomes(window_minutes=15, finished=100, failed=1),
        )  # fmt: skip
        self.metrics = "# TYPE levqor_workers gauge\nlevqor_workers 2.0\n"
        self.schema = SchemaState(current=["a", "b"], heads=["b", "a"], at_head=True)
        self.disk: DiskState | None = DiskState(
            free_bytes=50 * 2**30, total_bytes=100 * 2**30, free_percent=50.0
        )
        self.keyring = KeyringState(reachable=True, backend="memory", latency_ms=0.1)
        self.probe = ProbeReport(ok=True, latency_ms=3.0)
        self.connectors = ConnectorsReport(available=False, accounts=[])
        self.missing: set[str] = set()

    def _maybe(self, name: str) -> None:
        if name in self.missing:
            raise TargetError(f"{name} is not offered", kind="missing")

    def health(self) -> HealthReport:
        self._maybe("health")
        db = DatabaseHealth(
            backend="sqlite", reachable=self.db_ms is not None, latency_ms=self.db_ms,
            error=None if self.db_ms is not None else "unable to open database file",
        )  # fmt: skip
        return HealthReport(status="ok", version="0.1.0", time=NOW, database=db)

    def queue_health(self, window_minutes: int) -> QueueHealthReport:
        self._maybe("queue")
        return self.queue

    def metrics_text(self) -> str:
        self._maybe("metrics")
        return self.metrics

    def system(self) -> SystemReport:
        self._maybe("system")
        return SystemReport(db_schema=self.schema, disk=self.disk, keyring=self.keyring)

    def db_probe(self) -> ProbeReport:
        return self.probe

    def connector_checks(self) -> ConnectorsReport:
        self._maybe("connectors")
        return self.connectors


def run(target: FakeTarget, name: str, **limits: float) -> tuple[Status, str | None]:
    result = CHECKS[name](Observations(target, Thresholds(**limits)))  # type: ignore[arg-type]
    if result.status is not Status.PASS:
        assert result.advice, f"{name} {result.status} without advice"
    return result.status, result.summary


def test_all_pass_on_a_healthy_target() -> None:
    target = FakeTarget()
    statuses = {name: run(target, name)[0] for name in CHECKS}
    assert statuses.pop("connectors") is Status.NO_DATA
    assert set(statuses.values()) == {Status.PASS}


@pytest.mark.parametrize(
    ("ms", "expected"), [(10.0, Status.PASS), (250.0, Status.WARN), (1500.0, Status.FAIL)]
)
def test_health_latency_thresholds(ms: float, expected: Status) -> None:
    target = FakeTarget()
    target.db_ms = ms
    assert run(target, "health")[0] is expected


def test_health_fails_when_the_database_does_not_answer() -> None:
    target = FakeTarget()
    target.db_ms = None
    status, summary = run(target, "health")
    assert status is Status.FAIL and "unable to open database file" in (summary or "")


def test_queue_unreachable_stuck_and_without_workers() -> None:
    target = FakeTarget()
    target.queue = target.queue.model_copy(update={"reachable": False, "backend": "rq"})
    assert run(target, "queue")[0] is Status.FAIL
    target = FakeTarget()
    target.queue = target.queue.model_copy(update={"oldest_queued_age_s": 400.0})
    assert run(target, "queue")[0] is Status.WARN
    target.queue = target.queue.model_copy(update={"oldest_queued_age_s": 4000.0})
    assert run(target, "queue")[0] is Status.FAIL
    target = FakeTarget()
    target.queue = target.queue.model_copy(update={"workers_online": 0})
    assert run(target, "queue")[0] is Status.WARN
    target.queue = target.queue.model_copy(update={"depth": {"queued": 3, "running": 0}})
    assert run(target, "queue")[0] is Status.FAIL


def test_metrics_must_parse_and_hold_levqor_series() -> None:
    target = FakeTarget()
    target.metrics = "# TYPE other gauge\nother 1\n"
    assert run(target, "metrics")[0] is Status.WARN
    target.metrics = "levqor_workers{broken 1\n"
    assert run(target, "metrics")[0] is Status.FAIL


def test_database_schema_and_probe() -> None:
    target = FakeTarget()
    target.schema = SchemaState(current=["a"], heads=["a", "b"], at_head=False)
    assert run(target, "database")[0] is Status.FAIL
    target = FakeTarget()
    target.probe = ProbeReport(ok=False, latency_ms=None, error="readonly database")
    status, summary = run(target, "database")
    assert status is Status.FAIL and "readonly database" in (summary or "")
    target.probe = ProbeReport(ok=True, latency_ms=900.0)
    assert run(target, "database")[0] is Status.WARN


def test_error_rate_threshold_and_no_data() -> None:
    target = FakeTarget()
    recent = RecentOutcomes(window_minutes=15, finished=20, failed=1)  # 5 %
    target.queue = target.queue.model_copy(update={"recent": recent})
    assert run(target, "error_rate")[0] is Status.FAIL
    assert run(target, "error_rate", error_rate_max_percent=10.0)[0] is Status.PASS
    target.queue = target.queue.model_copy(
        update={"recent": RecentOutcomes(window_minutes=15, finished=0, failed=0)}
    )
    assert run(target, "error_rate")[0] is Status.NO_DATA


def test_connectors_disk_keyring() -> None:
    target = FakeTarget()
    target.connectors = ConnectorsReport(
        available=True,
        accounts=[
            ConnectorCheck(connector="slack", account="default", ok=True, detail="ok"),
            ConnectorCheck(connector="smtp", account="ops", ok=False, detail="535 auth failed"),
        ],
    )
    status, summary = run(target, "connectors")
    assert status is Status.FAIL and "smtp/ops" in (summary or "")
    target.disk = DiskState(free_bytes=1, total_bytes=100, free_percent=5.0)
    assert run(target, "disk")[0] is Status.WARN
    target.disk = DiskState(free_bytes=1, total_bytes=100, free_percent=1.0)
    assert run(target, "disk")[0] is Status.FAIL
    target.keyring = KeyringState(reachable=False, backend="SecretService", error="locked")
    assert run(target, "keyring")[0] is Status.FAIL
    target.keyring = KeyringState(reachable=None, error="no keyring")
    assert run(target, "keyring")[0] is Status.NO_DATA


def test_missing_endpoint_is_no_data_but_unreachable_is_failure() -> None:
    target = FakeTarget()
    target.missing = {"connectors"}
    assert run(target, "connectors")[0] is Status.NO_DATA


def test_verdict_and_exit_codes() -> None:
    runner = CanaryRunner(None)
    target = FakeTarget()
    assert runner.run(target, org_id=None).verdict is Verdict.PASS
    target.disk = DiskState(free_bytes=1, total_bytes=100, free_percent=5.0)
    assert runner.run(target, org_id=None).verdict is Verdict.MARGINAL
    target.db_ms = None
    report = runner.run(target, org_id=None)
    assert report.verdict is Verdict.FAIL
    assert [v.exit_code for v in Verdict] == [0, 3, 1]
    assert verdict_of([]) is Verdict.PASS


def test_a_crashing_check_fails_alone() -> None:
    def broken(_obs: Observations) -> object:
        raise KeyError("boom")

    runner = CanaryRunner(None, checks={"health": CHECKS["health"], "broken": broken})  # type: ignore[dict-item]
    report = runner.run(FakeTarget(), org_id=None)
    assert [r.status for r in report.results] == [Status.PASS, Status.FAIL]
    assert "KeyError" in report.results[1].summary
