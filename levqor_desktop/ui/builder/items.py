"""The canvas's step nodes and their two ports (edges are in :mod:`.edges`).

Colours come from the widget's palette at paint time (so light and dark themes both
read well) plus the shared status colours of :mod:`levqor_desktop.ui.theme`. A fault
turns the outline red and puts its message in the tooltip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen, QPixmapCache
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

if TYPE_CHECKING:
    from levqor_desktop.ui.builder.edges import EdgeItem

__all__ = ["STATUS_COLOURS", "NodeItem", "PortItem", "ensure_cache_room", "node_body", "palette_of"]

NODE_W, NODE_H = 190.0, 68.0
PORT_R = 6.0
_NODE_BOUNDS = QRectF(-PORT_R - 2, -4, NODE_W + 2 * PORT_R + 4, NODE_H + 8)
#: Run states of the live overlay, and how each is drawn.
STATUS_COLOURS = {
    "queued": MUTED,
    "running": "#3d7bd9",
    "succeeded": OK,
    "failed": FAIL,
    "skipped": WARN,
    "canceled": MUTED,
}


def ensure_cache_room(nodes: int) -> None:
    """Let Qt's pixmap cache hold every node's picture (its default is 10 MB); it only
    ever grows the limit, so other users of the cache lose nothing."""
    per_node_kb = int((NODE_W + 16) * (NODE_H + 8) * 4 / 1024) + 1
    wanted = min(256 * 1024, 8 * 1024 + nodes * per_node_kb)
    if QPixmapCache.cacheLimit() < wanted:
        QPixmapCache.setCacheLimit(wanted)


def palette_of(widget: QWidget | None) -> QPalette:
    return widget.palette() if widget is not None else QApplication.palette()


def node_body(palette: QPalette) -> QColor:
    """Nodes stand out from the canvas (its window colour) in both themes."""
    base = palette.color(QPalette.ColorRole.Base)
    return base.lighter(150) if base.lightness() < 128 else base


class PortItem(QGraphicsItem):
    """A node's input (left) or output (right) port; drag from an output to an input."""

    def __init__(self, node: NodeItem, output: bool) -> None:
        super().__init__(node)
        self.node = node
        self.output = output
        self.setPos(NODE_W if output else 0.0, NODE_H / 2)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("drag to an input port to connect" if output else "input: what this needs")
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Drawn by the node (into its cache), so a frame costs one call per node."""

    def centre(self) -> QPointF:
        return self.scenePos()


class NodeItem(QGraphicsItem):
    """One step: its id (title), its action, and its run state when a test run ran."""

    def __init__(self, key: str, uses: str) -> None:
        super().__init__()
        self.key = key
        self.uses = uses
        self.status: str | None = None
        self.condition: str | None = None  # its ``if``, shown as a badge
        self.detail = ""
        self.faults: list[str] = []
        self.edges: list[EdgeItem] = []
        self.connect_source = False
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.use_sharp_cache(False)
        self.input = PortItem(self, output=False)
        self.output = PortItem(self, output=True)
        self._tooltip()

    def use_sharp_cache(self, sharp: bool) -> None:
        """Zoomed out (at most 100 %), the node is rendered once in its own coordinates and
        scaled: zooming and panning repaint no text (QPixmapCache must hold them all: see
        ensure_cache_room). Zoomed in, that picture would be blurred, so it is rendered at
        the screen's resolution instead (few nodes are visible then)."""
        self.setCacheMode(
            QGraphicsItem.CacheMode.DeviceCoordinateCache
            if sharp
            else QGraphicsItem.CacheMode.ItemCoordinateCache
        )

    def set_content(self, uses: str, condition: str | None = None) -> None:
        if (uses, condition) != (self.uses, self.condition):
            self.uses, self.condition = uses, condition
            self._tooltip()
            self.update()

    def set_status(self, status: str | None, detail: str = "") -> None:
        self.status, self.detail = status, detail
        self._tooltip()
        self.update()

    def set_faults(self, faults: list[str]) -> None:
        if faults != self.faults:
            self.faults = faults
            self._tooltip()
            self.update()

    def set_connect_source(self, on: bool) -> None:
        self.connect_source = on
        self.update()

    def _tooltip(self) -> None:
        lines = [f"{self.key} — {self.uses}"]
        if self.condition:
            lines.append(f"runs only if {self.condition}")
        if self.status:
            lines.append(f"{self.status} {self.detail}".strip())
        lines += [f"✗ {fault}" for fault in self.faults]
        self.setToolTip("\n".join(lines))

    def boundingRect(self) -> QRectF:
        return _NODE_BOUNDS

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = palette_of(widget)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        body = QRectF(0, 0, NODE_W, NODE_H)
        if self.faults:
            pen = QPen(QColor(FAIL), 2.5)
        elif self.isSelected() or self.connect_source:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 2.5)
            if self.connect_source:
                pen.setStyle(Qt.PenStyle.DashLine)
        else:
            pen = QPen(palette.color(QPalette.ColorRole.Mid), 1.2)
        painter.setPen(pen)
        painter.setBrush(node_body(palette))
        painter.drawRoundedRect(body, 7, 7)
        stripe = QColor(STATUS_COLOURS.get(self.status or "", MUTED if not self.faults else FAIL))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(stripe)
        painter.drawRoundedRect(QRectF(0, 0, 6, NODE_H), 3, 3)
        text = palette.color(QPalette.ColorRole.Text)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        if self.faults:
            label, colour = f"✗ {self.faults[0]}", QColor(FAIL)
        else:
            label = f"● {self.status} {self.detail}".strip() if self.status else ""
            colour = stripe if self.status not in (None, "queued") else muted
        font = QFont(painter.font())
        for n, (line, ink, bold) in enumerate(
            ((self.key, text, True), (self.uses, muted, False), (label, colour, False))
        ):
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(ink)
            box = QRectF(14, 6 + 20 * n, NODE_W - 24, 20)
            elided = painter.fontMetrics().elidedText(
                line, Qt.TextElideMode.ElideRight, int(box.width())
            )
            painter.drawText(
                box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
            )
        if self.condition:
            badge = QRectF(NODE_W - 30, 7, 22, 16)
            painter.setPen(QPen(muted, 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(badge, 4, 4)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "if")
        painter.setPen(QPen(text, 1.2))
        for port, fill in (
            (self.input, QPalette.ColorRole.Base),
            (self.output, QPalette.ColorRole.Highlight),
        ):
            painter.setBrush(palette.color(fill))
            painter.drawEllipse(port.pos(), PORT_R, PORT_R)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.update()
        return super().itemChange(change, value)
