"""The Workflows panel: list, live validation, test run events, save/restore, Run, builder."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit

from levqor_desktop.app import App, build_app
from levqor_desktop.core.workflows.runner import StepEvent
from levqor_desktop.resources import resource_path
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels import PANELS
from levqor_desktop.ui.panels.base import PanelContext
from levqor_desktop.ui.panels.workflows import WorkflowsPanel
from tests.conftest import make_settings
from tests.ui.panel_support import FakeWindow

pytestmark = pytest.mark.ui

DEMO = resource_path("examples", "offline-transform-demo.json")


def _panel(qtbot, app: App) -> tuple[WorkflowsPanel, FakeWindow, Bridge]:
    window = FakeWindow()
    bridge = Bridge()
    panel = WorkflowsPanel(PanelContext(app, bridge, window))
    qtbot.addWidget(panel)
    panel.resize(1200, 720)
    panel.show()
    return panel, window, bridge


@pytest.fixture
def ui(qtbot, app: App) -> Iterator[tuple[WorkflowsPanel, FakeWindow, App]]:
    assert app.actor is not None
    app.workflows.import_file(app.actor, DEMO)
    panel, window, bridge = _panel(qtbot, app)
    with qtbot.waitSignal(panel.list_model.modelReset, timeout=5000):
        panel.on_shown()
    yield panel, window, app
    panel.shutdown()
    bridge.close()


def select_demo(qtbot, panel: WorkflowsPanel) -> None:
    panel.list_view.selectRow(0)
    qtbot.waitUntil(lambda: panel.current is not None, timeout=5000)
    qtbot.waitUntil(lambda: panel.history_tab.model.rowCount() > 0, timeout=5000)


def test_the_panel_is_registered():
    assert any(spec.target.endswith("workflows:WorkflowsPanel") for spec in PANELS)


def test_selecting_a_workflow_loads_it_and_its_history(qtbot, ui):
    panel, _window, _app = ui
    assert panel.list_model.rowCount() == 1
    select_demo(qtbot, panel)
    assert json.loads(panel.editor.text())["name"] == "offline-transform-demo"
    assert not panel.dirty
    assert panel.title.text() == "offline-transform-demo · v1"
    assert json.loads(panel.test_tab.inputs.toPlainText())["team"] == "Platform"
    assert panel.history_tab.model.row_at(0).current


def test_live_validation_lists_faults_with_lines_and_moves_the_cursor(qtbot, ui):
    panel, _window, _app = ui
    select_demo(qtbot, panel)
    text = panel.editor.text()
    bad = text.replace('"uses": "core.log"', '"uses": "core.lgo"', 1)
    line = bad[: bad.index("core.lgo")].count("\n") + 1
    with qtbot.waitSignal(panel.validator.validated, timeout=5000) as caught:
        panel.editor.setPlainText(bad)  # typing: validated once the debounce passes
    faults = caught.args[1]
    assert [(f.line, f.path) for f in faults] == [(line, "$.steps[1].uses")]
    assert panel.editor_tab.faults.count() == 1
    item = panel.editor_tab.faults.item(0)
    assert item.text().startswith(f"line {line}: $.steps[1].uses: unknown action 'core.lgo'")
    assert panel.editor.fault_lines == {line}
    assert "modified" in panel.title.text()
    assert not panel.run_button.isEnabled()  # unsaved edits cannot be queued
    panel.editor.go_to(1)
    panel.editor_tab.faults.itemClicked.emit(item)
    assert panel.editor.cursor_line() == line

    with qtbot.waitSignal(panel.validator.validated, timeout=5000) as fixed:
        panel.editor.setPlainText(text)
    assert fixed.args[1] == []
    assert panel.editor_tab.status.text().startswith("✓ valid")


def test_a_test_run_shows_each_step_as_it_happens(qtbot, ui):
    panel, _window, _app = ui
    select_demo(qtbot, panel)
    events: list[StepEvent] = []
    panel.runner.step_event.connect(events.append)
    panel.test_tab.inputs.setPlainText('{"fail_when_open_over": 3}')
    with qtbot.waitSignal(panel.runner.finished, timeout=10_000) as done:
        panel.test_button.click()
    result = done.args[0]
    assert (result.status, result.failed_step) == ("failed", "too_much_work")
    assert [(e.step_id, e.status) for e in events] == [
        ("summarise", "running"),
        ("summarise", "succeeded"),
        ("report", "running"),
        ("report", "succeeded"),
        ("pause", "running"),
        ("pause", "succeeded"),
        ("too_much_work", "running"),
        ("too_much_work", "failed"),
    ]
    model = panel.test_tab.results
    assert [model.status_of(s) for s in ("summarise", "too_much_work")] == [
        "succeeded",
        "failed",
    ]
    assert "over the limit of 3" in panel.test_tab.summary.text()
    # The inputs are kept with the workflow for next time.
    qtbot.waitUntil(
        lambda: (
            _app.workflows.test_inputs(_app.actor, "offline-transform-demo")
            == {"fail_when_open_over": 3}
        ),
        timeout=5000,
    )


def test_bad_test_inputs_are_reported_without_running(qtbot, ui):
    panel, _window, _app = ui
    select_demo(qtbot, panel)
    panel.test_tab.inputs.setPlainText('{"fail_when_open_over": "lots"}')
    panel.test_button.click()
    qtbot.waitUntil(lambda: "must be integer" in panel.test_tab.summary.text(), timeout=5000)
    assert panel.test_tab.results.rowCount() == 0


def test_save_makes_a_version_and_restore_asks_first(qtbot, ui):
    panel, window, app = ui
    select_demo(qtbot, panel)
    panel.editor.setPlainText(panel.editor.text().replace('"Platform"', '"Data"', 1))
    panel.note.setText("team Data")
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.version == 1)
    panel.save_button.click()
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.version == 2, timeout=5000)
    assert "saved offline-transform-demo as version 2" in window.messages
    assert not panel.dirty
    qtbot.waitUntil(lambda: panel.history_tab.model.rowCount() == 2, timeout=5000)

    asked: list[str] = []

    def refuse(title: str, text: str) -> bool:
        asked.append(text)
        return False

    panel.confirm = refuse
    panel.restore_version(1)
    assert asked and "version 1" in asked[0]
    assert [v.version for v in app.workflows.history(app.actor, "offline-transform-demo")] == [2, 1]

    panel.confirm = lambda title, text: True
    panel.restore_version(1)
    qtbot.waitUntil(lambda: panel.current is not None and panel.current.version == 3, timeout=5000)
    assert '"Platform"' in panel.editor.text()
    assert panel.current.note == "restored version 1"


def test_run_queues_a_job_for_the_saved_version(qtbot, ui):
    panel, window, app = ui
    select_demo(qtbot, panel)
    assert panel.run_button.isEnabled()
    panel.run_button.click()
    qtbot.waitUntil(
        lambda: any(m.startswith("queued job #") for m in window.messages), timeout=5000
    )
    [job] = app.jobs.list(app.actor).rows
    assert (job.workflow_name, job.workflow_version) == ("offline-transform-demo", 1)


def test_import_export_and_delete_through_the_panel(qtbot, ui, tmp_path: Path):
    panel, _window, app = ui
    source = tmp_path / "second.json"
    source.write_text(json.dumps({**json.loads(DEMO.read_text()), "name": "second"}))
    panel.choose_file = lambda *, save, suggested="": str(source)
    panel.import_file()
    qtbot.waitUntil(lambda: panel.list_model.rowCount() == 2, timeout=5000)
    assert panel.current is not None and panel.current.name == "second"

    target = tmp_path / "out.json"
    panel.choose_file = lambda *, save, suggested="": str(target)
    panel.export_file()
    qtbot.waitUntil(target.exists, timeout=5000)
    assert json.loads(target.read_text())["name"] == "second"

    panel.confirm = lambda title, text: True
    panel.delete_current()
    qtbot.waitUntil(lambda: panel.list_model.rowCount() == 1, timeout=5000)
    assert panel.current is None
    assert [w.name for w in app.workflows.list(app.actor)] == ["offline-transform-demo"]


def test_the_builder_is_hidden_unless_its_flag_is_on(qtbot, ui, home: Path):
    panel, _window, _app = ui
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert titles == ["Editor", "Test run", "History"]
    assert panel.builder is None

    flagged = build_app(make_settings(home.parent / "flagged", BUILDER_ENABLED="1")).start()
    try:
        built, _w, bridge = _panel(qtbot, flagged)
        assert [built.tabs.tabText(i) for i in range(built.tabs.count())] == [
            "Editor", "Canvas", "Builder", "Test run", "History",
        ]  # fmt: skip
        builder = built.builder
        assert builder is not None
        built.tabs.setCurrentWidget(builder)  # loads the editor's document
        assert builder.steps.count() == 1
        builder.add_step()
        assert [s["id"] for s in json.loads(built.editor.text())["steps"]] == ["hello", "step2"]
        builder.steps.setCurrentRow(1)
        builder.uses.setCurrentText("core.delay")
        seconds = builder.inputs["seconds"]
        assert isinstance(seconds, QLineEdit)
        seconds.setText("2")
        with qtbot.waitSignal(built.validator.validated, timeout=5000) as caught:
            builder.apply()
        assert caught.args[1] == []
        step = json.loads(built.editor.text())["steps"][1]
        assert step == {"id": "step2", "uses": "core.delay", "with": {"seconds": 2}}
        built.shutdown()
        bridge.close()
    finally:
        flagged.close()
