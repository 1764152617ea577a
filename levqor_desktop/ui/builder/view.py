"""The canvas view: zoom (wheel, +/-/0), pan (middle button, scroll bars), fit (F),
moving the selection between nodes by keyboard (Tab/Shift+Tab, arrows) and the nodes
themselves (Alt+arrows), rubber-band selection, and drops from the palette."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView, QWidget

from levqor_desktop.ui.builder.items import NODE_H, NODE_W
from levqor_desktop.ui.builder.scene import CanvasScene

__all__ = ["ACTION_MIME", "CanvasView"]

#: The drag payload of a palette entry: the action's ``uses``, UTF-8.
ACTION_MIME = "application/x-levqor-action"
ZOOM_STEP, MIN_ZOOM, MAX_ZOOM = 1.15, 0.1, 4.0
NUDGE = 20.0  # scene units per Alt+arrow
#: Above this zoom nodes are cached at screen resolution (see NodeItem.use_sharp_cache).
SHARP_ABOVE = 1.02

_DIRECTIONS = {
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Down: (0, 1),
    Qt.Key.Key_Up: (0, -1),
}


class CanvasView(QGraphicsView):
    #: (uses, scene position) of an action dropped from the palette.
    action_dropped = Signal(str, QPointF)
    #: (dx, dy) in scene units: Alt+arrow moves the selected nodes.
    nudge_requested = Signal(float, float)

    def __init__(self, scene: CanvasScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.canvas = scene
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Zoomed out, nodes are scaled pictures: smooth scaling keeps their text legible.
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None

    def changeEvent(self, event: QEvent) -> None:
        # The nodes are cached pictures: a new theme must repaint them.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            for node in self.canvas.nodes.values():
                node.update()
            self.canvas.edge_layer.update()
        super().changeEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        painter.fillRect(rect, self.palette().window())  # follows the theme

    # -- zoom, pan, fit ------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        self.scale(target / self.zoom(), target / self.zoom())
        self._zoomed()

    def reset_zoom(self) -> None:
        self.resetTransform()
        self._zoomed()

    def _zoomed(self) -> None:
        self.canvas.set_sharp(self.zoom() > SHARP_ABOVE)

    def fit(self) -> None:
        bounds = self.canvas.itemsBoundingRect().adjusted(-40, -40, 40, 40)
        if bounds.isEmpty():
            return
        self.fitInView(bounds, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:  # a small graph stays at a readable size
            self.zoom_by(1.25 / self.zoom())
        self._zoomed()

    def state(self) -> dict[str, Any]:
        """Zoom and the scene point at the centre, for the document's ``ui``."""
        centre = self.mapToScene(self.viewport().rect().center())
        return {"zoom": round(self.zoom(), 3), "center": [round(centre.x()), round(centre.y())]}

    def restore_state(self, state: Any) -> bool:
        """Show the view ``state()`` gave; False when ``state`` is not one."""
        if not isinstance(state, Mapping):
            return False
        zoom, centre = state.get("zoom"), state.get("center")
        if not isinstance(zoom, int | float) or not isinstance(centre, list) or len(centre) != 2:
            return False
        if not all(isinstance(c, int | float) for c in centre):
            return False
        self.resetTransform()
        self.zoom_by(float(zoom))
        self.centerOn(float(centre[0]), float(centre[1]))
        return True

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP**steps)
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan(self, dx: float, dy: float) -> None:
        """Scroll by (dx, dy) viewport pixels."""
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(dy))

    # -- keyboard --------------------------------------------------------------------------

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab moves between nodes while the canvas has any; Ctrl+Tab leaves it.
        return False if self.canvas.nodes else super().focusNextPrevChild(next)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, mods = Qt.Key(event.key()), event.modifiers()
        plain = not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not plain:
            QWidget.focusNextPrevChild(self, key == Qt.Key.Key_Tab)  # Ctrl+Tab leaves the canvas
        elif key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            back = key == Qt.Key.Key_Backtab or bool(mods & Qt.KeyboardModifier.ShiftModifier)
            self.select_step(-1 if back else 1)
        elif key in _DIRECTIONS and plain:
            self.select_towards(*_DIRECTIONS[key])
        elif key in _DIRECTIONS and mods & Qt.KeyboardModifier.AltModifier:
            dx, dy = _DIRECTIONS[key]
            self.nudge_requested.emit(dx * NUDGE, dy * NUDGE)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal) and plain:
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus and plain:
            self.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0 and plain:
            self.reset_zoom()
        elif key == Qt.Key.Key_F and plain:
            self.fit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def current_key(self) -> str | None:
        selected = self.canvas.selected_keys()
        return selected[-1] if selected else None

    def select_step(self, offset: int) -> None:
        """Select the next (or previous) step in document order."""
        keys = list(self.canvas.nodes)
        if not keys:
            return
        current = self.current_key()
        index = keys.index(current) + offset if current in keys else (0 if offset > 0 else -1)
        self._select(keys[index % len(keys)])

    def select_towards(self, dx: int, dy: int) -> None:
        """Select the nearest node in the direction (dx, dy) of the current one."""
        current = self.current_key()
        if current is None:
            self.select_step(1)
            return
        here = self.canvas.nodes[current].pos()
        best: tuple[float, str] | None = None
        for key, node in self.canvas.nodes.items():
            d = node.pos() - here
            along = d.x() * dx + d.y() * dy
            if key == current or along <= 0:
                continue
            across = abs(d.x() * dy) + abs(d.y() * dx)
            score = along / (NODE_W if dx else NODE_H) + 2 * across / (NODE_H if dx else NODE_W)
            if best is None or score < best[0]:
                best = (score, key)
        if best is not None:
            self._select(best[1])

    def _select(self, key: str) -> None:
        self.canvas.select_only([key])
        self.ensureVisible(self.canvas.nodes[key], 40, 40)

    # -- drops from the palette --------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(ACTION_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(ACTION_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if not data.hasFormat(ACTION_MIME):
            super().dropEvent(event)
            return
        uses = bytes(data.data(ACTION_MIME).data()).decode("utf-8")
        self.action_dropped.emit(uses, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
