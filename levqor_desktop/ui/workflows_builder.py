"""The form-based step builder (shown when ``BUILDER_ENABLED`` is on).

It edits the same JSON document as the text editor: a list of steps on the left; for
the selected step its id, its action (chosen from the catalog), its condition and a
form generated from the action's input schema. "Apply" writes the step back and emits
the whole document, which the panel puts in the editor (where it is validated).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.workflows.actions import ActionCatalog

__all__ = ["StepBuilder", "field_kind", "parse_field", "show_field", "step_form"]


def parse_field(text: str, kind: str | None) -> Any:
    """A form value: text for string inputs; otherwise JSON when it parses (an object
    may hold templates), else the text itself (e.g. a lone ``{{ expr }}``)."""
    if kind == "string":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def show_field(value: Any, kind: str | None) -> str:
    if isinstance(value, str) and (kind in (None, "string") or "{{" in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def field_kind(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if isinstance(kind, str):
        return kind
    for option in schema.get("anyOf", []):  # Optional[...] in pydantic's schema
        if isinstance(option, dict) and option.get("type") not in (None, "null"):
            return str(option["type"])
    return None


def step_form(
    step_id: QWidget, uses: QWidget, description: QWidget, condition: QWidget
) -> QFormLayout:
    """The head of a step's form: id, action (with its description) and condition."""
    head = QFormLayout()
    head.addRow("Step id", step_id)
    head.addRow("Action", uses)
    head.addRow("", description)
    head.addRow("Run only if", condition)
    return head


class StepBuilder(QWidget):
    #: The whole document after "Apply", "Add" or "Remove".
    document_changed = Signal(dict)

    def __init__(self, catalog: ActionCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.document: dict[str, Any] = {}
        self.inputs: dict[str, QLineEdit | QCheckBox] = {}
        self._kinds: dict[str, str | None] = {}

        self.steps = QListWidget()
        self.steps.currentRowChanged.connect(self._show_step)
        add, remove = QPushButton("Add step"), QPushButton("Remove")
        add.clicked.connect(self.add_step)
        remove.clicked.connect(self.remove_step)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.steps, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        left_layout.addLayout(buttons)

        self.step_id = QLineEdit()
        self.uses = QComboBox()
        self.uses.addItems(catalog.names())
        self.uses.currentTextChanged.connect(self._rebuild_inputs)
        self.condition = QLineEdit()
        self.condition.setPlaceholderText("optional, e.g. steps.fetch.output.ok")
        self.description = QLabel()
        self.description.setWordWrap(True)
        head = step_form(self.step_id, self.uses, self.description, self.condition)
        self.inputs_box = QGroupBox("Inputs")
        self.inputs_form = QFormLayout(self.inputs_box)
        self.apply_button = QPushButton("Apply to JSON")
        self.apply_button.clicked.connect(self.apply)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(head)
        right_layout.addWidget(self.inputs_box)
        right_layout.addStretch(1)
        right_layout.addWidget(self.apply_button)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([220, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    # -- document ---------------------------------------------------------------------

    def load(self, document: dict[str, Any]) -> None:
        """Show ``document``'s steps (a copy is edited)."""
        self.document = json.loads(json.dumps(document))
        self.document.setdefault("steps", [])
        keep = max(0, self.steps.currentRow())
        self.steps.blockSignals(True)
        self.steps.clear()
        for step in self._steps():
            self.steps.addItem(f"{step.get('id', '?')}  —  {step.get('uses', '?')}")
        self.steps.blockSignals(False)
        if self.steps.count():
            self.steps.setCurrentRow(min(keep, self.steps.count() - 1))
            self._show_step(self.steps.currentRow())

    def _steps(self) -> list[dict[str, Any]]:
        steps = self.document.get("steps")
        return [s for s in steps if isinstance(s, dict)] if isinstance(steps, list) else []

    def add_step(self) -> None:
        taken = {s.get("id") for s in self._steps()}
        n = len(taken) + 1
        while f"step{n}" in taken:
            n += 1
        self.document.setdefault("steps", []).append(
            {"id": f"step{n}", "uses": "core.log", "with": {"message": "hello"}}
        )
        self.steps.setCurrentRow(-1)
        self.load(self.document)
        self.steps.setCurrentRow(self.steps.count() - 1)
        self.document_changed.emit(self.document)

    def remove_step(self) -> None:
        row = self.steps.currentRow()
        if 0 <= row < len(self.document.get("steps", [])):
            del self.document["steps"][row]
            self.load(self.document)
            self.document_changed.emit(self.document)

    def apply(self) -> None:
        """Write the form into the selected step and emit the document."""
        row = self.steps.currentRow()
        steps = self.document.get("steps", [])
        if not 0 <= row < len(steps):
            return
        step = dict(steps[row])
        step["id"] = self.step_id.text().strip()
        step["uses"] = self.uses.currentText()
        if self.condition.text().strip():
            step["if"] = self.condition.text().strip()
        else:
            step.pop("if", None)
        values: dict[str, Any] = {}
        for name, widget in self.inputs.items():
            if isinstance(widget, QCheckBox):
                if widget.isChecked() or name in step.get("with", {}):
                    values[name] = widget.isChecked()
            elif widget.text() != "":
                values[name] = parse_field(widget.text(), self._kinds.get(name))
        step["with"] = values
        steps[row] = step
        self.load(self.document)
        self.document_changed.emit(self.document)

    # -- the form ---------------------------------------------------------------------

    def _show_step(self, row: int) -> None:
        steps = self._steps()
        if not 0 <= row < len(steps):
            return
        step = steps[row]
        self.step_id.setText(str(step.get("id", "")))
        self.condition.setText(str(step.get("if") or ""))
        self.uses.blockSignals(True)
        uses = str(step.get("uses", ""))
        if self.uses.findText(uses) < 0:
            self.uses.addItem(uses)
        self.uses.setCurrentText(uses)
        self.uses.blockSignals(False)
        given = step.get("with")
        self._rebuild_inputs(uses, given if isinstance(given, dict) else {})

    def _rebuild_inputs(self, uses: str, given: dict[str, Any] | None = None) -> None:
        while self.inputs_form.rowCount():
            self.inputs_form.removeRow(0)
        self.inputs.clear()
        self._kinds.clear()
        info = self.catalog.describe(uses)
        self.description.setText(info.description if info else f"{uses}: not a known action")
        if info is None:
            return
        given = given or {}
        properties = info.input_schema.get("properties", {})
        for name, schema in properties.items():
            kind = field_kind(schema)
            self._kinds[name] = kind
            label = f"{name} *" if name in info.required_inputs else name
            widget: QLineEdit | QCheckBox
            if kind == "boolean":
                widget = QCheckBox()
                default = schema.get("default", False)
                widget.setChecked(bool(given.get(name, default)))
            else:
                widget = QLineEdit()
                widget.setPlaceholderText(str(schema.get("description") or kind or "value"))
                if name in given:
                    widget.setText(show_field(given[name], kind))
            widget.setToolTip(str(schema.get("description") or ""))
            self.inputs[name] = widget
            self.inputs_form.addRow(label, widget)
