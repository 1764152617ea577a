"""One verdict from many checks, and the comparison with the last passing run.

fail if any check fails; marginal if any warns (a latency several times the last
passing run's counts as a warning); pass otherwise. No data is neither.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import replace

from levqor_desktop.core.canary.results import CheckResult, Status, Thresholds


class Verdict(enum.StrEnum):
    PASS = "pass"
    MARGINAL = "marginal"
    FAIL = "fail"

    @property
    def exit_code(self) -> int:
        """``levqor canary``'s exit status: 0 pass, 3 marginal, 1 fail."""
        return {Verdict.PASS: 0, Verdict.MARGINAL: 3, Verdict.FAIL: 1}[self]


#: Checks whose value is a latency that may regress against the baseline.
LATENCY_CHECKS = frozenset({"health", "database"})


def verdict_of(results: Iterable[CheckResult]) -> Verdict:
    statuses = {r.status for r in results}
    if Status.FAIL in statuses:
        return Verdict.FAIL
    if Status.WARN in statuses:
        return Verdict.MARGINAL
    return Verdict.PASS


def compare_with_baseline(
    result: CheckResult, baseline: Mapping[str, float | None], thresholds: Thresholds
) -> CheckResult:
    """Attach the baseline value, and turn a passing latency that regressed into a warning."""
    before = baseline.get(result.name)
    if before is None:
        return result
    result = result.with_baseline(before)
    if result.name not in LATENCY_CHECKS or result.status is not Status.PASS:
        return result
    if result.value is None:
        return result
    reference = max(before, thresholds.regression_floor_ms)
    factor = result.value / reference
    if factor < thresholds.regression_factor:
        return result
    return replace(
        result,
        status=Status.WARN,
        summary=(f"{result.summary}; {factor:.1f}× the last passing run ({before:.1f} ms)"),
        advice="latency regressed since the last passing run: look at what changed",
    )
