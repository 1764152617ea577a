"""Checks of what the service stands on: database, connector credentials, disk, keyring."""

from __future__ import annotations

from levqor_desktop.core.canary.observations import Observations, unobserved
from levqor_desktop.core.canary.results import CheckResult, Status
from levqor_desktop.core.canary.targets import TargetError


def check_database(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"schema at head, canary row written and read back < {t.probe_latency_warn_ms:g} ms"
    system = obs.system
    if isinstance(system, TargetError):
        return unobserved("database", "ms", threshold, system)
    state = system.db_schema
    details = {"current": state.current, "heads": state.heads}
    if state.error:
        return CheckResult(
            "database",
            Status.FAIL,
            None,
            "ms",
            threshold,
            f"cannot read the schema revision: {state.error}",
            "check the database",
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
            "database",
            Status.FAIL,
            None,
            "ms",
            threshold,
            summary,
            "run levqor db upgrade (or deploy the matching version)",
            details=details,
        )
    probe = obs.probe
    if isinstance(probe, TargetError):
        return unobserved("database", "ms", threshold, probe)
    if not probe.ok or probe.latency_ms is None:
        return CheckResult(
            "database",
            Status.FAIL,
            None,
            "ms",
            threshold,
            f"cannot write and read back a canary row: {probe.error}",
            "check that the database accepts writes (disk full, read-only, maintenance?)",
            details=details,
        )
    ms = probe.latency_ms
    if ms >= t.probe_latency_warn_ms:
        return CheckResult(
            "database",
            Status.WARN,
            ms,
            "ms",
            threshold,
            f"schema at head; a write and read back took {ms:.1f} ms",
            "writes are slow: check the database's disk and load",
            details=details,
        )
    return CheckResult(
        "database",
        Status.PASS,
        ms,
        "ms",
        threshold,
        f"schema at head; a write and read back took {ms:.1f} ms",
        details=details,
    )


def check_connectors(obs: Observations) -> CheckResult:
    threshold = "every configured account's check() succeeds"
    report = obs.connectors
    if isinstance(report, TargetError):
        return unobserved("connectors", "failing", threshold, report)
    if not report.available or not report.accounts:
        why = "no connector service" if not report.available else "no connector account"
        return CheckResult(
            "connectors",
            Status.NO_DATA,
            None,
            "failing",
            threshold,
            f"{why} is configured",
            "add connector accounts in the Connectors panel to have their credentials checked",
        )
    failing = [a for a in report.accounts if not a.ok]
    details = {"accounts": [a.model_dump() for a in report.accounts]}
    if failing:
        names = ", ".join(f"{a.connector}/{a.account} ({a.detail})" for a in failing)
        return CheckResult(
            "connectors",
            Status.FAIL,
            float(len(failing)),
            "failing",
            threshold,
            f"{len(failing)} of {len(report.accounts)} accounts fail: {names}",
            "renew the credentials in the Connectors panel",
            details=details,
        )
    return CheckResult(
        "connectors",
        Status.PASS,
        0.0,
        "failing",
        threshold,
        f"{len(report.accounts)} accounts answer",
        details=details,
    )


def check_disk(obs: Observations) -> CheckResult:
    t = obs.thresholds
    threshold = f"≥ {t.disk_warn_percent:g} % free (fail < {t.disk_fail_percent:g} %)"
    system = obs.system
    if isinstance(system, TargetError):
        return unobserved("disk", "%", threshold, system)
    disk = system.disk
    if disk is None:
        return CheckResult(
            "disk",
            Status.NO_DATA,
            None,
            "%",
            threshold,
            "disk space unknown",
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
        return unobserved("keyring", "ms", threshold, system)
    state = system.keyring
    if state.reachable is None:
        return CheckResult(
            "keyring",
            Status.NO_DATA,
            None,
            "ms",
            threshold,
            state.error or "no keyring",
            state.hint or "configure an OS keyring if connectors keep credentials here",
        )
    if not state.reachable:
        return CheckResult(
            "keyring",
            Status.FAIL,
            None,
            "ms",
            threshold,
            f"the keyring ({state.backend}) fails: {state.error}",
            "unlock the OS keyring, or install and start a Secret Service",
        )
    return CheckResult(
        "keyring", Status.PASS, state.latency_ms, "ms", threshold, f"{state.backend} answers"
    )
