"""The canvas's commands: the undoable document edit, and its keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from levqor_desktop.ui.builder.editor import CanvasEditor

__all__ = ["DocumentEdit", "install_shortcuts", "standard"]

Document = dict[str, Any]


class DocumentEdit(QUndoCommand):
    """One undoable change: the whole document before and after it.

    ``announce_first=False`` is for a change that came from the JSON editor: applying it
    the first time must not write it back there; undoing or redoing it later must."""

    def __init__(self, editor: CanvasEditor, before: Document, after: Document, text: str,
                 *, announce_first: bool = True) -> None:  # fmt: skip
        super().__init__(text)
        self.editor, self.before, self.after = editor, before, after
        self._announce = announce_first

    def redo(self) -> None:
        self.editor.apply_document(self.after, announce=self._announce)
        self._announce = True

    def undo(self) -> None:
        self.editor.apply_document(self.before, announce=True)


def standard(key: QKeySequence.StandardKey) -> list[QKeySequence]:
    """The platform's key sequences for a standard action (Delete, Copy, Undo, ...)."""
    return list(QKeySequence.keyBindings(key))


def install_shortcuts(
    widget: QWidget,
    bindings: Sequence[tuple[str, Sequence[QKeySequence | str], Callable[[], Any]]],
) -> None:
    """Named shortcuts that act only while ``widget`` has the focus (so typing a letter
    in the inspector never deletes or connects anything on the canvas)."""
    for text, keys, slot in bindings:
        action = QAction(text, widget)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        widget.addAction(action)
