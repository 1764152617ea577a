"""Need edges: one hit-testing item per edge, all drawn by one layer item.

Each :class:`EdgeItem` is selectable, has a tooltip and a shape to click, but paints
nothing; :class:`EdgeLayer` draws every edge in a handful of paths grouped by style
(normal, implicit list order, selected, faulty), only those in the exposed area. With
200 nodes that is one Python ``paint`` call per frame instead of hundreds.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPalette, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from levqor_desktop.ui.builder.items import PORT_R, NodeItem, palette_of
from levqor_desktop.ui.theme import FAIL

__all__ = ["EdgeItem", "EdgeLayer", "bezier"]

ARROW = 10.0


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    """A left-to-right curve from an output port to an input port."""
    path = QPainterPath(start)
    bend = max(40.0, abs(end.x() - start.x()) / 2)
    path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
    return path


def _arrow(end: QPointF) -> QPainterPath:
    head = QPainterPath(end)
    head.lineTo(end + QPointF(-ARROW, -ARROW / 2))
    head.lineTo(end + QPointF(-ARROW, ARROW / 2))
    head.closeSubpath()
    return head


def _mix(a: QColor, b: QColor, share: float = 0.6) -> QColor:
    """An opaque blend: a translucent pen costs the raster engine several times more."""
    return QColor.fromRgbF(
        share * a.redF() + (1 - share) * b.redF(),
        share * a.greenF() + (1 - share) * b.greenF(),
        share * a.blueF() + (1 - share) * b.blueF(),
    )


class EdgeLayer(QGraphicsItem):
    """Draws every edge of the scene, behind the nodes."""

    def __init__(self) -> None:
        super().__init__()
        self.edges: list[EdgeItem] = []
        self.setZValue(-2)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect
        self._bounds = QRectF()
        self._dirty = False

    def changed(self) -> None:
        """An edge moved: the bounds are recomputed once, when next asked for."""
        if not self._dirty:
            self.prepareGeometryChange()
            self._dirty = True
        self.update()

    def boundingRect(self) -> QRectF:
        if self._dirty:
            bounds = QRectF()
            for edge in self.edges:
                bounds = bounds.united(edge.curve.controlPointRect())
            self._bounds = bounds.adjusted(-ARROW, -ARROW, ARROW, ARROW)
            self._dirty = False
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        palette = palette_of(widget)
        exposed = option.exposedRect
        plain = _mix(
            palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Window)
        )
        styles: dict[tuple[str, bool], list[EdgeItem]] = {}
        for edge in self.edges:
            if not edge.curve.controlPointRect().intersects(exposed):
                continue  # stroking what is off screen is most of the cost at 100 %
            kind = "fault" if edge.faults else "selected" if edge.isSelected() else "plain"
            styles.setdefault((kind, edge.explicit), []).append(edge)
        colours = {"plain": plain, "selected": palette.color(QPalette.ColorRole.Highlight),
                   "fault": QColor(FAIL)}  # fmt: skip
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for (kind, explicit), group in styles.items():
            pen = QPen(colours[kind], 1.8 if kind == "plain" else 3.0)
            if not explicit:
                pen.setStyle(Qt.PenStyle.DashLine)
            # One stroke per curve: the raster engine strokes many small paths far
            # faster than one path of them all (that one spans the whole bounding box).
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for edge in group:
                painter.drawPath(edge.curve)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colours[kind])
            for edge in group:
                painter.drawPath(edge.head)


class EdgeItem(QGraphicsItem):
    """``target`` needs ``source``; dashed when the need is the implicit list order."""

    def __init__(
        self, layer: EdgeLayer, source: NodeItem, target: NodeItem, explicit: bool
    ) -> None:
        super().__init__()
        self.layer = layer
        self.source, self.target, self.explicit = source, target, explicit
        self.faults: list[str] = []
        self.curve = QPainterPath()
        self.head = QPainterPath()
        self._shape = QPainterPath()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setZValue(-1)
        source.edges.append(self)
        target.edges.append(self)
        layer.edges.append(self)
        self.adjust()
        self.set_faults([])

    @property
    def pair(self) -> tuple[str, str]:
        return self.source.key, self.target.key

    def adjust(self) -> None:
        # End just before the input port, so the arrowhead shows.
        end = self.target.input.scenePos() - QPointF(PORT_R + 1, 0)
        self.prepareGeometryChange()
        self.curve = bezier(self.source.output.scenePos(), end)
        self.head = _arrow(end)
        stroker = QPainterPathStroker()
        stroker.setWidth(12)  # easy to click, not the area under the curve
        self._shape = stroker.createStroke(self.curve)
        self.layer.changed()

    def boundingRect(self) -> QRectF:
        return self._shape.boundingRect()

    def shape(self) -> QPainterPath:
        return self._shape

    def paint(
        self, painter: QPainter, _option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """The layer draws it."""

    def detach(self) -> None:
        for node in (self.source, self.target):
            if self in node.edges:
                node.edges.remove(self)
        if self in self.layer.edges:
            self.layer.edges.remove(self)
            self.layer.changed()

    def set_faults(self, faults: list[str]) -> None:
        if faults == self.faults and self.toolTip():
            return
        self.faults = faults
        label = f"{self.target.key} needs {self.source.key}"
        if not self.explicit:
            label += " (list order: no explicit needs)"
        self.setToolTip("\n".join([label, *(f"✗ {f}" for f in faults)]))
        self.layer.update()

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.layer.update()
        return super().itemChange(change, value)
