"""The Incidents panel: a seeded window, filtered by kind, details on select, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.incidents import EventKind
from levqor_desktop.ui.panels.incidents import IncidentsPanel
from tests.integration.incident_support import EMAIL, SECRET, seed
from tests.ui.panel_support import shown_panel

pytestmark = pytest.mark.ui


def test_timeline_filter_details_and_export(qtbot, app: App, tmp_path: Path) -> None:
    seed(app)
    with shown_panel(qtbot, IncidentsPanel, app, size=(1300, 700)) as (panel, window):
        qtbot.waitUntil(lambda: panel.loads == 1, timeout=10_000)
        assert panel.proxy.rowCount() == 6
        assert panel.status.text().startswith("6 events · the last hour")
        summaries = " ".join(e.summary for e in panel.model.events)
        assert SECRET not in summaries and EMAIL not in summaries

        panel.kind_box.setCurrentIndex(panel.kind_box.findData(EventKind.JOB_FAILED.value))
        assert panel.proxy.rowCount() == 1
        assert panel.status.text().startswith("1 of 6 events")
        panel.table.selectRow(0)
        text = panel.details.toPlainText()
        assert '"step_id": "post"' in text and SECRET not in text and EMAIL not in text

        target = tmp_path / "incident.json"
        panel.ask_export_path = lambda: str(target)
        panel.export_view()
        qtbot.waitUntil(lambda: bool(window.messages), timeout=10_000)
        assert window.messages == [f"exported 1 events to {target}"]
        exported = json.loads(target.read_text())
        assert [e["kind"] for e in exported["events"]] == ["job_failed"]

        panel.window_box.setCurrentIndex(panel.window_box.findText("Last failure"))
        qtbot.waitUntil(lambda: panel.loads == 2, timeout=10_000)
        assert panel.shown_window is not None and "last failure" in panel.shown_window.label
        assert not window.errors
