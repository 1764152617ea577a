"""Wiring the canvas into the Workflows panel: one document, two editors, one test run.

The canvas's changes go into the JSON editor as text (where they are validated and
saved like typing); the JSON editor's text comes back to the canvas whenever it parses,
together with the validator's faults; the panel's test run feeds the canvas overlay.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from levqor_desktop.core.workflows.document import Fault, Workflow
from levqor_desktop.ui.builder.editor import CanvasEditor

if TYPE_CHECKING:
    from levqor_desktop.ui.panels.workflows import WorkflowsPanel

__all__ = ["attach_canvas"]


def attach_canvas(panel: WorkflowsPanel) -> CanvasEditor:
    canvas = CanvasEditor(panel.app.actions)
    panel.tabs.insertTab(1, canvas, "Canvas")
    canvas.document_changed.connect(panel._builder_changed)

    def validated(_workflow: Workflow | None, faults: list[Fault]) -> None:
        try:
            document = json.loads(panel.editor.text())
        except ValueError:
            canvas.set_faults(faults)  # shown above the canvas: JSON that does not parse
            return
        if isinstance(document, dict):
            canvas.follow(document)
        canvas.set_faults(faults)

    def begin_run() -> None:
        try:
            inputs = panel.test_tab.read_inputs()
        except ValueError:
            return  # the Test run tab says why; nothing starts
        canvas.begin_run(panel.workflow, inputs)

    def run_state_changed() -> None:
        if not panel.runner.running:
            canvas.end_run()

    panel.validator.validated.connect(validated)
    panel.test_tab.state_changed.connect(run_state_changed)
    panel.runner.step_event.connect(canvas.apply_event)
    panel.test_button.clicked.connect(begin_run)
    canvas.test_requested.connect(panel.test_button.click)
    return canvas
