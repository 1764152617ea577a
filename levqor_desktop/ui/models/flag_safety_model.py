"""Qt item models for safe flag changes: change requests and scheduled flips."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.flags.approvals import ChangeRequest
from levqor_desktop.core.flags.schedules import ScheduledFlip
from levqor_desktop.core.flags.service import describe_value
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, MUTED, OK

Index = QModelIndex | QPersistentModelIndex

STATUS_COLOURS = {"applied": OK, "failed": FAIL, "rejected": MUTED, "canceled": MUTED}


class _RowsModel(HeaderedTableModel):
    """A table of frozen rows, replaced whole when they change."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        if rows == self.rows:
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def row_at(self, row: int) -> Any:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def cells(self, item: Any) -> tuple[str, ...]:
        raise AssertionError("subclasses say what their cells hold")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row())
        if item is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cells(item)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and item.status in STATUS_COLOURS:
            return QColor(STATUS_COLOURS[item.status])
        return None


class ChangeRequestsModel(_RowsModel):
    HEADERS = (
        "#",
        "Flag",
        "To",
        "Status",
        "Proposed by",
        "When (UTC)",
        "Decided by",
        "Apply",
        "Reason",
    )

    def request_at(self, row: int) -> ChangeRequest | None:
        found = self.row_at(row)
        return found if isinstance(found, ChangeRequest) else None

    def cells(self, item: Any) -> tuple[str, ...]:
        r: ChangeRequest = item
        reason = r.reason + (f" (restores #{r.restores_id})" if r.restores_id else "")
        if r.error:
            reason += f" — {r.error}"
        return (
            str(r.id),
            str(r.flag),
            describe_value(r.value),
            r.status,
            r.proposer_name,
            f"{r.created_at:%Y-%m-%d %H:%M}",
            r.decider_name or "",
            f"{r.apply_at:%Y-%m-%d %H:%M}" if r.apply_at else "on approval",
            reason,
        )


class ScheduledFlipsModel(_RowsModel):
    HEADERS = ("#", "Due (UTC)", "Flag", "To", "Status", "By", "Note")

    def flip_at(self, row: int) -> ScheduledFlip | None:
        found = self.row_at(row)
        return found if isinstance(found, ScheduledFlip) else None

    def cells(self, item: Any) -> tuple[str, ...]:
        f: ScheduledFlip = item
        note = f.outcome or f.reason or ""
        if f.request_id:
            note = f"request #{f.request_id}" + (f": {note}" if note else "")
        return (
            str(f.id),
            f"{f.due_at:%Y-%m-%d %H:%M:%S}",
            str(f.flag),
            describe_value(f.value),
            f.status,
            f.creator_name,
            note,
        )
