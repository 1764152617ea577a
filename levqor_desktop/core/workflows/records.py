"""What :class:`~levqor_desktop.core.workflows.store.WorkflowStore` returns: plain,
frozen records (no ORM rows leave a session)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from levqor_desktop.core.workflows.document import Workflow

__all__ = ["ScheduledWorkflow", "StoredWorkflow", "WorkflowSummary", "WorkflowVersionInfo"]


@dataclass(frozen=True)
class WorkflowSummary:
    id: int
    name: str
    current_version: int
    trigger: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class WorkflowVersionInfo:
    workflow_id: int
    version: int
    created_at: dt.datetime
    created_by: int | None
    author: str | None
    note: str
    current: bool


@dataclass(frozen=True)
class StoredWorkflow:
    """One version of a stored workflow, parsed."""

    id: int
    org_id: int
    name: str
    version: int
    current_version: int
    document: dict[str, Any]
    workflow: Workflow
    created_at: dt.datetime
    note: str
    test_inputs: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class ScheduledWorkflow:
    org_id: int
    workflow_id: int
    name: str
    version: int
    workflow: Workflow
