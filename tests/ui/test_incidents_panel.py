"""The Incidents panel: a seeded window, filtered by kind, details on select, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from levqor_desktop.app import App, build_app
from levqor_desktop.core.incidents import EventKind
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels.incidents import IncidentsPanel
from levqor_desktop.ui.panels.offers import OFFERS
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.incident_support import EMAIL, SECRET, seed
from tests.ui.panel_support import shown_panel, started_window
from tests.ui.test_palette import _palette, _type_and_enter

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
        panel.ask_export_path = lambda _fmt: str(target)
        panel.export_view()
        qtbot.waitUntil(lambda: bool(window.messages), timeout=10_000)
        assert window.messages == [f"exported 1 events to {target}"]
        exported = json.loads(target.read_text())
        assert [e["kind"] for e in exported["events"]] == ["job_failed"]

        panel.window_box.setCurrentIndex(panel.window_box.findText("Last failure"))
        qtbot.waitUntil(lambda: panel.loads == 2, timeout=10_000)
        assert panel.shown_window is not None and "last failure" in panel.shown_window.label
        assert not window.errors


@pytest.fixture
def keyring_window(qtbot, home: Path, qsettings: QSettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The main window on an App whose keyring is in memory (the seed stores a secret)."""
    settings = make_settings(home, LEVQOR_METRICS_PORT="0")
    keyring = MemoryKeyring()
    yield from started_window(qtbot, lambda: build_app(settings, secret_backend=keyring), qsettings)


def test_the_palette_offers_the_incident_actions_and_runs_them(
    qtbot, keyring_window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    window = keyring_window
    assert window.app is not None
    seed(window.app)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(lambda: bool(window.shell.menus.menus), timeout=5000)
    window.show_panel("incidents")
    panel = window.panel("incidents")
    assert isinstance(panel, IncidentsPanel)
    qtbot.waitUntil(lambda: panel.loads == 1, timeout=10_000)
    expected = [a.title for a in OFFERS["IncidentsPanel"].actions]
    palette_actions = [c.title for c in window.shell.registry.search("") if c.group == "Actions"]
    assert palette_actions == expected
    assert window.shell.menus.titles("Actions") == expected

    asked: list[str | None] = []
    exports = {"md": tmp_path / "timeline.txt", "json": tmp_path / "timeline.json"}

    def ask(fmt: str | None) -> str:
        asked.append(fmt)
        assert fmt is not None
        return str(exports[fmt])

    panel.ask_export_path = ask
    # The action's format decides, whatever the file is called.
    _type_and_enter(
        qtbot, _palette(qtbot, window), "export as markdown", "IncidentsPanel.export_view:md"
    )
    qtbot.waitUntil(exports["md"].exists, timeout=10_000)
    markdown = exports["md"].read_text(encoding="utf-8")
    assert markdown.startswith("# Incident timeline") and SECRET not in markdown
    _type_and_enter(
        qtbot, _palette(qtbot, window), "export as json", "IncidentsPanel.export_view:json"
    )
    qtbot.waitUntil(exports["json"].exists, timeout=10_000)
    exported = json.loads(exports["json"].read_text(encoding="utf-8"))
    assert exported["total"] == 6 and EMAIL not in exports["json"].read_text(encoding="utf-8")
    assert asked == ["md", "json"]

    _type_and_enter(
        qtbot, _palette(qtbot, window), "show the last failure", "IncidentsPanel.show_last_failure"
    )
    qtbot.waitUntil(lambda: panel.loads == 2, timeout=10_000)
    assert panel.shown_window is not None and "last failure" in panel.shown_window.label
    assert panel.window_box.currentText() == "Last failure"
    _type_and_enter(qtbot, _palette(qtbot, window), "refresh", "IncidentsPanel.reload")
    qtbot.waitUntil(lambda: panel.loads == 3, timeout=10_000)
    assert "last failure" in panel.shown_window.label
