"""The command palette (Ctrl+K): type, pick with Up/Down, run with Enter, leave with Esc.

The dialog only ranks and shows; what it lists comes from the command registry (the
window's commands, the current panel's actions, the jump targets) plus entries made from
the query itself (``#123`` offers "Open job #123"). Nothing here touches the App.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.ui.palette.commands import Command, CommandRegistry

#: Rows shown at most; the ranking puts the meant one near the top.
MAX_ROWS = 60


class PaletteDialog(QDialog):
    #: Emitted with the command just run (tests and the status bar).
    ran = Signal(object)

    def __init__(
        self,
        registry: CommandRegistry,
        from_query: Callable[[str], list[Command]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("CommandPalette")
        self.setWindowTitle("Command palette")
        self.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        self._registry = registry
        self._from_query = from_query
        self._shown: list[Command] = []

        self.query = QLineEdit()
        self.query.setPlaceholderText("Go to a panel, workflow, job #id, flag, connector, or run…")
        self.query.textChanged.connect(lambda _t: self.refilter())
        self.query.installEventFilter(self)
        self.list = QTreeWidget()
        self.list.setColumnCount(3)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemActivated.connect(lambda _item, _col: self.run_current())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.query)
        layout.addWidget(self.list)

    # -- showing --------------------------------------------------------------------------

    def open_palette(self, text: str = "") -> None:
        parent = self.parentWidget()
        if parent is not None:
            width = min(720, max(420, parent.width() * 2 // 3))
            self.resize(width, min(460, max(260, parent.height() // 2)))
            top_left = parent.mapToGlobal(parent.rect().topLeft())
            self.move(top_left.x() + (parent.width() - width) // 2, top_left.y() + 60)
        self.query.setText(text)
        self.refilter()
        self.show()
        self.activateWindow()
        self.query.setFocus()

    def refilter(self) -> None:
        """Rank again (the query changed, or jump targets arrived)."""
        query = self.query.text()
        self._shown = self._registry.search(query, self._from_query(query))[:MAX_ROWS]
        self.list.clear()
        for command in self._shown:
            item = QTreeWidgetItem([command.label, command.detail, command.shortcut])
            item.setForeground(1, self.palette().placeholderText())
            self.list.addTopLevelItem(item)
        self._select(0)

    @property
    def shown(self) -> list[Command]:
        return list(self._shown)

    def current(self) -> Command | None:
        row = self.list.currentIndex().row()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def _select(self, row: int) -> None:
        item = self.list.topLevelItem(row)
        if item is not None:
            self.list.setCurrentItem(item)

    # -- keys -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.query and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._move(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.run_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.reject()
                return True
        return super().eventFilter(watched, event)

    def _move(self, step: int) -> None:
        count = self.list.topLevelItemCount()
        if count:
            self._select((self.list.currentIndex().row() + step) % count)

    def done(self, result: int) -> None:
        super().done(result)
        # Give the keyboard back to the window (some platforms leave no window active).
        parent = self.parentWidget()
        if parent is not None:
            parent.activateWindow()

    def run_current(self) -> None:
        command = self.current()
        if command is None:
            return
        # Close first: an action that opens a dialog should not open it over the palette.
        self.accept()
        command.run()
        self.ran.emit(command)
