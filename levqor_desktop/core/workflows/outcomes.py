"""What running a workflow reports: step outcomes, live step events, the run's result.

Kept apart from the runner so the graph scheduler and the step runner share them
without importing each other.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["RunResult", "StepEvent", "StepOutcome", "StepStatus", "build_scope"]

StepStatus = Literal["succeeded", "failed", "skipped", "canceled"]


@dataclass(frozen=True)
class StepOutcome:
    status: StepStatus
    output: dict[str, Any] | None
    error: str | None
    error_kind: str | None
    attempts: int
    started_at: dt.datetime
    finished_at: dt.datetime

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        return data


@dataclass(frozen=True)
class StepEvent:
    """What the UI and the job recorder hear while a workflow runs.

    A step that ran (or whose ``if`` skipped it) ends with an event carrying its
    ``outcome``. A step that never started ends with one without: "skipped" when a step
    it needs failed, "canceled" when the run stopped first; ``reason`` says which.
    ``last`` marks the last outcome of the run: no step runs after it.
    """

    step_id: str
    index: int
    uses: str
    status: Literal["running", "succeeded", "failed", "skipped", "canceled"]
    outcome: StepOutcome | None = None
    resumed: bool = False
    reason: str | None = None
    last: bool = False


@dataclass
class RunResult:
    status: Literal["succeeded", "failed", "canceled"]
    outcomes: dict[str, StepOutcome] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed_step: str | None = None
    error: str | None = None
    #: Steps that never started, with the reason ("upstream failed: ...", "canceled").
    not_run: dict[str, str] = field(default_factory=dict)
    #: Every step in the order the graph runs them (topological, list order on ties).
    order: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


def build_scope(inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The template scope: ``inputs`` and ``steps.<id>.output`` (None for a skipped step)."""
    return {"inputs": dict(inputs), "steps": {sid: {"output": out} for sid, out in outputs.items()}}
