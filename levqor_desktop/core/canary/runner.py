"""Run the checks against a target, one after the other, and record the run.

Each result is handed to ``on_check`` as soon as it is known (the window fills its
table live from that); the run is compared with the last passing run against the same
target and stored with its results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy.exc import DBAPIError

from levqor_desktop.core.canary.checks import CHECKS, Check, Observations
from levqor_desktop.core.canary.results import CheckResult, Status, Thresholds
from levqor_desktop.core.canary.sources import Clock
from levqor_desktop.core.canary.store import CanaryStore, RunReport
from levqor_desktop.core.canary.targets import LOCAL_KEY, CanaryTarget
from levqor_desktop.core.canary.verdict import compare_with_baseline, verdict_of
from levqor_desktop.core.models import utcnow
from levqor_desktop.errors import LevqorError

log = logging.getLogger(__name__)

CheckListener = Callable[[CheckResult], None]

_STATUS_VALUE = {Status.PASS: 0, Status.WARN: 1, Status.FAIL: 2, Status.NO_DATA: -1}


class CanaryMetrics:
    """The canary's own series, in the App's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "levqor_canary_runs",
            "Canary runs by target kind and verdict.",
            ["target", "verdict"],
            registry=registry,
        )
        self.check_status = Gauge(
            "levqor_canary_check_status",
            "Last status of each canary check against this app "
            "(0 pass, 1 warn, 2 fail, -1 no data).",
            ["check"],
            registry=registry,
        )
        self.last_run = Gauge(
            "levqor_canary_last_run_timestamp_seconds",
            "When the canary last finished a run.",
            registry=registry,
        )

    def observe(self, report: RunReport) -> None:
        local = report.target == LOCAL_KEY
        self.runs.labels("local" if local else "remote", report.verdict.value).inc()
        self.last_run.set(report.finished_at.timestamp())
        if local:
            for result in report.results:
                self.check_status.labels(result.name).set(_STATUS_VALUE[result.status])


class CanaryRunner:
    def __init__(
        self,
        store: CanaryStore | None,
        *,
        thresholds: Thresholds | None = None,
        checks: Mapping[str, Check] | None = None,
        metrics: CanaryMetrics | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.store = store
        self.thresholds = thresholds or Thresholds()
        self.checks = dict(checks or CHECKS)
        self.metrics = metrics
        self._clock = clock

    def run(
        self,
        target: CanaryTarget,
        *,
        org_id: int | None,
        trigger: str = "manual",
        change: str | None = None,
        on_check: CheckListener | None = None,
    ) -> RunReport:
        started = self._clock()
        baseline = self._baseline(org_id, target.key)
        values = {r.name: r.value for r in baseline.results} if baseline else {}
        observations = Observations(target, self.thresholds)
        results: list[CheckResult] = []
        for name, check in self.checks.items():
            result = self._one(name, check, observations)
            result = compare_with_baseline(result, values, self.thresholds)
            results.append(result)
            if on_check is not None:
                on_check(result)
        report = RunReport(
            target=target.key,
            target_label=target.label,
            verdict=verdict_of(results),
            results=results,
            started_at=started,
            finished_at=self._clock(),
            trigger=trigger,
            change=change,
            baseline_run_id=baseline.id if baseline else None,
        )
        self._save(report, org_id)
        if self.metrics is not None:
            self.metrics.observe(report)
        return report

    def record_rollback(self, report: RunReport, text: str) -> None:
        report.rollback = text
        if self.store is None or report.id is None:
            return
        try:
            self.store.set_rollback(report.id, text)
        except (DBAPIError, LevqorError):
            log.exception("could not record the rollback of canary run %s", report.id)

    def _one(self, name: str, check: Check, observations: Observations) -> CheckResult:
        try:
            return check(observations)
        except Exception as exc:  # one broken check must not hide the others' results
            log.exception("canary check %s crashed", name)
            return CheckResult(
                name,
                Status.FAIL,
                None,
                "",
                "the check runs",
                f"the check itself failed: {type(exc).__name__}: {exc}",
                "see the log for the traceback and report it",
            )

    def _baseline(self, org_id: int | None, key: str) -> RunReport | None:
        if self.store is None or org_id is None:
            return None
        try:
            return self.store.last_passing(org_id, key)
        except (DBAPIError, LevqorError) as exc:
            log.warning("no canary baseline: %s", exc)
            return None

    def _save(self, report: RunReport, org_id: int | None) -> None:
        if self.store is None or org_id is None:
            return
        try:
            self.store.save(report, org_id)
        except (DBAPIError, LevqorError) as exc:
            # A run against a broken database must still report; it just is not kept.
            log.warning("canary run not stored: %s", exc)
