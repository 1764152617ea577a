"""The palette: every action of the catalog, searchable; drag one onto the canvas, or
press Enter (or double-click) to add it next to the selected node."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.ui.builder.view import ACTION_MIME

__all__ = ["ActionPalette"]

_USES = Qt.ItemDataRole.UserRole


class _ActionList(QListWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)

    def mimeData(self, items: Sequence[QListWidgetItem]) -> QMimeData:
        data = QMimeData()
        if items:
            data.setData(ACTION_MIME, str(items[0].data(_USES)).encode("utf-8"))
        return data


class ActionPalette(QWidget):
    #: An action chosen by keyboard or double-click (its ``uses``).
    chosen = Signal(str)

    def __init__(self, catalog: ActionCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search actions (A)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._choose_first)
        self.search.installEventFilter(self)
        self.list = _ActionList()
        self.list.itemActivated.connect(lambda item: self.chosen.emit(item.data(_USES)))
        for uses in catalog.names():
            info = catalog.describe(uses)
            item = QListWidgetItem(uses)
            item.setData(_USES, uses)
            item.setToolTip(info.description if info else uses)
            self.list.addItem(item)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(170)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)

    def filter(self, text: str) -> None:
        """Show the actions whose name or description holds every word of ``text``."""
        words = text.lower().split()
        first: QListWidgetItem | None = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            haystack = f"{item.text()} {item.toolTip()}".lower()
            hidden = not all(w in haystack for w in words)
            item.setHidden(hidden)
            if not hidden and first is None:
                first = item
        if first is not None:
            self.list.setCurrentItem(first)

    def visible_actions(self) -> list[str]:
        return [
            str(self.list.item(r).data(_USES))
            for r in range(self.list.count())
            if not self.list.item(r).isHidden()
        ]

    def _choose_first(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self.chosen.emit(item.data(_USES))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up/Down in the search box move through the list without leaving the box.
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
        ):
            self._step(1 if event.key() == Qt.Key.Key_Down else -1)
            return True
        return super().eventFilter(watched, event)

    def _step(self, offset: int) -> None:
        rows = [r for r in range(self.list.count()) if not self.list.item(r).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        at = rows.index(current) + offset if current in rows else 0
        self.list.setCurrentRow(rows[max(0, min(len(rows) - 1, at))])
