"""The inspector: the selected node's form, generated from its action's input schema,
and what the last test run did at that node.

Text fields complete templates: typing ``{{`` (or any part of a name after it) offers
``inputs.<name>`` and ``steps.<upstream>.output`` — only steps upstream of this one,
since only their outputs exist when it runs — plus the output keys a test run saw.
Each field writes back when editing finishes (one undo step per field).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.ui.workflows_builder import field_kind, parse_field, show_field, step_form

__all__ = ["Inspector", "TemplateCompleter", "template_choices"]


def template_choices(
    inputs: Sequence[str], upstream: Sequence[str], outputs: Mapping[str, Any]
) -> list[str]:
    """The references a step may use: inputs, upstream outputs and their known keys."""
    choices = [f"inputs.{name}" for name in inputs]
    for key in upstream:
        choices.append(f"steps.{key}.output")
        seen = outputs.get(key)
        if isinstance(seen, Mapping):
            choices += [f"steps.{key}.output.{field}" for field in seen]
    return choices


class TemplateCompleter(QCompleter):
    """Completes the template being typed after the last ``{{`` of a line edit."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.choices = QStringListModel(self)
        self.setModel(self.choices)
        self.edit = edit
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setWidget(edit)
        self.activated.connect(self.insert)
        edit.textEdited.connect(self._typed)

    def set_choices(self, choices: list[str]) -> None:
        self.choices.setStringList(choices)

    def _open_template(self) -> int:
        text = self.edit.text()[: self.edit.cursorPosition()]
        start = text.rfind("{{")
        return start if start >= 0 and "}}" not in text[start:] else -1

    def _typed(self, _text: str) -> None:
        start = self._open_template()
        if start < 0:
            popup = self.popup()
            if popup is not None:
                popup.hide()
            return
        self.setCompletionPrefix(self.edit.text()[start + 2 : self.edit.cursorPosition()].strip())
        self.complete()

    def insert(self, choice: str) -> None:
        start = self._open_template()
        text, cursor = self.edit.text(), self.edit.cursorPosition()
        if start < 0:
            start, cursor = len(text), len(text)
        rest = text[cursor:]
        closing = "" if rest.lstrip().startswith("}}") else " }}"
        self.edit.setText(f"{text[:start]}{{{{ {choice}{closing}{rest}")
        self.edit.setCursorPosition(start + len(choice) + 3 + len(closing))
        self.edit.editingFinished.emit()


class Inspector(QWidget):
    #: (step key, the step as edited): one field finished editing.
    step_edited = Signal(str, object)  # the step dict, key order kept

    def __init__(self, catalog: ActionCatalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.key: str | None = None
        self.step: dict[str, Any] = {}
        self.fields: dict[str, QLineEdit | QCheckBox] = {}
        self.completers: list[TemplateCompleter] = []
        self._choices: list[str] = []
        self._kinds: dict[str, str | None] = {}

        self.title = QLabel("Select a node")
        self.title.setObjectName("PanelTitle")
        self.step_id = QLineEdit()
        self.step_id.editingFinished.connect(self._write)
        self.uses = QComboBox()
        self.uses.addItems(catalog.names())
        self.uses.activated.connect(lambda _i: self._write())
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("Muted")
        self.condition = QLineEdit()
        self.condition.setPlaceholderText("run only if… e.g. steps.fetch.output.ok")
        self.condition.editingFinished.connect(self._write)
        self.completers.append(TemplateCompleter(self.condition))
        head = step_form(self.step_id, self.uses, self.description, self.condition)
        self.inputs_box = QGroupBox("Inputs")
        self.inputs_form = QFormLayout(self.inputs_box)
        self.run_box = QGroupBox("Last test run")
        self.run_text = QPlainTextEdit()
        self.run_text.setReadOnly(True)
        self.run_text.setPlaceholderText(
            "Test-run the workflow to see this step's input and output."
        )
        QVBoxLayout(self.run_box).addWidget(self.run_text)
        self.form = QWidget()
        form_layout = QVBoxLayout(self.form)
        form_layout.setContentsMargins(0, 0, 0, 0)
        form_layout.addLayout(head)
        self.needs = QLabel("")
        self.needs.setWordWrap(True)
        form_layout.addWidget(self.needs)
        form_layout.addWidget(self.inputs_box)
        form_layout.addWidget(self.run_box, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(scroll, 1)
        self.form.setEnabled(False)

    def show_step(
        self,
        key: str | None,
        step: Mapping[str, Any] | None,
        choices: list[str],
        run: str = "",
        needs: str = "",
    ) -> None:
        """Show ``step`` (None: nothing selected); ``choices`` feed the completion,
        ``needs`` says what it waits for."""
        self.needs.setText(needs)
        for completer in self.completers:
            completer.set_choices(choices)
        self._choices = choices
        self.run_text.setPlainText(run)
        if key is not None and key == self.key and dict(step or {}) == self.step:
            return  # the form already shows it (and may be inside one of its own signals)
        self.key, self.step = key, copy.deepcopy(dict(step or {}))
        self.form.setEnabled(key is not None and step is not None)
        self.title.setText(key or "Select a node")
        self.step_id.setText(str(self.step.get("id", "")))
        self.condition.setText(str(self.step.get("if") or ""))
        uses = str(self.step.get("uses", ""))
        if uses and self.uses.findText(uses) < 0:
            self.uses.addItem(uses)
        self.uses.setCurrentText(uses)
        given = self.step.get("with")
        self._rebuild_inputs(uses, given if isinstance(given, dict) else {})

    def show_run(self, text: str) -> None:
        self.run_text.setPlainText(text)

    def _rebuild_inputs(self, uses: str, given: dict[str, Any]) -> None:
        while self.inputs_form.rowCount():
            self.inputs_form.removeRow(0)
        self.fields.clear()
        self._kinds.clear()
        del self.completers[1:]
        info = self.catalog.describe(uses)
        self.description.setText(info.description if info else f"{uses}: not a known action")
        properties = info.input_schema.get("properties", {}) if info else {}
        for name in [*properties, *(n for n in given if n not in properties)]:
            schema = properties.get(name, {})
            kind = field_kind(schema)
            self._kinds[name] = kind
            widget: QLineEdit | QCheckBox
            if kind == "boolean" and not isinstance(given.get(name), str):
                widget = QCheckBox()
                widget.setChecked(bool(given.get(name, schema.get("default", False))))
                widget.toggled.connect(lambda _on: self._write())
            else:
                widget = QLineEdit()
                widget.setPlaceholderText(str(schema.get("description") or kind or "value"))
                if name in given:
                    widget.setText(show_field(given[name], kind))
                widget.editingFinished.connect(self._write)
                completer = TemplateCompleter(widget)
                completer.set_choices(self._choices)
                self.completers.append(completer)
            widget.setToolTip(str(schema.get("description") or ""))
            self.fields[name] = widget
            required = info is not None and name in info.required_inputs
            self.inputs_form.addRow(f"{name} *" if required else name, widget)

    def edited_step(self) -> dict[str, Any]:
        """The step as the form shows it (keys the form does not know are kept)."""
        step = copy.deepcopy(self.step)
        step["id"] = self.step_id.text().strip()
        uses = self.uses.currentText()
        action_changed = uses != step.get("uses")
        step["uses"] = uses
        condition = self.condition.text().strip()
        if condition:
            step["if"] = condition
        else:
            step.pop("if", None)
        values: dict[str, Any] = {}
        given = step.get("with")
        old: dict[str, Any] = given if isinstance(given, dict) else {}
        for name, widget in self.fields.items():
            if isinstance(widget, QCheckBox):
                if widget.isChecked() or name in old:
                    values[name] = widget.isChecked()
            elif widget.text() != "":
                values[name] = parse_field(widget.text(), self._kinds.get(name))
        if action_changed:  # keep the inputs the new action also takes
            info = self.catalog.describe(uses)
            known = info.input_schema.get("properties", {}) if info else {}
            values = {name: value for name, value in values.items() if name in known}
        if values or "with" in step:
            step["with"] = values
        return step

    def _write(self) -> None:
        if self.key is None:
            return
        step = self.edited_step()
        if step != self.step:
            self.step = copy.deepcopy(step)
            self.step_edited.emit(self.key, step)
