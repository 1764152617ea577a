"""A target's observations for one run: each report fetched once, shared by the checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from levqor_desktop.core.canary.reports import (
    ConnectorsReport,
    HealthReport,
    ProbeReport,
    QueueHealthReport,
    SystemReport,
)
from levqor_desktop.core.canary.results import CheckResult, Status, Thresholds
from levqor_desktop.core.canary.targets import CanaryTarget, TargetError


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


def unobserved(name: str, unit: str, threshold: str, exc: TargetError) -> CheckResult:
    """A check whose data could not be fetched: a failure, unless the target lacks it."""
    status = Status.NO_DATA if exc.kind == "missing" else Status.FAIL
    return CheckResult(
        name, status, None, unit, threshold, exc.message, exc.hint or "check the target"
    )
