"""A plain-text JSON editor: syntax highlighting, line numbers, fault marks, go-to.

The highlighter colours keys, strings, numbers, literals and ``{{ templates }}``; lines
with faults get a wavy underline and a mark in the gutter. It stays a QPlainTextEdit,
so undo, search and large files behave as Qt's own editor does.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QRect, QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

__all__ = ["JsonEditor", "JsonHighlighter"]


def _format(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON tokens; colours are readable on light and dark palettes."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._rules: list[tuple[QRegularExpression, QTextCharFormat]] = [
            (QRegularExpression(r'"(?:[^"\\]|\\.)*"'), _format("#3a9a4f")),  # strings
            (QRegularExpression(r'"(?:[^"\\]|\\.)*"(?=\s*:)'), _format("#3d7fd6", bold=True)),
            (QRegularExpression(r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b"), _format("#c7772b")),
            (QRegularExpression(r"\b(?:true|false|null)\b"), _format("#a557c9", bold=True)),
            (QRegularExpression(r"\{\{.*?\}\}|\{%.*?%\}"), _format("#c9a227", italic=True)),
        ]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self._rules:
            matches = pattern.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), fmt)


class _Gutter(QWidget):
    def __init__(self, editor: JsonEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(event)


class JsonEditor(QPlainTextEdit):
    """The editor. ``mark_faults(lines)`` underlines lines; ``go_to(line, column)``."""

    #: The text changed by the user or by set_text (for live validation).
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.setFont(font)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.highlighter = JsonHighlighter(self.document())
        self._gutter = _Gutter(self)
        self._fault_lines: set[int] = set()
        self.blockCountChanged.connect(self._update_margin)
        self.updateRequest.connect(self._scroll_gutter)
        self.textChanged.connect(self.edited)
        self._update_margin()

    # -- content ----------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        """Replace the content (undo history starts afresh) and clear fault marks."""
        self.setPlainText(text)
        self.mark_faults(())

    def text(self) -> str:
        return self.toPlainText()

    def go_to(self, line: int, column: int | None = None) -> None:
        """Put the cursor at ``line`` (1-based) and ``column`` (1-based) and show it."""
        block = self.document().findBlockByNumber(max(0, line - 1))
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        offset = min(max(0, (column or 1) - 1), max(0, block.length() - 1))
        cursor.movePosition(QTextCursor.MoveOperation.Right, n=offset)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def cursor_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def mark_faults(self, lines: Iterable[int]) -> None:
        """Underline these lines (1-based) and mark them in the gutter."""
        self._fault_lines = {n for n in lines if n > 0}
        selections = []
        for line in sorted(self._fault_lines):
            block = self.document().findBlockByNumber(line - 1)
            if not block.isValid():
                continue
            selection = QTextEdit.ExtraSelection()
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(QColor("#d9534f"))
            selection.cursor = QTextCursor(block)
            selection.cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            selections.append(selection)
        self.setExtraSelections(selections)
        self._gutter.update()

    @property
    def fault_lines(self) -> set[int]:
        return set(self._fault_lines)

    # -- the line-number gutter ---------------------------------------------------------

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * max(3, digits)

    def _update_margin(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.alternateBase())
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                line = number + 1
                if line in self._fault_lines:
                    painter.fillRect(0, top, 4, height, QColor("#d9534f"))
                    painter.setPen(QColor("#d9534f"))
                else:
                    painter.setPen(palette.placeholderText().color())
                painter.drawText(0, top, width - 6, height, Qt.AlignmentFlag.AlignRight, str(line))
            block = block.next()
            top = bottom
            number += 1
        painter.end()
