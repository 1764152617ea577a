"""Checks of the running service: health, queue, metrics, error rate."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from levqor_desktop.core.canary.observations import Observations, unobserved
from levqor_desktop.core.canary.results import CheckResult, Status
from levqor_desktop.core.canary.targets import TargetError


def check_health(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = (
        f"reachable, round trip < {t.db_latency_warn_ms:g} ms (fail ≥ {t.db_latency_fail_ms:g})"
    )
    report = obs.health
    if isinstance(report, TargetError):
        return unobserved("health", "ms", threshold, report)
    db = report.database
    details = {"version": report.version, "backend": db.backend}
    if not db.reachable or db.latency_ms is None:
        return CheckResult(
            "health",
            Status.FAIL,
            None,
            "ms",
            threshold,
            f"the database does not answer: {db.error or 'no reply'}",
            "check that the database server runs and DATABASE_URL names it",
            details=details,
        )
    ms = db.latency_ms
    if ms >= t.db_latency_fail_ms:
        status, advice = Status.FAIL, "the database is far too slow: check its load and network"
    elif ms >= t.db_latency_warn_ms:
        status, advice = Status.WARN, "the database is slow: check its load and network"
    else:
        status, advice = Status.PASS, None
    return CheckResult(
        "health",
        status,
        ms,
        "ms",
        threshold,
        f"{db.backend} answers in {ms:.1f} ms (version {report.version})",
        advice,
        details=details,
    )


def check_queue(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = (
        f"backend reachable, ≥ 1 worker, oldest queued < {t.oldest_queued_warn_s:g} s "
        f"(fail ≥ {t.oldest_queued_fail_s:g})"
    )
    report = obs.queue
    if isinstance(report, TargetError):
        return unobserved("queue", "s", threshold, report)
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
            "queue",
            Status.FAIL,
            None,
            "s",
            threshold,
            f"the {report.backend} queue is unreachable: {report.error or 'no reply'}",
            advice,
            details=details,
        )
    age = report.oldest_queued_age_s
    queued = (report.depth or {}).get("queued", 0)
    workers = report.workers_online
    value = age if age is not None else 0.0
    shown = "?" if workers is None else str(workers)
    where = f"{report.backend} queue: {queued} queued, {shown} workers"
    if age is not None and age >= t.oldest_queued_fail_s:
        return CheckResult(
            "queue",
            Status.FAIL,
            value,
            "s",
            threshold,
            f"{where}; the oldest job has waited {age:.0f} s",
            "start workers (levqor worker) or look for a stuck queue",
            details=details,
        )
    if workers == 0 and queued > 0:
        return CheckResult(
            "queue",
            Status.FAIL,
            value,
            "s",
            threshold,
            f"{where}; {queued} jobs wait and no worker is online",
            "start workers (levqor serve, the window, or levqor worker for rq)",
            details=details,
        )
    if workers == 0:
        return CheckResult(
            "queue",
            Status.WARN,
            value,
            "s",
            threshold,
            f"{where}; no worker is online",
            "start workers (levqor serve, the window, or levqor worker for rq)",
            details=details,
        )
    if age is not None and age >= t.oldest_queued_warn_s:
        return CheckResult(
            "queue",
            Status.WARN,
            value,
            "s",
            threshold,
            f"{where}; the oldest job has waited {age:.0f} s",
            "add workers or look for slow jobs",
            details=details,
        )
    if report.depth is None or workers is None:
        return CheckResult(
            "queue",
            Status.NO_DATA,
            None,
            "s",
            threshold,
            f"the {report.backend} queue answers, but its depth and workers are unknown",
            "wire the jobs service so the queue can report them",
            details=details,
        )
    return CheckResult("queue", Status.PASS, value, "s", threshold, where, details=details)


def check_metrics(obs: Observations) -> CheckResult:
    threshold = "/metrics parses as Prometheus text and holds levqor_* series"
    text = obs.metrics
    if isinstance(text, TargetError):
        return unobserved("metrics", "families", threshold, text)
    try:
        names = [family.name for family in text_string_to_metric_families(text)]
    except (ValueError, TypeError, IndexError) as exc:
        return CheckResult(
            "metrics",
            Status.FAIL,
            None,
            "families",
            threshold,
            f"/metrics does not parse: {exc}",
            "look at the metrics exporter's log",
        )
    ours = [n for n in names if n.startswith("levqor_")]
    if not ours:
        return CheckResult(
            "metrics",
            Status.WARN,
            float(len(names)),
            "families",
            threshold,
            f"/metrics parses ({len(names)} families) but holds no levqor_* series",
            "check that the metrics service is wired into this deployment",
        )
    return CheckResult(
        "metrics",
        Status.PASS,
        float(len(names)),
        "families",
        threshold,
        f"{len(names)} metric families, {len(ours)} of Levqor",
    )


def check_error_rate(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"< {t.error_rate_max_percent:g} % failed over {t.error_window_minutes} min"
    report = obs.queue
    if isinstance(report, TargetError):
        return unobserved("error_rate", "%", threshold, report)
    recent = report.recent
    if recent is None or recent.finished == 0:
        return CheckResult(
            "error_rate",
            Status.NO_DATA,
            None,
            "%",
            threshold,
            f"no job finished in the last {t.error_window_minutes} min",
            "nothing to judge yet: run a workflow (or wait for scheduled jobs) and re-run",
        )
    rate = 100.0 * recent.failed / recent.finished
    details = {"failed": recent.failed, "finished": recent.finished}
    summary = f"{recent.failed} of {recent.finished} jobs failed ({rate:.1f} %)"
    if rate >= t.error_rate_max_percent:
        return CheckResult(
            "error_rate",
            Status.FAIL,
            rate,
            "%",
            threshold,
            summary,
            "open the Jobs panel, filter failed jobs and read their errors",
            details=details,
        )
    return CheckResult("error_rate", Status.PASS, rate, "%", threshold, summary, details=details)
