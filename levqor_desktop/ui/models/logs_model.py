"""The Qt item model of the Logs panel: log entries, appended live, capped in size."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.logs import LogEntry
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, MUTED, WARN

Index = QModelIndex | QPersistentModelIndex

#: Rows kept in the view; older rows are dropped as new ones arrive.
MAX_ROWS = 100_000

LEVEL_COLOURS = {"WARNING": WARN, "ERROR": FAIL, "CRITICAL": FAIL, "DEBUG": MUTED}


def _context_text(context: dict[str, Any]) -> str:
    return " ".join(
        f"{k}={v if isinstance(v, str | int | float) else json.dumps(v)}"
        for k, v in context.items()
    )


class LogTableModel(HeaderedTableModel):
    HEADERS = ("Time (UTC)", "Level", "File", "Logger", "Message", "Context")

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        super().__init__()
        self.entries: list[LogEntry] = []
        self.max_rows = max_rows

    def set_entries(self, entries: list[LogEntry]) -> None:
        self.beginResetModel()
        self.entries = entries[-self.max_rows :]
        self.endResetModel()

    def append(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        entries = entries[-self.max_rows :]
        overflow = len(self.entries) + len(entries) - self.max_rows
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.entries[:overflow]
            self.endRemoveRows()
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self.entries.extend(entries)
        self.endInsertRows()

    def row_count(self) -> int:
        return len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < len(self.entries):
            return None
        e = self.entries[row]
        if role == Qt.ItemDataRole.DisplayRole:
            col = index.column()
            if col == 0:
                return e.timestamp.replace("T", " ").rstrip("Z")
            if col == 4:
                return e.message.splitlines()[0] if e.message else ""
            return (None, e.level, e.source, e.logger, None, _context_text(e.context))[col]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4:
            return e.message + (f"\n\n{e.exception}" if e.exception else "")
        if role == Qt.ItemDataRole.ForegroundRole and e.level in LEVEL_COLOURS:
            return QColor(LEVEL_COLOURS[e.level])
        return None
