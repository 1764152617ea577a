"""The canvas inside the Workflows panel (BUILDER_ENABLED): JSON ⇄ canvas, save, test run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.resources import resource_path
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.builder.editor import CanvasEditor
from levqor_desktop.ui.panels.base import PanelContext
from levqor_desktop.ui.panels.workflows import WorkflowsPanel
from tests.conftest import make_settings
from tests.ui.panel_support import FakeWindow

pytestmark = pytest.mark.ui

DEMO = resource_path("examples", "offline-transform-demo.json")


@pytest.fixture
def flagged(qtbot, home: Path) -> Iterator[tuple[WorkflowsPanel, CanvasEditor, App]]:
    app = build_app(make_settings(home, BUILDER_ENABLED="1")).start()
    assert app.actor is not None
    app.workflows.import_file(app.actor, DEMO)
    bridge = Bridge()
    panel = WorkflowsPanel(PanelContext(app, bridge, FakeWindow()))
    qtbot.addWidget(panel)
    panel.resize(1300, 760)
    panel.show()
    assert panel.canvas is not None
    with qtbot.waitSignal(panel.list_model.modelReset, timeout=5000):
        panel.on_shown()
    panel.list_view.selectRow(0)
    qtbot.waitUntil(lambda: "summarise" in panel.canvas.scene.nodes, timeout=5000)
    hidden_zoom = panel.canvas.view.zoom()
    panel.tabs.setCurrentWidget(panel.canvas)
    # Loaded while its tab was hidden: the canvas fits the graph once it is shown.
    assert panel.canvas.view.zoom() != hidden_zoom
    try:
        yield panel, panel.canvas, app
    finally:
        panel.shutdown()
        bridge.close()
        app.close()


def test_json_and_canvas_edit_the_same_document(qtbot, flagged):
    panel, canvas, app = flagged
    assert list(canvas.scene.nodes) == ["summarise", "report", "pause", "too_much_work"]
    assert canvas.undo_stack.count() == 0  # loading a workflow is not an edit
    # Canvas → JSON: the edit arrives as text, with explicit needs and positions.
    canvas.connect_steps("summarise", "pause")
    document = json.loads(panel.editor.text())
    assert [s["needs"] for s in document["steps"]] == [
        [],
        ["summarise"],
        ["report", "summarise"],
        ["pause"],
    ]
    assert all("ui" in s for s in document["steps"])
    assert panel.dirty
    # JSON → canvas: typing a valid change shows on the canvas once validated.
    document["steps"][1]["id"] = "announce"
    document["steps"][2]["needs"] = ["announce", "summarise"]
    with qtbot.waitSignal(panel.validator.validated, timeout=5000):
        panel.editor.setPlainText(json.dumps(document, indent=2) + "\n")
    assert "announce" in canvas.scene.nodes and "report" not in canvas.scene.nodes
    canvas.undo_stack.undo()  # the JSON edit is on the canvas's undo stack too
    assert json.loads(panel.editor.text())["steps"][1]["id"] == "report"
    # A fault typed in JSON marks the node; saving goes through the store (a version).
    broken = panel.editor.text().replace('"core.delay"', '"core.dleay"')
    with qtbot.waitSignal(panel.validator.validated, timeout=5000):
        panel.editor.setPlainText(broken)
    qtbot.waitUntil(lambda: bool(canvas.scene.nodes["pause"].faults), timeout=5000)
    fixed = broken.replace('"core.dleay"', '"core.delay"')
    with qtbot.waitSignal(panel.validator.validated, timeout=5000):
        panel.editor.setPlainText(fixed)
    assert canvas.scene.nodes["pause"].faults == []
    panel.save()
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.version == 2, timeout=5000)
    saved = app.workflows.get(app.actor, panel.current.id)
    assert saved.workflow.step("pause").needs == ["report", "summarise"]


def test_a_test_run_shows_each_node_state_and_its_input_and_output(qtbot, flagged):
    panel, canvas, _app = flagged
    panel.test_tab.inputs.setPlainText('{"fail_when_open_over": 3}')
    with qtbot.waitSignal(panel.runner.finished, timeout=10_000):
        canvas.test_requested.emit()
    assert panel.tabs.currentWidget() is canvas  # the run shows on the canvas
    states = {key: node.status for key, node in canvas.scene.nodes.items()}
    assert states == {
        "summarise": "succeeded", "report": "succeeded", "pause": "succeeded",
        "too_much_work": "failed",
    }  # fmt: skip
    assert canvas.scene.nodes["report"].detail.endswith(" s")
    canvas.select(["report"])
    details = canvas.inspector.run_text.toPlainText()
    assert details.startswith("status: succeeded")
    assert "Platform: 2 open (8 h" in details  # the rendered input
    canvas.select(["too_much_work"])
    assert "over the limit of 3" in canvas.inspector.run_text.toPlainText()
    # The run's outputs feed the completion of later steps.
    canvas.select(["report"])
    assert "steps.summarise.output.value" in canvas.inspector.completers[1].choices.stringList()


def test_a_run_that_cannot_start_leaves_no_node_queued(qtbot, flagged):
    panel, canvas, _app = flagged
    panel.test_tab.inputs.setPlainText('{"fail_when_open_over": "lots"}')
    with qtbot.waitSignal(panel.test_tab.state_changed, timeout=5000):
        canvas.test_requested.emit()
    assert "not started" in panel.test_tab.summary.text()
    assert {node.status for node in canvas.scene.nodes.values()} == {None}
