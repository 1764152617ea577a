"""What a check returns, and the thresholds checks compare against."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


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
