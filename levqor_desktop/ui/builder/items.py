"""The canvas's graphics items: a step node with its two ports, and a need edge.

Colours come from the widget's palette at paint time (so light and dark themes both
read well) plus the shared status colours of :mod:`levqor_desktop.ui.theme`. A fault
turns the outline red and puts its message in the tooltip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPainterPathStroker, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsPathItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

__all__ = ["STATUS_COLOURS", "EdgeItem", "NodeItem", "PortItem"]

NODE_W, NODE_H = 190.0, 68.0
PORT_R = 6.0
#: Run states of the live overlay, and how each is drawn.
STATUS_COLOURS = {
    "queued": MUTED,
    "running": "#3d7bd9",
    "succeeded": OK,
    "failed": FAIL,
    "skipped": WARN,
    "canceled": MUTED,
}


def _palette(widget: QWidget | None) -> QPalette:
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

    def boundingRect(self) -> QRectF:
        r = PORT_R + 3
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = _palette(widget)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Text), 1.2))
        painter.setBrush(
            palette.color(QPalette.ColorRole.Highlight if self.output else QPalette.ColorRole.Base)
        )
        painter.drawEllipse(QPointF(0, 0), PORT_R, PORT_R)

    def centre(self) -> QPointF:
        return self.scenePos()


class NodeItem(QGraphicsItem):
    """One step: its id (title), its action, and its run state when a test run ran."""

    def __init__(self, key: str, uses: str) -> None:
        super().__init__()
        self.key = key
        self.uses = uses
        self.status: str | None = None
        self.detail = ""
        self.faults: list[str] = []
        self.edges: list[EdgeItem] = []
        self.connect_source = False
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.input = PortItem(self, output=False)
        self.output = PortItem(self, output=True)
        self._tooltip()

    def set_content(self, uses: str) -> None:
        if uses != self.uses:
            self.uses = uses
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
        if self.status:
            lines.append(f"{self.status} {self.detail}".strip())
        lines += [f"✗ {fault}" for fault in self.faults]
        self.setToolTip("\n".join(lines))

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, NODE_W + 8, NODE_H + 8)

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = _palette(widget)
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
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(text)
        inner = QRectF(14, 6, NODE_W - 24, 20)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(
            inner,
            flags,
            painter.fontMetrics().elidedText(
                self.key, Qt.TextElideMode.ElideRight, int(inner.width())
            ),
        )
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(muted)
        inner.translate(0, 20)
        painter.drawText(
            inner,
            flags,
            painter.fontMetrics().elidedText(
                self.uses, Qt.TextElideMode.ElideMiddle, int(inner.width())
            ),
        )
        inner.translate(0, 20)
        if self.faults:
            painter.setPen(QColor(FAIL))
            label = f"✗ {self.faults[0]}"
        elif self.status:
            painter.setPen(stripe if self.status != "queued" else muted)
            label = f"● {self.status} {self.detail}".strip()
        else:
            label = ""
        painter.drawText(
            inner,
            flags,
            painter.fontMetrics().elidedText(
                label, Qt.TextElideMode.ElideRight, int(inner.width())
            ),
        )

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.adjust()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.update()
        return super().itemChange(change, value)


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    """A left-to-right curve from an output port to an input port."""
    path = QPainterPath(start)
    bend = max(40.0, abs(end.x() - start.x()) / 2)
    path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
    return path


class EdgeItem(QGraphicsPathItem):
    """``target`` needs ``source``; dashed when the need is the implicit list order."""

    def __init__(self, source: NodeItem, target: NodeItem, explicit: bool) -> None:
        super().__init__()
        self.source, self.target, self.explicit = source, target, explicit
        self.faults: list[str] = []
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        source.edges.append(self)
        target.edges.append(self)
        self.adjust()
        self.set_faults([])

    @property
    def pair(self) -> tuple[str, str]:
        return self.source.key, self.target.key

    def adjust(self) -> None:
        # End just before the input port, so the arrowhead shows.
        end = self.target.input.centre() - QPointF(PORT_R + 1, 0)
        self.setPath(bezier(self.source.output.centre(), end))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(12)  # easy to click, not the area under the curve
        return stroker.createStroke(self.path())

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)

    def set_faults(self, faults: list[str]) -> None:
        self.faults = faults
        label = f"{self.target.key} needs {self.source.key}"
        if not self.explicit:
            label += " (list order: no explicit needs)"
        self.setToolTip("\n".join([label, *(f"✗ {f}" for f in faults)]))
        self.update()

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = _palette(widget)
        if self.faults:
            colour = QColor(FAIL)
        elif self.isSelected():
            colour = palette.color(QPalette.ColorRole.Highlight)
        else:
            colour = palette.color(QPalette.ColorRole.Text)
            colour.setAlphaF(0.55)
        pen = QPen(colour, 3.0 if self.isSelected() or self.faults else 1.8)
        if not self.explicit:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        end = self.path().pointAtPercent(1.0)
        painter.setBrush(colour)
        painter.setPen(Qt.PenStyle.NoPen)
        arrow = QPainterPath(end)
        arrow.lineTo(end + QPointF(-10, -5))
        arrow.lineTo(end + QPointF(-10, 5))
        arrow.closeSubpath()
        painter.drawPath(arrow)
