"""The Qt models of the Incidents panel: the timeline's events, and a filter by kind and text."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.incidents import KIND_LABELS, EventKind, IncidentEvent
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, MUTED, WARN

Index = QModelIndex | QPersistentModelIndex

SEVERITY_COLOURS = {"error": FAIL, "warning": WARN}
#: The role that carries an event's sort key (its time, then kind and row id).
SORT_ROLE = Qt.ItemDataRole.UserRole


class IncidentTableModel(HeaderedTableModel):
    HEADERS = ("Time (UTC)", "Kind", "Severity", "Summary")

    def __init__(self) -> None:
        super().__init__()
        self.events: list[IncidentEvent] = []

    def set_events(self, events: list[IncidentEvent]) -> None:
        self.beginResetModel()
        self.events = events
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.events)

    def event_at(self, row: int) -> IncidentEvent | None:
        return self.events[row] if 0 <= row < len(self.events) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        event = self.event_at(index.row())
        if event is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return event.at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            return (None, KIND_LABELS[event.kind], event.severity, event.summary)[col]
        if role == SORT_ROLE:
            return (event.sort_key, event.kind.value, event.severity, event.summary)[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 3:
            return event.summary
        if role == Qt.ItemDataRole.ForegroundRole:
            colour = SEVERITY_COLOURS.get(event.severity)
            if colour:
                return QColor(colour)
            if col == 0:
                return QColor(MUTED)
        return None


class IncidentFilter(QSortFilterProxyModel):
    """Rows of one kind (or all) whose summary holds a text (any case)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.kind: EventKind | None = None
        self.text = ""
        self.setSortRole(SORT_ROLE)

    def set_filter(self, kind: EventKind | None, text: str) -> None:
        self.beginFilterChange()
        self.kind, self.text = kind, text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, IncidentTableModel)
        event = model.event_at(source_row)
        if event is None:
            return False
        if self.kind is not None and event.kind is not self.kind:
            return False
        return not self.text or self.text in event.summary.lower()

    def lessThan(self, left: Index, right: Index) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        return bool(a < b)
