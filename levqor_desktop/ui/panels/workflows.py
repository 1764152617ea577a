"""Workflows: the stored workflows, a JSON editor with live validation, test runs, history.

Every core call goes through the bridge (off the UI thread). Validation runs as typing
pauses; a test run shows each step as it starts and ends; "Run" queues a real job on
the saved version; restoring a version asks first. With ``BUILDER_ENABLED`` the canvas
(``ui/builder/``) and a form-based step builder edit the same document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
)

from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.workflows.document import Fault, Workflow, WorkflowInvalid
from levqor_desktop.core.workflows.store import StoredWorkflow, WorkflowSummary
from levqor_desktop.errors import LevqorError
from levqor_desktop.ui.builder.link import attach_canvas
from levqor_desktop.ui.models.workflows_model import WorkflowListModel
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.workflows_builder import StepBuilder
from levqor_desktop.ui.workflows_live import LiveValidator
from levqor_desktop.ui.workflows_tabs import (
    EditorTab,
    HistoryTab,
    TestRunTab,
    button,
    column,
    make_table,
    row,
)

NEW_DOCUMENT: dict[str, Any] = {
    "name": "new-workflow",
    "description": "",
    "trigger": {"type": "manual"},
    "inputs": {"who": {"type": "string", "default": "world"}},
    "steps": [{"id": "hello", "uses": "core.log", "with": {"message": "hello {{ inputs.who }}"}}],
}


class WorkflowsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        self.current: StoredWorkflow | None = None
        self.workflow: Workflow | None = None  # the editor's text, when valid
        self._loaded_text = ""
        self._select_after_refresh: int | None = None

        self.list_model = WorkflowListModel()
        self.list_view = make_table(self.list_model)
        self.list_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.delete_button = button("Delete…", self.delete_current)
        left = column(
            self.list_view,
            row(
                button("New", self.new_workflow),
                button("Import…", self.import_file),
                button("Export…", self.export_file),
                self.delete_button,
            ),
        )

        self.title = QLabel("New workflow")
        self.title.setObjectName("PanelTitle")
        self.note = QLineEdit()
        self.note.setPlaceholderText("version note (optional)")
        self.note.setMinimumWidth(160)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.save_button = button("Save", self.save)
        self.save_button.setShortcut("Ctrl+S")
        self.test_button = button("Test run", self.test_run)
        self.stop_button = button("Stop", self.stop_test)
        self.run_button = button("Run", self.run_job)

        self.editor_tab = EditorTab()
        self.editor = self.editor_tab.editor
        self.test_tab = TestRunTab(self.bridge, self.app.actions, self.app.workflows.validate)
        self.test_tab.state_changed.connect(self._update_buttons)
        self.runner = self.test_tab.runner
        self.history_tab = HistoryTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.editor_tab, "Editor")
        self.builder: StepBuilder | None = None
        if self.app.flags.enabled(FlagName.BUILDER_ENABLED):
            self.builder = StepBuilder(self.app.actions)
            self.builder.document_changed.connect(self._builder_changed)
            self.tabs.addTab(self.builder, "Builder")
        self.tabs.addTab(self.test_tab, "Test run")
        self.tabs.addTab(self.history_tab, "History")
        self.tabs.currentChanged.connect(self._tab_changed)
        toolbar = row(self.title, self.note, self.save_button, self.test_button,
                      self.stop_button, self.run_button)  # fmt: skip
        toolbar.setStretch(0, 1)
        right = column(toolbar, self.tabs)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([300, 800])
        QVBoxLayout(self).addWidget(splitter)

        self.validator = LiveValidator(self.bridge, self.app.workflows.validate, self)
        self.validator.validated.connect(self._validated)
        self.editor.edited.connect(self._edited)
        self.history_tab.show_requested.connect(self.show_version)
        self.history_tab.restore_requested.connect(self.restore_version)
        self.canvas = attach_canvas(self) if self.builder is not None else None
        self._set_text(json.dumps(NEW_DOCUMENT, indent=2) + "\n")
        self._update_buttons()

    # -- helpers ----------------------------------------------------------------------

    @property
    def actor(self) -> Actor:
        if self.app.actor is None:
            raise LevqorError("no operator: the database is not ready")
        return self.app.actor

    @property
    def dirty(self) -> bool:
        return self.editor.text() != self._loaded_text

    def confirm(self, title: str, text: str) -> bool:
        """Ask before a destructive step (tests replace this)."""
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def choose_file(self, *, save: bool, suggested: str = "") -> str:
        """A file name from a dialog, or "" (tests replace this)."""
        if save:
            return QFileDialog.getSaveFileName(self, "Export workflow", suggested, "JSON (*.json)")[
                0
            ]
        return QFileDialog.getOpenFileName(self, "Import workflow", "", "JSON (*.json)")[0]

    def _set_text(self, text: str) -> None:
        self._loaded_text = text
        if self.canvas is not None:
            self.canvas.forget()  # another workflow: the canvas's undo ends here
        self.editor.set_text(text)
        self.validator.validate_now(text)

    def _message(self, text: str) -> None:
        self.ctx.window.show_message(text)

    def _update_buttons(self) -> None:
        testing = self.runner.running
        self.test_button.setEnabled(not testing)
        self.stop_button.setEnabled(testing)
        self.delete_button.setEnabled(self.current is not None)
        self.history_tab.restore_button.setEnabled(self.current is not None)
        jobs = getattr(self.app, "jobs", None)
        if jobs is None or not hasattr(jobs, "enqueue"):
            self.run_button.setEnabled(False)
            self.run_button.setToolTip("the job service is not available in this build")
        elif self.current is None or self.dirty:
            self.run_button.setEnabled(False)
            self.run_button.setToolTip("save the workflow first: a job runs a saved version")
        else:
            self.run_button.setEnabled(True)
            self.run_button.setToolTip(
                f"queue a job for {self.current.name} v{self.current.version}"
            )
        name = self.current.name if self.current else "New workflow"
        version = f" · v{self.current.current_version}" if self.current else ""
        self.title.setText(f"{name}{version}{' · modified' if self.dirty else ''}")

    # -- list -------------------------------------------------------------------------

    def on_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.bridge.submit(self.app.workflows.list, self.actor, on_result=self._listed)

    def _listed(self, rows: list[WorkflowSummary]) -> None:
        selection = self.list_view.selectionModel()
        selection.blockSignals(True)
        self.list_model.set_rows(rows)
        wanted = self._select_after_refresh or (self.current.id if self.current else None)
        self._select_after_refresh = None
        found = self.list_model.row_of(wanted) if wanted is not None else None
        if found is not None:
            self.list_view.selectRow(found)
        selection.blockSignals(False)

    def _selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = selected.indexes()
        if not rows:
            return
        summary = self.list_model.row_at(rows[0].row())
        if self.current is not None and summary.id == self.current.id:
            return
        if self.dirty and not self.confirm("Discard changes?", "The editor has unsaved changes."):
            self._listed(self.list_model.rows())  # put the selection back
            return
        self.load(summary.id)

    def load(self, workflow_id: int, version: int | None = None) -> None:
        self.bridge.submit(
            self.app.workflows.get, self.actor, workflow_id, version, on_result=self._loaded
        )

    def _loaded(self, stored: StoredWorkflow) -> None:
        self.current = stored
        self._set_text(stored.to_json())
        inputs = stored.test_inputs or {
            name: p.default for name, p in stored.workflow.inputs.items() if p.default is not None
        }
        self.test_tab.set_inputs(inputs)
        self._refresh_history()
        self._update_buttons()

    def _refresh_history(self) -> None:
        if self.current is None:
            self.history_tab.model.set_rows([])
            return
        self.bridge.submit(
            self.app.workflows.history,
            self.actor,
            self.current.id,
            on_result=self.history_tab.model.set_rows,
        )

    # -- editing and validation --------------------------------------------------------

    def _edited(self) -> None:
        self.validator.schedule(self.editor.text())
        self._update_buttons()

    def _validated(self, workflow: Workflow | None, faults: list[Fault]) -> None:
        self.workflow = workflow
        steps = len(workflow.steps) if workflow else 0
        self.editor_tab.show_faults(faults, f" — {steps} step{'s' * (steps != 1)}")

    def _builder_changed(self, document: dict[str, Any]) -> None:
        self.editor.setPlainText(json.dumps(document, indent=2, ensure_ascii=False) + "\n")

    def _tab_changed(self, index: int) -> None:
        if self.builder is not None and self.tabs.widget(index) is self.builder:
            try:
                document = json.loads(self.editor.text())
            except ValueError:
                self._message("fix the JSON first: the builder edits a valid JSON document")
                return
            if isinstance(document, dict):
                self.builder.load(document)

    def new_workflow(self) -> None:
        if self.dirty and not self.confirm("Discard changes?", "The editor has unsaved changes."):
            return
        self.current = None
        self.list_view.clearSelection()
        self.history_tab.model.set_rows([])
        self._set_text(json.dumps(NEW_DOCUMENT, indent=2) + "\n")
        self._loaded_text = ""  # a new document is unsaved
        self._update_buttons()

    def save(self) -> None:
        text, note = self.editor.text(), self.note.text().strip()
        self.bridge.submit(
            self.app.workflows.save,
            self.actor,
            text,
            note=note,
            on_result=self._saved,
            on_error=self._save_failed,
        )

    def _saved(self, stored: StoredWorkflow) -> None:
        self.note.clear()
        self._select_after_refresh = stored.id
        self._message(f"saved {stored.name} as version {stored.version}")
        self._loaded(stored)
        self.refresh()

    def _save_failed(self, exc: BaseException) -> None:
        if isinstance(exc, WorkflowInvalid):
            self.editor_tab.show_faults(exc.faults)
            self.tabs.setCurrentWidget(self.editor_tab)
            self._message(f"not saved: {exc}")
        else:
            self.ctx.show_error(exc)

    # -- test run and run ---------------------------------------------------------------

    def test_run(self) -> None:
        if self.canvas is None or self.tabs.currentWidget() is not self.canvas:
            self.tabs.setCurrentWidget(self.test_tab)  # the canvas shows the run itself
        inputs = self.test_tab.run(self.editor.text())
        if inputs is not None and self.current is not None and inputs != self.current.test_inputs:
            self.bridge.submit(
                self.app.workflows.save_test_inputs, self.actor, self.current.id, inputs
            )

    def stop_test(self) -> None:
        self.test_tab.stop()

    def run_job(self) -> None:
        if self.current is None:
            return
        try:
            inputs = self.test_tab.read_inputs()
        except ValueError as exc:
            self.ctx.show_error(LevqorError(str(exc)))
            return
        ref = f"{self.current.id}@{self.current.version}"
        self.bridge.submit(
            self.app.jobs.enqueue,
            self.actor,
            ref,
            inputs,
            on_result=lambda job: self._message(f"queued job #{job.id} for {ref}"),
        )

    # -- history, import, export, delete -------------------------------------------------

    def show_version(self, version: int) -> None:
        if self.current is None:
            return
        if self.dirty and not self.confirm("Discard changes?", "The editor has unsaved changes."):
            return
        self.load(self.current.id, version)

    def restore_version(self, version: int) -> None:
        current = self.current
        if current is None:
            return
        question = (
            f"Make version {version} of {current.name} current again? It is saved as a new version."
        )
        if not self.confirm("Restore version?", question):
            return
        self.bridge.submit(
            self.app.workflows.restore, self.actor, current.id, version, on_result=self._saved
        )

    def import_file(self) -> None:
        path = self.choose_file(save=False)
        if path:
            self.bridge.submit(
                self.app.workflows.import_file, self.actor, path, on_result=self._saved
            )

    def export_file(self) -> None:
        if self.current is None:
            self._message("select a saved workflow to export")
            return
        path = self.choose_file(save=True, suggested=f"{self.current.name}.json")
        if path:
            text = self.current.to_json()
            self.bridge.submit(
                Path(path).write_text,
                text,
                encoding="utf-8",
                on_result=lambda _n: self._message(f"exported to {path}"),
            )

    def delete_current(self) -> None:
        current = self.current
        if current is None:
            return
        if not self.confirm("Delete workflow?", f"Delete {current.name} and all its versions?"):
            return

        def deleted(_result: None) -> None:
            self.current = None
            self._loaded_text = self.editor.text()  # nothing left to lose
            self.new_workflow()
            self.refresh()

        self.bridge.submit(self.app.workflows.delete, self.actor, current.id, on_result=deleted)

    def shutdown(self) -> None:
        self.test_tab.stop()
        super().shutdown()
