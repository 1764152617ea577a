"""The command palette, menus, saved views and notifications on a real window and App."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.settings import Settings
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.palette.dialog import PaletteDialog
from levqor_desktop.ui.panels import PANELS
from levqor_desktop.ui.panels.offers import OFFERS
from levqor_desktop.ui.panels.queue import QueuePanel
from tests.helpers.job_rows import insert_jobs
from tests.helpers.screens import save_with_popups

pytestmark = pytest.mark.ui


@pytest.fixture
def shown(qtbot, window: MainWindow) -> MainWindow:  # type: ignore[no-untyped-def]
    """The window on screen, with its menu bar built (after the first paint)."""
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(lambda: bool(window.shell.menus.menus), timeout=5000)
    return window


def _palette(qtbot, win: MainWindow) -> PaletteDialog:  # type: ignore[no-untyped-def]
    qtbot.keyClick(win, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    palette = win.shell.palette
    assert palette is not None
    qtbot.waitUntil(palette.isVisible, timeout=5000)
    return palette


def _type_and_enter(qtbot, palette: PaletteDialog, text: str, first_id: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(palette.query, text)
    qtbot.waitUntil(lambda: bool(palette.shown) and palette.shown[0].id == first_id)
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    assert not palette.isVisible()


def test_ctrl_k_opens_the_palette_and_typing_jumps_to_a_panel(qtbot, shown: MainWindow) -> None:  # type: ignore[no-untyped-def]
    palette = _palette(qtbot, shown)
    assert palette.query.hasFocus() or palette.query.text() == ""
    qtbot.keyClicks(palette.query, "usag")
    qtbot.waitUntil(lambda: palette.shown[0].id == "go.usage")
    usage = next(i for i, spec in enumerate(shown.specs) if spec.key == "usage")
    assert palette.shown[0].shortcut == f"Ctrl+{usage + 1}"  # its place in the sidebar
    # Down then Up comes back to the best entry; Enter runs it.
    qtbot.keyClick(palette.query, Qt.Key.Key_Down)
    qtbot.keyClick(palette.query, Qt.Key.Key_Up)
    assert palette.current() is palette.shown[0]
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown.current_key == "usage")
    # Esc leaves without running anything.
    palette = _palette(qtbot, shown)
    qtbot.keyClicks(palette.query, "queue")
    qtbot.keyClick(palette.query, Qt.Key.Key_Escape)
    assert not palette.isVisible() and shown.current_key == "usage"


def test_a_job_by_id_is_looked_up_and_opens(qtbot, shown: MainWindow) -> None:  # type: ignore[no-untyped-def]
    (job_id,) = insert_jobs(shown.app, JobStatus.FAILED, 1, "invoice")
    palette = _palette(qtbot, shown)
    qtbot.keyClicks(palette.query, f"#{job_id}")
    qtbot.waitUntil(lambda: palette.shown[0].detail == "failed · invoice", timeout=5000)
    qtbot.keyClick(palette.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: shown.current_key == "queue", timeout=5000)
    panel = shown.panel("queue")
    assert isinstance(panel, QueuePanel)
    qtbot.waitUntil(lambda: panel.job_view.job is not None and panel.job_view.job.id == job_id)
    # Ctrl+K works from a text field too (QLineEdit would take it for "delete to end").
    panel.text_edit.setFocus()
    qtbot.waitUntil(panel.text_edit.hasFocus)
    palette = _palette(qtbot, shown)
    qtbot.keyClicks(palette.query, "999999")
    qtbot.waitUntil(lambda: palette.shown[0].detail == "no such job", timeout=5000)


def test_a_current_panel_action_runs_from_the_palette_and_the_menus_list_the_same(
    qtbot, shown: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    insert_jobs(shown.app, JobStatus.FAILED, 3, "crm-sync")
    insert_jobs(shown.app, JobStatus.SUCCEEDED, 5, "invoice")
    shown.show_panel("queue")
    panel = shown.panel("queue")
    assert isinstance(panel, QueuePanel)
    qtbot.waitUntil(lambda: panel.jobs_model.total == 8, timeout=10_000)
    asked: list[str] = []
    panel.ask_confirm = lambda title, _text: asked.append(title) is None
    expected = [a.title for a in OFFERS["QueuePanel"].actions]
    assert shown.shell.menus.titles("Actions") == expected
    palette_actions = [c.title for c in shown.shell.registry.search("") if c.group == "Actions"]
    assert palette_actions == expected
    # The Go menu holds every panel with Ctrl+1..9, the same as the palette's Go entries.
    go = shown.shell.menus.menus["Go"].actions()
    assert [a.shortcut().toString() for a in go[1:4]] == ["Ctrl+1", "Ctrl+2", "Ctrl+3"]

    actions_menu = shown.shell.menus.menus["Actions"]
    bar = shown.menuBar()
    below = bar.mapTo(shown, bar.actionGeometry(actions_menu.menuAction()).bottomLeft())
    picture = save_with_popups(shown, "menu-bar.png", tmp_path, (actions_menu, below))
    assert picture.stat().st_size > 5000

    palette = _palette(qtbot, shown)
    qtbot.keyClicks(palette.query, "re")
    qtbot.waitUntil(lambda: len(palette.shown) > 3)
    assert save_with_popups(shown, "palette.png", tmp_path, palette).stat().st_size > 5000
    palette.query.clear()
    _type_and_enter(qtbot, palette, "suspend", "QueuePanel.toggle_suspend")
    assert asked == ["Suspend"]
    assert shown.app is not None
    qtbot.waitUntil(lambda: "default" in shown.app.jobs.paused_queues(), timeout=5000)

    # Another panel: the Actions menu follows it.
    shown.show_panel("flags")
    assert shown.shell.menus.titles("Actions") == [a.title for a in OFFERS["FlagsPanel"].actions]


def test_saved_views_round_trip_per_panel_and_profile(
    qtbot, shown: MainWindow, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    shown.show_panel("queue")
    panel = shown.panel("queue")
    assert isinstance(panel, QueuePanel)
    panel.state_combo.setCurrentIndex(panel.state_combo.findText("failed"))
    panel.text_edit.setText("CRM")
    panel.jobs_view.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    shown.shell.ask_name = lambda _title, _label: "Failed CRM"
    shown.shell.registry.find("view.save").run()  # type: ignore[union-attr]
    stored = json.loads((settings.config_dir / "views.json").read_text(encoding="utf-8"))
    assert stored["profiles"]["local"]["queue"]["Failed CRM"]["sort"] == [2, "asc"]
    # The View menu offers it now.
    assert "Restore view: Failed CRM" in shown.shell.menus.titles("View")

    panel.state_combo.setCurrentIndex(0)
    panel.text_edit.clear()
    panel.jobs_view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    palette = _palette(qtbot, shown)
    _type_and_enter(qtbot, palette, "restore failed crm", "view.restore.queue.Failed CRM")
    assert panel.state_combo.currentText() == "failed"
    assert panel.text_edit.text() == "CRM"
    header = panel.jobs_view.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        2,
        Qt.SortOrder.AscendingOrder,
    )
    qtbot.waitUntil(lambda: panel.jobs_model.query.filter.text == "CRM", timeout=5000)
    # Views are per panel: the Logs panel does not offer the Queue's.
    shown.show_panel("logs")
    assert not any(t.startswith("Restore view") for t in shown.shell.menus.titles("View"))


def test_notifications_are_off_by_default_and_on_after_the_setting(
    qtbot, shown: MainWindow, settings: Settings, home: Path
) -> None:  # type: ignore[no-untyped-def]
    tray = shown.shell.tray
    assert tray is not None and tray.enabled is False
    notices: list[object] = []
    tray.notice.connect(notices.append)
    assert not shown.shell.notify("t", "x")  # no desktop notification while off
    toggle = shown.shell.menus.action("View", "Notify on job failures and failed canaries")
    assert toggle is not None and toggle.isCheckable() and not toggle.isChecked()

    toggle.trigger()
    assert tray.enabled is True
    assert Settings.from_env({}, home=home).notifications is True  # remembered
    qtbot.waitUntil(lambda: tray.polls >= 1, timeout=5000)  # the baseline
    (job_id,) = insert_jobs(shown.app, JobStatus.FAILED, 1, "invoice")
    tray.poll_now()
    qtbot.waitUntil(lambda: bool(notices), timeout=5000)
    assert [n.ref for n in notices] == [job_id]  # type: ignore[attr-defined]
    # What the tray's tooltip shows (sampled off the UI thread where there is a tray).
    assert tray.sample().failed == 1
    qtbot.waitUntil(lambda: shown.banner.isVisible())
    assert f"Job #{job_id} failed" in shown.banner.label.text()

    menu_toggle = shown.shell.menus.action("View", "Notify on job failures and failed canaries")
    assert menu_toggle is not None and menu_toggle.isChecked()
    menu_toggle.trigger()
    assert tray.enabled is False
    assert Settings.from_env({}, home=home).notifications is False


def test_every_declared_action_and_view_widget_exists(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    classes = {spec.target.partition(":")[2]: spec for spec in PANELS}
    assert set(OFFERS) <= set(classes)
    for spec in PANELS:
        window.show_panel(spec.key)
        panel = window.panel(spec.key)
        assert panel is not None, spec.key
        offer = panel.offer()
        for action in offer.actions:
            assert callable(getattr(panel, action.method)), (spec.key, action.method)
        for attr in (*offer.view_widgets, *([offer.view_table] if offer.view_table else [])):
            assert getattr(panel, attr) is not None, (spec.key, attr)
        assert [c.title for c in panel.commands()] == [a.title for a in offer.actions]
