"""The canary's checks: each reads a target's observations and judges them.

A check returns pass, warn, fail or no-data, with the value it measured, the threshold
it compared against and, when it does not pass, what the operator should do. No data
(a deployment without connectors, a keyring that is not configured) is not a failure.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from prometheus_client.parser import text_string_to_metric_families

from levqor_desktop.core.canary.reports import (
    ConnectorsReport,
    HealthReport,
    ProbeReport,
    QueueHealthReport,
    SystemReport,
)
from levqor_desktop.core.canary.targets import CanaryTarget, TargetError


class Status(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    NO_DATA = "no-data"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    value: float | None
    unit: str
    threshold: str
    summary: str
    #: What to do about it; set whenever the status is not pass.
    advice: str | None = None
    #: The value of the last passing run, when the check compares against it.
    baseline: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def with_baseline(self, baseline: float | None) -> CheckResult:
        return replace(self, baseline=baseline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status.value,
            "value": self.value,
            "unit": self.unit,
            "threshold": self.threshold,
            "summary": self.summary,
            "advice": self.advice,
            "baseline": self.baseline,
            "details": self.details,
        }


@dataclass(frozen=True)
class Thresholds:
    db_latency_warn_ms: float = 200.0
    db_latency_fail_ms: float = 1000.0
    probe_latency_warn_ms: float = 500.0
    oldest_queued_warn_s: float = 300.0
    oldest_queued_fail_s: float = 1800.0
    error_window_minutes: int = 15
    error_rate_max_percent: float = 5.0
    disk_warn_percent: float = 10.0
    disk_fail_percent: float = 3.0
    #: A latency this many times the last passing run's is marginal...
    regression_factor: float = 3.0
    #: ...counting baselines below this as this (sub-millisecond noise is not a trend).
    regression_floor_ms: float = 20.0


class Observations:
    """A target's reports for one run, each fetched once and shared by the checks."""

    def __init__(self, target: CanaryTarget, thresholds: Thresholds) -> None:
        self.target = target
        self.thresholds = thresholds

    @functools.cached_property
    def health(self) -> HealthReport | TargetError:
        return _catch(self.target.health)

    @functools.cached_property
    def queue(self) -> QueueHealthReport | TargetError:
        return _catch(lambda: self.target.queue_health(self.thresholds.error_window_minutes))

    @functools.cached_property
    def system(self) -> SystemReport | TargetError:
        return _catch(self.target.system)

    @functools.cached_property
    def probe(self) -> ProbeReport | TargetError:
        return _catch(self.target.db_probe)

    @functools.cached_property
    def metrics(self) -> str | TargetError:
        return _catch(self.target.metrics_text)

    @functools.cached_property
    def connectors(self) -> ConnectorsReport | TargetError:
        return _catch(self.target.connector_checks)


T = TypeVar("T")


def _catch(fn: Callable[[], T]) -> T | TargetError:
    try:
        return fn()
    except TargetError as exc:
        return exc


def _unobserved(name: str, unit: str, threshold: str, exc: TargetError) -> CheckResult:
    """A check whose data could not be fetched: a failure, unless the target lacks it."""
    status = Status.NO_DATA if exc.kind == "missing" else Status.FAIL
    return CheckResult(
        name, status, None, unit, threshold, exc.message, exc.hint or "check the target"
    )


def check_health(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = (
        f"reachable, round trip < {t.db_latency_warn_ms:g} ms (fail ≥ {t.db_latency_fail_ms:g})"
    )
    report = obs.health
    if isinstance(report, TargetError):
        return _unobserved("health", "ms", threshold, report)
    db = report.database
    details = {"version": report.version, "backend": db.backend}
    if not db.reachable or db.latency_ms is None:
        return CheckResult(
            "health", Status.FAIL, None, "ms", threshold,
            f"the database does not answer: {db.error or 'no reply'}",
            "check that the database server runs and DATABASE_URL names it", details=details,
        )
    ms = db.latency_ms
    if ms >= t.db_latency_fail_ms:
        status, advice = Status.FAIL, "the database is far too slow: check its load and network"
    elif ms >= t.db_latency_warn_ms:
        status, advice = Status.WARN, "the database is slow: check its load and network"
    else:
        status, advice = Status.PASS, None
    return CheckResult(
        "health", status, ms, "ms", threshold,
        f"{db.backend} answers in {ms:.1f} ms (version {report.version})", advice, details=details,
    )


def check_queue(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = (
        f"backend reachable, ≥ 1 worker, oldest queued < {t.oldest_queued_warn_s:g} s "
        f"(fail ≥ {t.oldest_queued_fail_s:g})"
    )
    report = obs.queue
    if isinstance(report, TargetError):
        return _unobserved("queue", "s", threshold, report)
    details = {
        "backend": report.backend,
        "depth": report.depth,
        "workers_online": report.workers_online,
    }
    if not report.reachable:
        advice = (
            "start Redis (REDIS_URL) or turn NEW_QUEUE_ENABLED off"
            if report.backend == "rq"
            else "the local queue lives in the database: check the database"
        )
        return CheckResult(
            "queue", Status.FAIL, None, "s", threshold,
            f"the {report.backend} queue is unreachable: {report.error or 'no reply'}",
            advice, details=details,
        )
    age = report.oldest_queued_age_s
    queued = (report.depth or {}).get("queued", 0)
    workers = report.workers_online
    value = age if age is not None else 0.0
    shown = "?" if workers is None else str(workers)
    where = f"{report.backend} queue: {queued} queued, {shown} workers"
    if age is not None and age >= t.oldest_queued_fail_s:
        return CheckResult(
            "queue", Status.FAIL, value, "s", threshold,
            f"{where}; the oldest job has waited {age:.0f} s",
            "start workers (levqor worker) or look for a stuck queue", details=details,
        )
    if workers == 0 and queued > 0:
        return CheckResult(
            "queue", Status.FAIL, value, "s", threshold,
            f"{where}; {queued} jobs wait and no worker is online",
            "start workers (levqor serve, the window, or levqor worker for rq)", details=details,
        )
    if workers == 0:
        return CheckResult(
            "queue", Status.WARN, value, "s", threshold, f"{where}; no worker is online",
            "start workers (levqor serve, the window, or levqor worker for rq)", details=details,
        )
    if age is not None and age >= t.oldest_queued_warn_s:
        return CheckResult(
            "queue", Status.WARN, value, "s", threshold,
            f"{where}; the oldest job has waited {age:.0f} s",
            "add workers or look for slow jobs", details=details,
        )
    if report.depth is None or workers is None:
        return CheckResult(
            "queue", Status.NO_DATA, None, "s", threshold,
            f"the {report.backend} queue answers, but its depth and workers are unknown",
            "wire the jobs service so the queue can report them", details=details,
        )
    return CheckResult("queue", Status.PASS, value, "s", threshold, where, details=details)


def check_metrics(obs: Observations) -> CheckResult:
    threshold = "/metrics parses as Prometheus text and holds levqor_* series"
    text = obs.metrics
    if isinstance(text, TargetError):
        return _unobserved("metrics", "families", threshold, text)
    try:
        names = [family.name for family in text_string_to_metric_families(text)]
    except (ValueError, TypeError, IndexError) as exc:
        return CheckResult(
            "metrics", Status.FAIL, None, "families", threshold,
            f"/metrics does not parse: {exc}", "look at the metrics exporter's log",
        )
    ours = [n for n in names if n.startswith("levqor_")]
    if not ours:
        return CheckResult(
            "metrics", Status.WARN, float(len(names)), "families", threshold,
            f"/metrics parses ({len(names)} families) but holds no levqor_* series",
            "check that the metrics service is wired into this deployment",
        )
    return CheckResult(
        "metrics", Status.PASS, float(len(names)), "families", threshold,
        f"{len(names)} metric families, {len(ours)} of Levqor",
    )


def check_database(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"schema at head, canary row written and read back < {t.probe_latency_warn_ms:g} ms"
    system = obs.system
    if isinstance(system, TargetError):
        return _unobserved("database", "ms", threshold, system)
    state = system.db_schema
    details = {"current": state.current, "heads": state.heads}
    if state.error:
        return CheckResult(
            "database", Status.FAIL, None, "ms", threshold,
            f"cannot read the schema revision: {state.error}", "check the database",
            details=details,
        )
    if not state.at_head:
        unknown = sorted(set(state.current) - set(state.heads))
        summary = (
            f"the schema has revisions this version does not know: {', '.join(unknown)}"
            if unknown
            else f"the schema is at {', '.join(state.current) or '(empty)'}, not at head"
        )
        return CheckResult(
            "database", Status.FAIL, None, "ms", threshold, summary,
            "run levqor db upgrade (or deploy the matching version)", details=details,
        )
    probe = obs.probe
    if isinstance(probe, TargetError):
        return _unobserved("database", "ms", threshold, probe)
    if not probe.ok or probe.latency_ms is None:
        return CheckResult(
            "database", Status.FAIL, None, "ms", threshold,
            f"cannot write and read back a canary row: {probe.error}",
            "check that the database accepts writes (disk full, read-only, maintenance?)",
            details=details,
        )
    ms = probe.latency_ms
    if ms >= t.probe_latency_warn_ms:
        return CheckResult(
            "database", Status.WARN, ms, "ms", threshold,
            f"schema at head; a write and read back took {ms:.1f} ms",
            "writes are slow: check the database's disk and load", details=details,
        )
    return CheckResult(
        "database", Status.PASS, ms, "ms", threshold,
        f"schema at head; a write and read back took {ms:.1f} ms", details=details,
    )


def check_error_rate(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"< {t.error_rate_max_percent:g} % failed over {t.error_window_minutes} min"
    report = obs.queue
    if isinstance(report, TargetError):
        return _unobserved("error_rate", "%", threshold, report)
    recent = report.recent
    if recent is None or recent.finished == 0:
        return CheckResult(
            "error_rate", Status.NO_DATA, None, "%", threshold,
            f"no job finished in the last {t.error_window_minutes} min",
            "nothing to judge yet: run a workflow (or wait for scheduled jobs) and re-run",
        )
    rate = 100.0 * recent.failed / recent.finished
    details = {"failed": recent.failed, "finished": recent.finished}
    summary = f"{recent.failed} of {recent.finished} jobs failed ({rate:.1f} %)"
    if rate >= t.error_rate_max_percent:
        return CheckResult(
            "error_rate", Status.FAIL, rate, "%", threshold, summary,
            "open the Jobs panel, filter failed jobs and read their errors", details=details,
        )
    return CheckResult("error_rate", Status.PASS, rate, "%", threshold, summary, details=details)


def check_connectors(obs: Observations) -> CheckResult:
    threshold = "every configured account's check() succeeds"
    report = obs.connectors
    if isinstance(report, TargetError):
        return _unobserved("connectors", "failing", threshold, report)
    if not report.available or not report.accounts:
        why = "no connector service" if not report.available else "no connector account"
        return CheckResult(
            "connectors", Status.NO_DATA, None, "failing", threshold, f"{why} is configured",
            "add connector accounts in the Connectors panel to have their credentials checked",
        )
    failing = [a for a in report.accounts if not a.ok]
    details = {"accounts": [a.model_dump() for a in report.accounts]}
    if failing:
        names = ", ".join(f"{a.connector}/{a.account} ({a.detail})" for a in failing)
        return CheckResult(
            "connectors", Status.FAIL, float(len(failing)), "failing", threshold,
            f"{len(failing)} of {len(report.accounts)} accounts fail: {names}",
            "renew the credentials in the Connectors panel", details=details,
        )
    return CheckResult(
        "connectors", Status.PASS, 0.0, "failing", threshold,
        f"{len(report.accounts)} accounts answer", details=details,
    )


def check_disk(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"≥ {t.disk_warn_percent:g} % free (fail < {t.disk_fail_percent:g} %)"
    system = obs.system
    if isinstance(system, TargetError):
        return _unobserved("disk", "%", threshold, system)
    disk = system.disk
    if disk is None:
        return CheckResult(
            "disk", Status.NO_DATA, None, "%", threshold, "disk space unknown",
            "check that the data folder exists and is readable",
        )
    summary = f"{disk.free_percent:.1f} % free ({disk.free_bytes / 2**30:.1f} GiB)"
    if disk.free_percent < t.disk_fail_percent:
        status, advice = Status.FAIL, "free space on the data folder's disk now"
    elif disk.free_percent < t.disk_warn_percent:
        status, advice = Status.WARN, "free space on the data folder's disk soon"
    else:
        status, advice = Status.PASS, None
    return CheckResult("disk", status, disk.free_percent, "%", threshold, summary, advice)


def check_keyring(obs: Observations) -> CheckResult:
    threshold = "a probe secret written to the keyring reads back"
    system = obs.system
    if isinstance(system, TargetError):
        return _unobserved("keyring", "ms", threshold, system)
    state = system.keyring
    if state.reachable is None:
        return CheckResult(
            "keyring", Status.NO_DATA, None, "ms", threshold, state.error or "no keyring",
            state.hint or "configure an OS keyring if connectors keep credentials here",
        )
    if not state.reachable:
        return CheckResult(
            "keyring", Status.FAIL, None, "ms", threshold,
            f"the keyring ({state.backend}) fails: {state.error}",
            "unlock the OS keyring, or install and start a Secret Service",
        )
    return CheckResult(
        "keyring", Status.PASS, state.latency_ms, "ms", threshold, f"{state.backend} answers"
    )


Check = Callable[[Observations], CheckResult]

#: The checks in the order they run and are shown.
CHECKS: dict[str, Check] = {
    "health": check_health,
    "queue": check_queue,
    "metrics": check_metrics,
    "database": check_database,
    "error_rate": check_error_rate,
    "connectors": check_connectors,
    "disk": check_disk,
    "keyring": check_keyring,
}
