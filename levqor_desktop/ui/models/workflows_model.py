"""Qt item models of the Workflows panel: the stored workflows, a workflow's versions,
and the steps of a test run as they happen."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.workflows.runner import StepEvent
from levqor_desktop.core.workflows.store import WorkflowSummary, WorkflowVersionInfo

__all__ = ["StepResultsModel", "VersionHistoryModel", "WorkflowListModel"]

Index = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ROW = Qt.ItemDataRole.UserRole


class _RowsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table over a list of rows; subclasses name the columns and cells."""

    headers: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == _ROW:
            return row
        return self.cell(row, index.column(), role)

    def cell(self, row: Row, column: int, role: int) -> Any:
        raise AssertionError("subclasses define cell()")


class WorkflowListModel(_RowsModel[WorkflowSummary]):
    headers = ("Name", "Version", "Trigger", "Updated")

    def cell(self, row: WorkflowSummary, column: int, role: int) -> Any:
        if role == _DISPLAY:
            return (
                row.name,
                f"v{row.current_version}",
                row.trigger,
                f"{row.updated_at:%Y-%m-%d %H:%M}",
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.description or row.name
        return None

    def row_of(self, workflow_id: int) -> int | None:
        return next((n for n, r in enumerate(self._rows) if r.id == workflow_id), None)


class VersionHistoryModel(_RowsModel[WorkflowVersionInfo]):
    headers = ("Version", "Saved (UTC)", "By", "Note")

    def cell(self, row: WorkflowVersionInfo, column: int, role: int) -> Any:
        if role == _DISPLAY:
            version = f"v{row.version}" + ("  (current)" if row.current else "")
            return (version, f"{row.created_at:%Y-%m-%d %H:%M:%S}", row.author or "-", row.note)[
                column
            ]
        if role == Qt.ItemDataRole.FontRole and row.current:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None


_STATUS_COLOURS = {
    "running": "#3d7fd6",
    "succeeded": "#3a9a4f",
    "failed": "#d9534f",
    "canceled": "#c7772b",
    "skipped": "#8a8a8a",
}


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StepResultsModel(_RowsModel[dict[str, Any]]):
    """One row per step of the workflow, updated from StepEvents as the run goes."""

    headers = ("Step", "Action", "Status", "Attempts", "Time", "Output / error")

    def reset_steps(self, steps: Sequence[tuple[str, str]]) -> None:
        """Start a run: every step (id, uses) pending."""
        self.set_rows(
            [
                {
                    "id": sid,
                    "uses": uses,
                    "status": "pending",
                    "attempts": "",
                    "time": "",
                    "detail": "",
                    "full": None,
                }
                for sid, uses in steps
            ]
        )

    def apply(self, event: StepEvent) -> None:
        for n, row in enumerate(self._rows):
            if row["id"] != event.step_id:
                continue
            row["status"] = "succeeded (resumed)" if event.resumed else event.status
            outcome = event.outcome
            if outcome is not None:
                row["attempts"] = str(outcome.attempts)
                row["time"] = f"{outcome.duration_s * 1000:.0f} ms"
                row["detail"] = outcome.error or _short(outcome.output)
                row["full"] = outcome.to_dict()
            self.dataChanged.emit(self.index(n, 0), self.index(n, len(self.headers) - 1))
            return

    def status_of(self, step_id: str) -> str | None:
        return next((r["status"] for r in self._rows if r["id"] == step_id), None)

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        if role == _DISPLAY:
            keys = ("id", "uses", "status", "attempts", "time", "detail")
            return row[keys[column]]
        if role == Qt.ItemDataRole.ForegroundRole and column == 2:
            colour = _STATUS_COLOURS.get(str(row["status"]).split(" ")[0])
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and row["full"] is not None:
            return json.dumps(row["full"], indent=2, ensure_ascii=False, default=str)[:4000]
        return None
