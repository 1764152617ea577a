"""The canvas scene: nodes and edges kept in step with a document, port-to-port dragging.

:meth:`CanvasScene.sync` updates the items in place (by step key), so selection,
run states and the view survive a document change. The scene never edits the
document: it reports what the user did (``connect_requested``, ``nodes_moved``) and
the editor turns that into an undoable edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
)

from levqor_desktop.ui.builder.edges import EdgeItem, EdgeLayer, bezier
from levqor_desktop.ui.builder.graph import edges, step_keys, steps_of
from levqor_desktop.ui.builder.items import NodeItem, PortItem, ensure_cache_room

__all__ = ["CanvasScene"]


class CanvasScene(QGraphicsScene):
    #: (source key, target key): the user dragged from an output to an input.
    connect_requested = Signal(str, str)
    #: {key: (x, y)} of the nodes the user dragged, once the drag ends.
    nodes_moved = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, NodeItem] = {}
        self.edge_items: dict[tuple[str, str], EdgeItem] = {}
        self.edge_layer = EdgeLayer()
        self.addItem(self.edge_layer)
        self._drag_from: NodeItem | None = None
        self._rubber: QGraphicsPathItem | None = None
        self._pressed_at: dict[str, QPointF] = {}
        #: Nodes cached at screen resolution (zoomed in) rather than their own.
        self.sharp = False

    def set_sharp(self, sharp: bool) -> None:
        if sharp != self.sharp:
            self.sharp = sharp
            for node in self.nodes.values():
                node.use_sharp_cache(sharp)

    # -- the document ---------------------------------------------------------------

    def sync(
        self, document: Mapping[str, Any], positions: Mapping[str, tuple[float, float]]
    ) -> None:
        """Show ``document``: one node per step at ``positions``, one edge per need."""
        keys = step_keys(document)
        ensure_cache_room(len(keys))
        for key in set(self.nodes) - set(keys):
            self._remove_node(key)
        for step, key in zip(steps_of(document), keys, strict=True):
            uses = str(step.get("uses", "?")) if isinstance(step, Mapping) else "?"
            condition = step.get("if") if isinstance(step, Mapping) else None
            node = self.nodes.get(key)
            if node is None:
                node = self.nodes[key] = NodeItem(key, uses)
                node.use_sharp_cache(self.sharp)
                self.addItem(node)
            node.set_content(uses, condition if isinstance(condition, str) else None)
            x, y = positions.get(key, (0.0, 0.0))
            if node.pos() != QPointF(x, y):
                node.setPos(x, y)
        wanted = {(s, t): explicit for s, t, explicit in edges(document)}
        for pair in [p for p, e in self.edge_items.items() if wanted.get(p) != e.explicit]:
            edge = self.edge_items.pop(pair)
            edge.detach()
            self.removeItem(edge)
        for (source, target), explicit in wanted.items():
            if (source, target) not in self.edge_items:
                edge = EdgeItem(self.edge_layer, self.nodes[source], self.nodes[target], explicit)
                self.edge_items[(source, target)] = edge
                self.addItem(edge)

    def _remove_node(self, key: str) -> None:
        node = self.nodes.pop(key)
        for pair in [p for p in self.edge_items if key in p]:
            edge = self.edge_items.pop(pair)
            edge.detach()
            self.removeItem(edge)
        self.removeItem(node)

    def positions(self) -> dict[str, tuple[float, float]]:
        return {key: (node.x(), node.y()) for key, node in self.nodes.items()}

    def set_faults(
        self, on_nodes: Mapping[str, list[str]], on_edges: Mapping[tuple[str, str], list[str]]
    ) -> None:
        for key, node in self.nodes.items():
            node.set_faults(list(on_nodes.get(key, [])))
        for pair, edge in self.edge_items.items():
            edge.set_faults(list(on_edges.get(pair, [])))

    # -- selection --------------------------------------------------------------------

    def selected_keys(self) -> list[str]:
        """The selected nodes, in document order (the order of ``self.nodes``)."""
        return [key for key, node in self.nodes.items() if node.isSelected()]

    def selected_edges(self) -> list[tuple[str, str]]:
        return [pair for pair, edge in self.edge_items.items() if edge.isSelected()]

    def select_only(self, keys: list[str]) -> None:
        self.clearSelection()
        for key in keys:
            if key in self.nodes:
                self.nodes[key].setSelected(True)

    # -- dragging: connect from a port, or move nodes ---------------------------------

    def _node_at(self, pos: QPointF) -> tuple[NodeItem | None, PortItem | None]:
        for item in self.items(pos, Qt.ItemSelectionMode.IntersectsItemShape,
                               Qt.SortOrder.DescendingOrder, QTransform()):  # fmt: skip
            if isinstance(item, PortItem):
                return item.node, item
            if isinstance(item, NodeItem):
                return item, None
        return None, None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        node, port = self._node_at(event.scenePos())
        if port is not None and port.output and event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = node
            self._rubber = QGraphicsPathItem()
            pen = QPen(self.palette().highlight().color(), 2, Qt.PenStyle.DashLine)
            self._rubber.setPen(pen)
            self.addItem(self._rubber)
            event.accept()
            return
        super().mousePressEvent(event)
        self._pressed_at = {k: n.pos() for k, n in self.nodes.items() if n.isSelected()}

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_from is not None and self._rubber is not None:
            self._rubber.setPath(bezier(self._drag_from.output.centre(), event.scenePos()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag_from is not None:
            source = self._drag_from
            self._drag_from = None
            if self._rubber is not None:
                self.removeItem(self._rubber)
                self._rubber = None
            target, port = self._node_at(event.scenePos())
            if target is not None and target is not source and (port is None or not port.output):
                self.connect_requested.emit(source.key, target.key)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        moved = {
            key: (self.nodes[key].x(), self.nodes[key].y())
            for key, before in self._pressed_at.items()
            if key in self.nodes and self.nodes[key].pos() != before
        }
        self._pressed_at = {}
        if moved:
            self.nodes_moved.emit(moved)
