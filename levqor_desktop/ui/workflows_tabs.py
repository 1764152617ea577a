"""The tabs of the Workflows panel: the editor with its faults, the test run, the history.

They are plain widgets that show what they are given and emit what the user asks for;
the panel (``ui/panels/workflows.py``) does the work through the bridge.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.document import Fault, Workflow
from levqor_desktop.core.workflows.runner import RunResult, resolve_inputs
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.models.workflows_model import StepResultsModel, VersionHistoryModel
from levqor_desktop.ui.theme import FAIL, OK
from levqor_desktop.ui.widgets.json_editor import JsonEditor
from levqor_desktop.ui.widgets.tables import row_table
from levqor_desktop.ui.workflows_live import TestRunController

__all__ = [
    "EditorTab",
    "HistoryTab",
    "TestRunTab",
    "button",
    "column",
    "make_table",
    "row",
]

_FAULT = Qt.ItemDataRole.UserRole


def button(text: str, slot: Callable[[], Any]) -> QPushButton:
    made = QPushButton(text)
    made.clicked.connect(slot)
    return made


def row(*widgets: QWidget) -> QHBoxLayout:
    layout = QHBoxLayout()
    for widget in widgets:
        layout.addWidget(widget)
    return layout


def column(*parts: QWidget | QLayout) -> QWidget:
    """A margin-less column; the first widget part takes the spare height."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for n, part in enumerate(parts):
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part, 1 if n == len(parts) - 1 or n == 0 else 0)
    return holder


def make_table(model: Any) -> QTableView:
    """A row table with rows as high as the text needs."""
    view = row_table(model, stretch="last")
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
    return view


class EditorTab(QWidget):
    """The JSON editor above the list of faults; clicking a fault moves the cursor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = JsonEditor()
        self.status = QLabel("")
        self.faults = QListWidget()
        self.faults.itemActivated.connect(self._go_to_fault)
        self.faults.itemClicked.connect(self._go_to_fault)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.status)
        bottom_layout.addWidget(self.faults)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.editor)
        splitter.addWidget(bottom)
        splitter.setSizes([520, 140])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def show_faults(self, faults: list[Fault], summary: str = "") -> None:
        self.faults.clear()
        for fault in faults:
            where = f"line {fault.line}: " if fault.line else ""
            item = QListWidgetItem(f"{where}{fault.path}: {fault.message}")
            item.setData(_FAULT, fault)
            self.faults.addItem(item)
        self.editor.mark_faults(f.line for f in faults if f.line)
        if faults:
            count = len(faults)
            self.status.setText(f"✗ {count} fault{'s' * (count != 1)} — click one to go there")
            self.status.setStyleSheet(f"color: {FAIL}")
        else:
            self.status.setText(f"✓ valid{summary}")
            self.status.setStyleSheet(f"color: {OK}")

    def _go_to_fault(self, item: QListWidgetItem) -> None:
        fault = item.data(_FAULT)
        if isinstance(fault, Fault) and fault.line:
            self.editor.go_to(fault.line, fault.column)


class TestRunTab(QWidget):
    """Inputs for a local test run, and each step's result as it happens."""

    __test__ = False  # not a pytest test class

    #: A run started or ended (the panel updates its buttons).
    state_changed = Signal()

    def __init__(
        self, bridge: Bridge, actions: ActionCatalog, validate: Callable[[str], Workflow]
    ) -> None:
        super().__init__()
        self._bridge = bridge
        self._validate = validate
        self.results = StepResultsModel()
        self.runner = TestRunController(bridge, actions, self)
        self.runner.step_event.connect(self.results.apply)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._stopped_by)
        self.inputs = QPlainTextEdit()
        self.inputs.setPlaceholderText('{"name": "value"}  (kept with the workflow)')
        self.inputs.setMaximumHeight(110)
        self.view = make_table(self.results)
        self.summary = QLabel("Run the workflow here, on this machine: nothing is recorded.")
        self.summary.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Test inputs (JSON object; defaults fill the rest)"))
        layout.addWidget(self.inputs)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.summary)

    def set_inputs(self, inputs: dict[str, Any]) -> None:
        self.inputs.setPlainText(json.dumps(inputs, indent=2, ensure_ascii=False))

    def read_inputs(self) -> dict[str, Any]:
        """The inputs as a dict; raises ValueError with a readable message."""
        text = self.inputs.toPlainText().strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"test inputs: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if not isinstance(value, dict):
            raise ValueError("test inputs must be a JSON object")
        return value

    def run(self, text: str) -> dict[str, Any] | None:
        """Test-run the document ``text``; the inputs used, or None when they do not parse."""
        try:
            inputs = self.read_inputs()
        except ValueError as exc:
            self._stopped_by(exc)
            return None
        validate = self._validate

        def prepare() -> tuple[Workflow, dict[str, Any]]:
            # Check the document and the inputs before any step is shown as pending.
            workflow = validate(text)
            return workflow, resolve_inputs(workflow, inputs)

        self._bridge.submit(
            prepare, on_result=lambda ready: self._start(*ready), on_error=self._stopped_by
        )
        return inputs

    def stop(self) -> None:
        self.runner.cancel()

    def _start(self, workflow: Workflow, inputs: dict[str, Any]) -> None:
        if self.runner.start(workflow, inputs):
            self.results.reset_steps([(s.id, s.uses) for s in workflow.steps])
            self.summary.setText("running…")
            self.summary.setStyleSheet("")
        self.state_changed.emit()

    def _finished(self, result: RunResult) -> None:
        done = sum(1 for o in result.outcomes.values() if o.status == "succeeded")
        if result.ok:
            self.summary.setText(f"✓ succeeded ({done} step{'s' * (done != 1)} ran)")
            self.summary.setStyleSheet(f"color: {OK}")
        else:
            self.summary.setText(f"✗ {result.status} at step {result.failed_step}: {result.error}")
            self.summary.setStyleSheet(f"color: {FAIL}")
        self.state_changed.emit()

    def _stopped_by(self, exc: BaseException) -> None:
        self.summary.setText(f"✗ not started: {exc}")
        self.summary.setStyleSheet(f"color: {FAIL}")
        self.state_changed.emit()


class HistoryTab(QWidget):
    """Every saved version, newest first; "Show" loads one, "Restore" makes it current."""

    show_requested = Signal(int)
    restore_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = VersionHistoryModel()
        self.view = make_table(self.model)
        self.view.doubleClicked.connect(lambda _index: self._emit(self.show_requested))
        self.show_button = QPushButton("Show in editor")
        self.restore_button = QPushButton("Restore…")
        self.show_button.clicked.connect(lambda: self._emit(self.show_requested))
        self.restore_button.clicked.connect(lambda: self._emit(self.restore_requested))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def selected_version(self) -> int | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()).version if rows else None

    def _emit(self, signal: Any) -> None:
        version = self.selected_version()
        if version is not None:
            signal.emit(version)
