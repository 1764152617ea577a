"""Small Qt table models of the Queue panel: depth by queue and state, workers, steps."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.jobs.contracts import StepRecord, WorkerInfo
from levqor_desktop.core.models.jobs import JobStatus, StepStatus
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

Index = QModelIndex | QPersistentModelIndex


class RowsModel(HeaderedTableModel):
    """A read-only table of already formatted rows, replaced as a whole."""

    HEADERS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[Any, ...]] = []
        self.colours: list[str | None] = []

    def set_rows(
        self, rows: list[tuple[Any, ...]], colours: list[str | None] | None = None
    ) -> None:
        self.beginResetModel()
        self.rows = rows
        self.colours = colours or [None] * len(rows)
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and self.colours[index.row()]:
            return QColor(self.colours[index.row()])
        return None


class DepthModel(RowsModel):
    HEADERS = ("Queue", *(s.value.capitalize() for s in JobStatus))

    def show(self, depth: dict[str, dict[str, int]], paused: list[str]) -> None:
        rows = []
        for queue in sorted(depth):
            label = f"{queue} (paused)" if queue in paused else queue
            rows.append((label, *(depth[queue].get(s.value, 0) for s in JobStatus)))
        self.set_rows(rows, [WARN if str(r[0]).endswith("(paused)") else None for r in rows])


class WorkersModel(RowsModel):
    HEADERS = ("Worker", "Kind", "State", "Current job", "Heartbeat", "Done", "Failed")

    def show(self, workers: list[WorkerInfo]) -> None:
        rows, colours = [], []
        for w in workers:
            state = w.state if w.online else ("stopped" if w.state == "stopped" else "silent")
            rows.append(
                (
                    w.id,
                    w.kind,
                    state,
                    f"#{w.current_job_id}" if w.current_job_id else "",
                    f"{w.heartbeat_age_s:.0f} s ago",
                    w.processed,
                    w.failed,
                )
            )
            colours.append(None if w.online else (MUTED if w.state == "stopped" else FAIL))
        self.set_rows(rows, colours)


STEP_COLOURS = {StepStatus.SUCCEEDED: OK, StepStatus.FAILED: FAIL, StepStatus.CANCELED: MUTED}


class StepsModel(RowsModel):
    HEADERS = ("#", "Step", "Status", "Tries", "Took", "Output / error")

    def show(self, steps: list[StepRecord]) -> None:
        rows = []
        for s in steps:
            took = ""
            if s.started_at and s.finished_at:
                took = f"{(s.finished_at - s.started_at).total_seconds() * 1000:.0f} ms"
            detail = s.error or json.dumps(s.output, default=str, ensure_ascii=False)
            rows.append((s.index, s.step_id, s.status.value, s.attempts, took, detail))
        self.set_rows(rows, [STEP_COLOURS.get(s.status) for s in steps])
