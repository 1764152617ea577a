"""What a timeline is made of: events of six kinds, each with a time, a summary and details."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any


class EventKind(enum.StrEnum):
    JOB_FAILED = "job_failed"
    FLAG_CHANGE = "flag_change"
    CANARY_RUN = "canary_run"
    MIGRATION = "migration"
    LIMIT_HIT = "limit_hit"
    OPERATOR_ACTION = "operator_action"


#: How each kind reads in a table or a heading.
KIND_LABELS: dict[EventKind, str] = {
    EventKind.JOB_FAILED: "failed job",
    EventKind.FLAG_CHANGE: "flag change",
    EventKind.CANARY_RUN: "canary run",
    EventKind.MIGRATION: "migration",
    EventKind.LIMIT_HIT: "limit hit",
    EventKind.OPERATOR_ACTION: "operator action",
}


@dataclass(frozen=True)
class IncidentEvent:
    """One thing that happened. ``ref`` is the row's id in its own table (for ordering
    events at the same instant and for jumping to the row); ``severity`` is "error",
    "warning" or "info"."""

    kind: EventKind
    at: dt.datetime
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    ref: int = 0
    severity: str = "info"

    @property
    def sort_key(self) -> tuple[dt.datetime, str, int]:
        return (self.at, self.kind.value, self.ref)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "time": iso(self.at),
            "severity": self.severity,
            "summary": self.summary,
            "details": self.details,
            "ref": self.ref,
        }


def iso(moment: dt.datetime | None) -> str | None:
    """UTC ISO 8601 with a Z, to the millisecond."""
    if moment is None:
        return None
    text = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
