"""The workflow canvas on its own: building, round trips, undo, paste, faults, layout, keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QLineEdit

from levqor_desktop.core.workflows.actions import CompositeCatalog
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.core.workflows.document import Fault, WorkflowInvalid, parse_workflow
from levqor_desktop.ui.builder.editor import CanvasEditor
from levqor_desktop.ui.builder.graph import COLUMN, effective_needs, layered_layout
from levqor_desktop.ui.builder.items import NODE_H, NODE_W

pytestmark = pytest.mark.ui

CATALOG = CompositeCatalog(BuiltinCatalog())
START = {"name": "fan-out", "trigger": {"type": "manual"}, "steps": []}


def text_of(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture
def canvas(qtbot) -> CanvasEditor:
    editor = CanvasEditor(CATALOG)
    qtbot.addWidget(editor)
    editor.resize(1200, 700)
    editor.show()
    qtbot.waitExposed(editor)
    editor.reset(START)
    return editor


def set_input(canvas: CanvasEditor, key: str, name: str, text: str) -> None:
    """Type into the inspector's field, as a user would, and leave it."""
    canvas.select([key])
    field = canvas.inspector.fields[name]
    assert isinstance(field, QLineEdit)
    field.setText(text)
    field.editingFinished.emit()


def build_fan_out(canvas: CanvasEditor) -> list[str]:
    """start → (left, right, middle) → join, made through the canvas API."""
    start = canvas.add_step("core.log", (0, 0))
    branches = [canvas.add_step("core.transform", (260, y)) for y in (-120, 0, 120)]
    join = canvas.add_step("core.log", (520, 0))
    set_input(canvas, start, "message", "go")
    for branch in branches:
        assert canvas.connect_steps(start, branch)
        assert canvas.connect_steps(branch, join)
        set_input(canvas, branch, "value", f"{{{{ steps.{start}.output }}}}")
    set_input(canvas, join, "message", "done")
    return [start, *branches, join]


def test_a_five_node_graph_round_trips_through_json_byte_stable(qtbot, canvas):
    changes: list[dict[str, Any]] = []
    canvas.document_changed.connect(changes.append)
    keys = build_fan_out(canvas)
    assert keys == ["log", "transform", "transform_2", "transform_3", "log_2"]
    text = text_of(canvas.document())
    assert changes and text_of(changes[-1]) == text  # what the JSON editor receives
    workflow = parse_workflow(text, catalog=CATALOG)
    assert {s.id: s.needs for s in workflow.steps} == {
        "log": [], "transform": ["log"], "transform_2": ["log"], "transform_3": ["log"],
        "log_2": ["transform", "transform_2", "transform_3"],
    }  # fmt: skip
    assert workflow.step("transform_2").ui is not None
    assert workflow.step("transform_2").with_ == {"value": "{{ steps.log.output }}"}

    again = CanvasEditor(CATALOG)
    qtbot.addWidget(again)
    again.resize(1200, 700)
    again.show()
    again.reset(json.loads(text))
    assert text_of(again.document()) == text
    assert again.scene.positions() == {s.id: (s.ui.x, s.ui.y) for s in workflow.steps if s.ui}
    assert workflow.ui is not None  # the view as of the last edit comes back too
    assert again.view.zoom() == pytest.approx(workflow.ui["zoom"], abs=0.001)
    assert set(again.scene.edge_items) == set(canvas.scene.edge_items)
    assert len(again.scene.edge_items) == 6


def test_the_inspector_completes_only_upstream_outputs(qtbot, canvas):
    keys = build_fan_out(canvas)
    canvas.select([keys[4]])
    assert canvas.inspector.completers[1].choices.stringList() == [
        "steps.log.output", "steps.transform.output", "steps.transform_2.output",
        "steps.transform_3.output",
    ]  # fmt: skip
    assert canvas.inspector.needs.text() == "Needs transform, transform_2, transform_3"
    canvas.select([keys[1]])
    assert canvas.inspector.completers[1].choices.stringList() == ["steps.log.output"]
    field = canvas.inspector.fields["value"]
    assert isinstance(field, QLineEdit)
    field.setText("{{ ste")
    field.setCursorPosition(6)
    canvas.inspector.completers[1].insert("steps.log.output")
    assert field.text() == "{{ steps.log.output }}"


def test_undo_and_redo_walk_the_document_back_and_forth(canvas):
    a = canvas.add_step("core.log", (0, 0))
    b = canvas.add_step("core.log", (300, 0))
    canvas.connect_steps(a, b)
    connected = canvas.document()
    assert effective_needs(connected)[b] == [a]
    canvas.undo_stack.undo()
    assert effective_needs(canvas.document())[b] == []
    assert (a, b) not in canvas.scene.edge_items
    canvas.undo_stack.redo()
    assert canvas.document() == connected
    assert (a, b) in canvas.scene.edge_items
    while canvas.undo_stack.canUndo():
        canvas.undo_stack.undo()
    assert canvas.document() == START
    assert canvas.scene.nodes == {}
    assert "press A" in canvas.banner.text()  # an empty canvas says how to start


def test_a_cycle_is_refused(canvas):
    a = canvas.add_step("core.log", (0, 0))
    b = canvas.add_step("core.log", (300, 0))
    assert canvas.connect_steps(a, b)
    before = canvas.document()
    assert not canvas.connect_steps(b, a)
    assert canvas.document() == before
    assert "cycle" in canvas.banner.text()


def test_delete_copy_and_paste(canvas):
    keys = build_fan_out(canvas)
    canvas.select([keys[0], keys[1]])
    canvas.copy_selected()
    pasted = canvas.paste()
    assert pasted == ["log_3", "transform_4"]
    needs = effective_needs(canvas.document())
    assert needs["transform_4"] == ["log_3"]  # the edge inside the copy follows it
    assert needs["log_3"] == []  # nothing outside the copy is needed
    assert canvas.scene.selected_keys() == pasted
    original = canvas.scene.nodes["log"].pos()
    assert canvas.scene.nodes["log_3"].pos() == original + type(original)(40, 40)

    canvas.select(["transform_2"])
    canvas.delete_selected()
    needs = effective_needs(canvas.document())
    assert "transform_2" not in needs
    assert needs["log_2"] == ["transform", "transform_3"]
    edge = canvas.scene.edge_items[("transform", "log_2")]
    edge.setSelected(True)
    canvas.delete_selected()
    assert effective_needs(canvas.document())["log_2"] == ["transform_3"]
    canvas.undo_stack.undo()
    canvas.undo_stack.undo()
    assert effective_needs(canvas.document())["log_2"] == [
        "transform",
        "transform_2",
        "transform_3",
    ]


def test_faults_are_shown_on_their_nodes_and_edges(canvas):
    document = {
        "name": "broken",
        "steps": [
            {"id": "fetch", "uses": "core.lgo", "with": {}},
            {"id": "post", "uses": "core.log", "with": {"message": "x"}, "needs": ["fetch"]},
        ],
    }
    canvas.reset(document)
    with pytest.raises(WorkflowInvalid) as caught:
        parse_workflow(text_of(document), catalog=CATALOG)
    # A fault on a need (the graph validator reports these) marks the edge.
    canvas.set_faults([*caught.value.faults, Fault("$.steps[1].needs[0]", "not allowed here")])
    fetch, post = canvas.scene.nodes["fetch"], canvas.scene.nodes["post"]
    assert fetch.faults and "unknown action 'core.lgo'" in fetch.faults[0]
    assert "unknown action" in fetch.toolTip()
    assert post.faults == []
    edge = canvas.scene.edge_items[("fetch", "post")]
    assert edge.faults == ["not allowed here"]
    assert "not allowed here" in edge.toolTip()
    canvas.set_faults([Fault("$.name", "bad name")])
    assert fetch.faults == [] and edge.faults == []
    assert "bad name" in canvas.banner.text()


def _diamond_and_chain() -> dict[str, Any]:
    ids = ["a", "b", "c", "d", "e", "f", "g"]
    needs = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": [], "f": ["e"], "g": ["d", "f"]}
    return {"name": "x", "steps": [{"id": i, "uses": "core.log", "needs": needs[i]} for i in ids]}


def test_the_layered_layout_respects_layers_and_never_overlaps():
    document = _diamond_and_chain()
    positions = layered_layout(document)
    layer = {key: round(x / COLUMN) for key, (x, _y) in positions.items()}
    assert layer == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 0, "f": 1, "g": 3}
    for target, sources in effective_needs(document).items():
        assert all(layer[s] < layer[target] for s in sources)
    rects = [QRectF(x, y, NODE_W, NODE_H) for x, y in positions.values()]
    assert not any(r.intersects(o) for i, r in enumerate(rects) for o in rects[i + 1 :])
    # Barycentre ordering keeps the chain e→f beside the diamond's lower half.
    assert positions["f"][1] > positions["b"][1]


def test_a_document_without_positions_is_laid_out_and_positions_are_kept_on_edit(canvas):
    document = _diamond_and_chain()
    canvas.reset(document)
    layout = layered_layout(document)
    assert canvas.scene.positions() == layout
    assert canvas.document() == document  # showing it changes nothing
    canvas.scene.nodes["g"].setPos(900, 40)
    canvas.scene.nodes_moved.emit({"g": (900.0, 40.0)})
    steps = {s["id"]: s for s in canvas.document()["steps"]}
    assert steps["g"]["ui"] == {"x": 900, "y": 40}
    assert steps["a"]["ui"] == {"x": round(layout["a"][0]), "y": round(layout["a"][1])}


def test_keyboard_alone_selects_connects_and_deletes(qtbot, canvas):
    a = canvas.add_step("core.log", (0, 0))
    b = canvas.add_step("core.log", (300, 0))
    canvas.add_step("core.log", (300, 200))
    canvas.scene.clearSelection()
    canvas.view.setFocus()
    qtbot.waitUntil(canvas.view.hasFocus, timeout=2000)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Tab)
    assert canvas.scene.selected_keys() == [a]
    qtbot.keyClick(canvas.view, Qt.Key.Key_C)
    qtbot.keyClick(canvas.view, Qt.Key.Key_Right)
    assert canvas.scene.selected_keys() == [b]
    qtbot.keyClick(canvas.view, Qt.Key.Key_Return)
    assert effective_needs(canvas.document())[b] == [a]
    qtbot.keyClick(canvas.view, Qt.Key.Key_Return)  # Enter again: edit the node's form
    assert canvas.inspector.step_id.hasFocus()
    qtbot.keyClick(canvas.inspector.step_id, Qt.Key.Key_Escape)  # and back
    assert canvas.view.hasFocus()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Down)
    assert canvas.scene.selected_keys() == ["log_3"]
    qtbot.keyClick(canvas.view, Qt.Key.Key_Delete)
    assert "log_3" not in canvas.scene.nodes
    qtbot.keyClick(canvas.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "log_3" in canvas.scene.nodes
    canvas.select(["log_3"])
    qtbot.keyClick(canvas.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert canvas.scene.nodes["log_3"].pos().x() == 320  # Alt+arrow moves the node
    assert canvas.document()["steps"][2]["ui"]["x"] == 320
    zoom = canvas.view.zoom()
    qtbot.keyClick(canvas.view, Qt.Key.Key_Plus)
    assert canvas.view.zoom() > zoom
    # A adds from the palette: search, Enter; the new step follows the selected one.
    canvas.select([b])
    qtbot.keyClick(canvas.view, Qt.Key.Key_A)
    assert canvas.actions_palette.search.hasFocus()
    qtbot.keyClicks(canvas.actions_palette.search, "delay")
    assert canvas.actions_palette.visible_actions() == ["core.delay"]
    qtbot.keyClick(canvas.actions_palette.search, Qt.Key.Key_Return)
    assert effective_needs(canvas.document())["delay"] == [b]
    assert canvas.scene.selected_keys() == ["delay"]


def test_a_half_typed_document_shows_without_losing_anything(canvas):
    document = {"name": "x", "steps": [{"uses": "core.log"}, "junk", {"id": "a"}, {"id": "a"}]}
    canvas.follow(document)
    assert list(canvas.scene.nodes) == ["#0", "#1", "a", "#3"]
    assert not canvas.connect_steps("a", "#3")  # no id to write into needs
    assert not canvas.connect_steps("#0", "a")
    assert canvas.document() == document


def test_an_action_dropped_from_the_palette_becomes_a_step_there(canvas):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QDropEvent

    palette = canvas.actions_palette
    palette.filter("http")
    item = palette.list.currentItem()
    assert item is not None and item.text() == "core.http_request"
    data = palette.list.mimeData([item])
    at = QPoint(200, 150)
    drop = QDropEvent(at, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)  # fmt: skip
    canvas.view.dropEvent(drop)
    step = canvas.document()["steps"][-1]
    scene_at = canvas.view.mapToScene(at)
    assert step["uses"] == "core.http_request"
    assert step["ui"] == {"x": round(scene_at.x()), "y": round(scene_at.y())}
    assert canvas.scene.selected_keys() == [step["id"]]


def test_dragging_from_an_output_port_to_an_input_port_connects(qtbot, canvas):
    a = canvas.add_step("core.log", (0, 0))
    b = canvas.add_step("core.log", (320, 60))
    view = canvas.view
    start = view.mapFromScene(canvas.scene.nodes[a].output.scenePos())
    end = view.mapFromScene(canvas.scene.nodes[b].input.scenePos())
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), pos=(start + end) / 2)
    qtbot.mouseMove(view.viewport(), pos=end)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=end)
    assert effective_needs(canvas.document())[b] == [a]
    assert (a, b) in canvas.scene.edge_items


def test_renaming_a_step_in_the_inspector_follows_its_needs_and_templates(canvas):
    keys = build_fan_out(canvas)
    canvas.select([keys[0]])
    canvas.inspector.step_id.setText("kickoff")
    canvas.inspector.step_id.editingFinished.emit()
    steps = {s["id"]: s for s in canvas.document()["steps"]}
    assert "log" not in steps
    assert steps["transform"]["needs"] == ["kickoff"]
    assert steps["transform"]["with"] == {"value": "{{ steps.kickoff.output }}"}
    assert canvas.scene.selected_keys() == ["kickoff"]
    parse_workflow(text_of(canvas.document()), catalog=CATALOG)  # still valid


@pytest.mark.parametrize("zoom", [0.8, 1.0, 1.5])
def test_a_node_is_drawn_at_its_own_size_at_any_zoom(qtbot, canvas, zoom):
    from PySide6.QtCore import QPointF

    from levqor_desktop.ui.builder.items import node_body

    key = canvas.add_step("core.log", (0, 0))
    canvas.scene.clearSelection()
    canvas.view.reset_zoom()
    canvas.view.zoom_by(zoom)
    canvas.view.centerOn(canvas.scene.nodes[key])
    image = canvas.view.viewport().grab().toImage()

    def colour_at(x: float, y: float) -> str:
        point = canvas.view.mapFromScene(QPointF(x, y))
        return str(image.pixelColor(point.x(), point.y()).name())

    body = node_body(canvas.view.palette()).name()
    background = canvas.view.palette().window().color().name()
    assert colour_at(NODE_W * 0.6, NODE_H - 6) == body
    assert colour_at(NODE_W + 20, NODE_H - 6) == background  # right of the node: canvas
    assert colour_at(NODE_W * 0.6, NODE_H + 10) == background  # below it: canvas


def test_the_overlay_shows_states_durations_and_why_a_step_did_not_run(canvas):
    import datetime as dt

    from levqor_desktop.core.workflows.runner import StepEvent, StepOutcome

    keys = build_fan_out(canvas)
    canvas.begin_run(None, {})
    assert {canvas.scene.nodes[k].status for k in keys} == {"queued"}
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    failed = StepOutcome("failed", None, "boom", "error", 2, t0, t0 + dt.timedelta(seconds=1.5))
    canvas.apply_event(StepEvent("log", 0, "core.log", "running"))
    assert canvas.scene.nodes["log"].status == "running"
    canvas.apply_event(StepEvent("log", 0, "core.log", "failed", failed))
    canvas.apply_event(StepEvent("log_2", 4, "core.log", "skipped"))
    canvas.end_run()
    node = canvas.scene.nodes["log"]
    assert (node.status, node.detail) == ("failed", "1.50 s")
    assert canvas.scene.nodes["log_2"].status == "skipped"
    assert canvas.scene.nodes["transform"].status is None  # never ran: not left queued
    canvas.select(["log"])
    assert "error: boom" in canvas.inspector.run_text.toPlainText()
    assert "2 attempts" in canvas.inspector.run_text.toPlainText()
