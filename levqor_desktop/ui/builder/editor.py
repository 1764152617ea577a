"""The canvas editor: palette | canvas | inspector, over one workflow document.

The document (the JSON data) is the only state; the scene shows it. Every change is a
:class:`~.commands.DocumentEdit` on a QUndoStack holding the document before and
after, so undo and redo are exact, and each applied change is emitted as
``document_changed`` (the panel writes it into the JSON editor). A change made in the
JSON editor comes back by :meth:`CanvasEditor.follow` and is on the same undo stack.

Keys on the canvas: Tab/Shift+Tab and arrows move the selection; Enter edits the
node (or ends a connection); Alt+arrows move it; C starts a connection from the
selected node; D drops its incoming edges; Delete removes; A searches the palette;
L lays out; F fits;
+/-/0 zoom; Ctrl+C/V/X, Ctrl+Z/Ctrl+Shift+Z, Ctrl+A.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.document import Fault, Workflow
from levqor_desktop.core.workflows.runner import StepEvent
from levqor_desktop.ui.builder import edits
from levqor_desktop.ui.builder.commands import DocumentEdit, install_shortcuts, standard
from levqor_desktop.ui.builder.faults import place_faults
from levqor_desktop.ui.builder.graph import (
    COLUMN,
    describe_needs,
    effective_needs,
    layered_layout,
    node_positions,
    step_keys,
    steps_of,
    upstream_of,
    would_cycle,
)
from levqor_desktop.ui.builder.inspector import Inspector, template_choices
from levqor_desktop.ui.builder.overlay import RunOverlay
from levqor_desktop.ui.builder.palette import ActionPalette
from levqor_desktop.ui.builder.scene import CanvasScene
from levqor_desktop.ui.builder.view import CanvasView
from levqor_desktop.ui.theme import FAIL

__all__ = ["CanvasEditor"]

Document = dict[str, Any]


class CanvasEditor(QWidget):
    #: The document after a change made on the canvas (or by undo/redo).
    document_changed = Signal(object)  # a dict: Signal(dict) would sort its keys
    #: The canvas's "Test run" was pressed.
    test_requested = Signal()

    def __init__(self, catalog: ActionCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.undo_stack = QUndoStack(self)
        self.overlay = RunOverlay()
        self._document: Document = {"steps": []}
        self._faults: list[Fault] = []
        self._clipboard: list[Document] = []
        self._connect_from: str | None = None
        self._view_pending: tuple[Any, bool] = (None, False)

        self.scene = CanvasScene()
        self.scene.setParent(self)
        self.view = CanvasView(self.scene)
        self.actions_palette = ActionPalette(catalog)
        self.inspector = Inspector(catalog)
        self.banner = QLabel("")
        self.banner.setWordWrap(True)
        self.scene.connect_requested.connect(self.connect_steps)
        self.scene.nodes_moved.connect(
            lambda moved: self._edit(edits.set_positions(self._document, moved), "move")
        )
        self.scene.selectionChanged.connect(self._selection_changed)
        self.view.action_dropped.connect(
            lambda uses, at: self._add_and_select(uses, (at.x(), at.y()))
        )
        self.view.nudge_requested.connect(self._nudge)
        self.actions_palette.chosen.connect(self._palette_chosen)
        self.inspector.step_edited.connect(self._step_edited)

        toolbar = QHBoxLayout()
        for text, slot, tip in (
            ("Undo", self.undo_stack.undo, "Ctrl+Z"),
            ("Redo", self.undo_stack.redo, "Ctrl+Shift+Z"),
            ("Delete", self.delete_selected, "Delete"),
            ("Auto-layout", self.auto_layout, "L"),
            ("Fit", self.view.fit, "F"),
            ("Test run", self.test_requested.emit, "run on this machine; states show on the nodes"),
        ):
            made = QPushButton(text)
            made.setToolTip(tip)
            made.clicked.connect(slot)
            toolbar.addWidget(made)
        toolbar.addWidget(self.banner, 1)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addLayout(toolbar)
        middle_layout.addWidget(self.view, 1)
        splitter = QSplitter()
        splitter.addWidget(self.actions_palette)
        splitter.addWidget(middle)
        splitter.addWidget(self.inspector)
        splitter.setSizes([190, 760, 300])
        splitter.setStretchFactor(1, 1)
        QVBoxLayout(self).addWidget(splitter)
        self._keys()

    def _keys(self) -> None:
        std = QKeySequence.StandardKey
        install_shortcuts(self.view, [
            ("Delete", [*standard(std.Delete), "Backspace"], self.delete_selected),
            ("Copy", standard(std.Copy), self.copy_selected),
            ("Paste", standard(std.Paste), self.paste),
            ("Cut", standard(std.Cut), self.cut_selected),
            ("Undo", standard(std.Undo), self.undo_stack.undo),
            ("Redo", [*standard(std.Redo), "Ctrl+Y"], self.undo_stack.redo),
            ("Select all", standard(std.SelectAll), lambda: self.select(list(self.scene.nodes))),
            ("Connect from here…", ["C"], self.start_connect),
            ("Drop incoming edges", ["D"], self.drop_incoming),
            ("Add a step…", ["A", "N"], self._search_palette),
            ("Auto-layout", ["L"], self.auto_layout),
            ("Edit the step / end the connection", ["Return", "Enter"], self._enter),
            ("Cancel the connection", ["Escape"], self.cancel_connect),
        ])  # fmt: skip
        # Right-click offers the same commands, with their keys.
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        back = QAction(self.inspector)  # Esc in the form returns to the canvas
        back.setShortcut(QKeySequence("Escape"))
        back.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.triggered.connect(lambda: self.view.setFocus(Qt.FocusReason.ShortcutFocusReason))
        self.inspector.addAction(back)

    # -- the document ---------------------------------------------------------------------

    def document(self) -> Document:
        return copy.deepcopy(self._document)

    def reset(self, document: Mapping[str, Any]) -> None:
        """Show another document; the undo history starts afresh."""
        self.undo_stack.clear()
        self.overlay.states.clear()
        self.apply_document(copy.deepcopy(dict(document)), announce=False)
        self._view_pending = document.get("ui"), True
        if self.isVisible():
            self._show_view()

    def _show_view(self) -> None:
        # Fitting needs the viewport's real size: a hidden tab waits until it is shown.
        state, pending = self._view_pending
        if pending and not self.view.restore_state(state):
            self.view.fit()
        self._view_pending = None, False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._show_view()

    def forget(self) -> None:
        """The next document that arrives is another workflow: no undo across it."""
        self.undo_stack.clear()
        self._document = {"steps": []}

    def follow(self, document: Mapping[str, Any]) -> None:
        """The JSON editor changed the document: show it (undoable on the canvas too)."""
        if dict(document) == self._document:
            return
        if not self._document.get("steps") and not self.undo_stack.count():
            self.reset(document)
            return
        after = copy.deepcopy(dict(document))
        self.undo_stack.push(
            DocumentEdit(self, self.document(), after, "edit JSON", announce_first=False)
        )

    def apply_document(self, document: Document, *, announce: bool) -> None:
        self._document = document
        self.scene.sync(document, node_positions(document))
        self._place_faults()
        self._selection_changed()
        if announce:
            self.document_changed.emit(self.document())

    def _edit(self, after: Document, text: str) -> None:
        # Every node gets its position written the first time the canvas edits.
        positions = self.scene.positions()
        unplaced = {
            key: positions[key]
            for step, key in zip(steps_of(after), step_keys(after), strict=True)
            if isinstance(step, Mapping) and "ui" not in step and key in positions
        }
        after = edits.set_positions(after, unplaced)
        if after.get("steps"):
            after["ui"] = self.view.state()  # the view as of the last edit (Workflow.ui)
        if after != self._document:
            self.undo_stack.push(DocumentEdit(self, self.document(), after, text))

    # -- edits -------------------------------------------------------------------------------

    def add_step(
        self, uses: str, at: tuple[float, float] | None = None, *, after: str | None = None
    ) -> str:
        """Add a step calling ``uses``; returns its id."""
        if at is None:
            centre = self.view.mapToScene(self.view.viewport().rect().center())
            at = (centre.x(), centre.y())
        made, new_id = edits.add_step(self._document, uses, at, after=after)
        self._edit(made, f"add {new_id}")
        return new_id

    def connect_steps(self, source: str, target: str) -> bool:
        """``target`` needs ``source``; refused (False) when it would close a cycle."""
        if any(k.startswith("#") or k not in self.scene.nodes for k in (source, target)):
            return False  # a step without a (unique) id cannot be named in needs
        if would_cycle(source, target, effective_needs(self._document)):
            self._say(f"✗ {target} cannot need {source}: that would make a cycle", error=True)
            return False
        self._edit(edits.connect(self._document, source, target), f"connect {source} → {target}")
        return True

    def delete_selected(self) -> None:
        keys, pairs = self.scene.selected_keys(), self.scene.selected_edges()
        made = edits.disconnect(self._document, pairs) if pairs else self._document
        if keys:
            made = edits.remove_steps(made, keys)
        if keys or pairs:
            self._edit(made, f"delete {len(keys)} steps, {len(pairs)} edges")

    def drop_incoming(self) -> None:
        keys = set(self.scene.selected_keys())
        pairs = [p for p in self.scene.edge_items if p[1] in keys]
        if pairs:
            self._edit(edits.disconnect(self._document, pairs), "drop incoming edges")

    def copy_selected(self) -> None:
        keys = set(self.scene.selected_keys())
        positions = self.scene.positions()
        self._clipboard = [
            edits.set_positions({"steps": [step]}, {key: positions[key]})["steps"][0]
            for step, key in zip(steps_of(self._document), step_keys(self._document), strict=True)
            if key in keys and isinstance(step, Mapping)
        ]
        # The system clipboard gets the steps as JSON too, for pasting elsewhere.
        QApplication.clipboard().setText(json.dumps(self._clipboard, indent=2, ensure_ascii=False))

    def cut_selected(self) -> None:
        self.copy_selected()
        self.delete_selected()

    def paste(self) -> list[str]:
        if not self._clipboard:
            return []
        made, ids = edits.paste_steps(self._document, self._clipboard)
        self._edit(made, f"paste {len(ids)} steps")
        self.select(ids)
        return ids

    def auto_layout(self) -> None:
        self._edit(
            edits.set_positions(self._document, layered_layout(self._document)), "auto-layout"
        )
        self.view.fit()

    def _nudge(self, dx: float, dy: float) -> None:
        keys = self.scene.selected_keys()
        moved = {k: (self.scene.nodes[k].x() + dx, self.scene.nodes[k].y() + dy) for k in keys}
        if moved:
            self._edit(edits.set_positions(self._document, moved), "move")

    def _step_edited(self, key: str, step: dict[str, Any]) -> None:
        self._edit(edits.replace_step(self._document, key, step), f"edit {key}")
        new_key = step.get("id")
        if isinstance(new_key, str) and new_key in self.scene.nodes:
            self.select([new_key])

    # -- selection, keyboard -----------------------------------------------------------------

    def select(self, keys: list[str]) -> None:
        self.scene.select_only(keys)

    def _add_and_select(
        self, uses: str, at: tuple[float, float] | None, after: str | None = None
    ) -> None:
        new_id = self.add_step(uses, at, after=after)
        self.select([new_id])
        self.view.setFocus()

    def _palette_chosen(self, uses: str) -> None:
        current = self.view.current_key()
        if current is not None and not current.startswith("#"):
            x, y = self.scene.positions()[current]
            self._add_and_select(uses, (x + COLUMN, y), after=current)
        else:
            self._add_and_select(uses, None)

    def _search_palette(self) -> None:
        self.actions_palette.search.setFocus()
        self.actions_palette.search.selectAll()

    def start_connect(self) -> None:
        current = self.view.current_key()
        if current is None:
            return
        self.cancel_connect()
        self._connect_from = current
        self.scene.nodes[current].set_connect_source(True)
        self._say(
            f"connect from {current}: select the step that needs it, press Enter (Esc cancels)"
        )

    def cancel_connect(self) -> None:
        if self._connect_from in self.scene.nodes:
            self.scene.nodes[self._connect_from].set_connect_source(False)
        self._connect_from = None
        self._place_faults()

    def _enter(self) -> None:
        target = self.view.current_key()
        if self._connect_from is not None and target is not None:
            source = self._connect_from
            self.cancel_connect()
            self.connect_steps(source, target)
        elif target is not None:
            self.inspector.step_id.setFocus()

    def _selection_changed(self) -> None:
        keys = self.scene.selected_keys()
        if len(keys) != 1:
            self.inspector.show_step(None, None, [])
            return
        key = keys[0]
        step = steps_of(self._document)[step_keys(self._document).index(key)]
        needs = effective_needs(self._document)
        up = [k for k in step_keys(self._document) if k in upstream_of(key, needs)]
        inputs = self._document.get("inputs")
        names = list(inputs) if isinstance(inputs, Mapping) else []
        choices = template_choices(names, up, self.overlay.outputs())
        shown = step if isinstance(step, Mapping) else None
        run, waits = self.overlay.describe(key), describe_needs(step, needs[key])
        self.inspector.show_step(key, shown, choices, run, waits)

    # -- faults and the live run --------------------------------------------------------------

    def set_faults(self, faults: list[Fault]) -> None:
        self._faults = list(faults)
        self._place_faults()

    def _place_faults(self) -> None:
        placed = place_faults(self._document, self._faults)
        self.scene.set_faults(placed.nodes, placed.edges)
        if placed.document:
            self._say("✗ " + "; ".join(placed.document), error=True)
        elif self._faults:
            count = len(self._faults)
            self._say(f"✗ {count} fault{'s' * (count != 1)}: hover the red nodes", error=True)
        elif not self.scene.nodes:
            self._say("Drag an action here from the palette, or press A to search for one.")
        else:
            self._say("")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(f"color: {FAIL}" if error else "")

    def begin_run(self, workflow: Workflow | None, inputs: Mapping[str, Any]) -> None:
        self.overlay.begin(self.scene.nodes, workflow, inputs)
        self.overlay.show_on(self.scene.nodes)

    def end_run(self) -> None:
        """The run is over (or never started): steps still queued did not run."""
        self.overlay.end()
        self.overlay.show_on(self.scene.nodes)

    def apply_event(self, event: StepEvent) -> None:
        self.overlay.apply(event)
        self.overlay.show_on(self.scene.nodes, only=event.step_id)
        if self.scene.selected_keys() == [event.step_id]:
            self.inspector.show_run(self.overlay.describe(event.step_id))
