"""The Flags panel: state and source, audited toggles, risky confirmation, lock, broken file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.core.flags import FlagName
from levqor_desktop.ui.panels.flags import FlagsPanel
from tests.conftest import make_settings
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui


@pytest.fixture
def shown(qtbot, app: App) -> Iterator[tuple[FlagsPanel, FakeWindow]]:
    with _shown(qtbot, app) as shown:
        yield shown


@contextmanager
def _shown(qtbot, app: App) -> Iterator[tuple[FlagsPanel, FakeWindow]]:
    with shown_panel(qtbot, FlagsPanel, app, size=(1100, 700), loads="flags_model") as shown:
        yield shown


def _wait_audit(qtbot, panel: FlagsPanel, rows: int) -> None:
    qtbot.waitUntil(lambda: panel.audit_model.rowCount() == rows, timeout=10_000)


def test_lists_every_flag_with_state_source_and_description(shown, tmp_path: Path) -> None:
    panel, _ = shown
    model = panel.flags_model
    assert model.rowCount() == 7
    names = [model.index(r, 0).data() for r in range(7)]
    assert names[0] == "PG_ENABLED ⚠" and "BUILDER_ENABLED" in names
    assert {model.index(r, 1).data() for r in range(7)} == {"off"}
    assert model.index(0, 2).data() == "default"
    assert "PostgreSQL" in model.index(0, 3).data()
    assert model.index(0, 4).data() == "never changed here"
    assert panel.grab().save(str(tmp_path / "flags.png"))


def test_toggle_is_audited_and_undone(qtbot, shown, app: App) -> None:
    panel, window = shown
    panel.select_flag("BUILDER_ENABLED")
    assert panel.toggle_button.text() == "Turn on"
    panel.toggle_selected()
    _wait_audit(qtbot, panel, 1)
    assert app.flags.enabled(FlagName.BUILDER_ENABLED)
    assert window.messages[-1].startswith("BUILDER_ENABLED is now on (#1)")
    row = next(r for r in range(7) if panel.flags_model.index(r, 0).data() == "BUILDER_ENABLED")
    qtbot.waitUntil(lambda: panel.flags_model.index(row, 1).data() == "on", timeout=10_000)
    assert panel.flags_model.index(row, 2).data() == "flags.json"
    assert "#1" in panel.flags_model.index(row, 4).data()
    assert panel.audit_model.index(0, 5).data() == "window"

    panel.ask_confirm = lambda title, text: True
    panel.audit_table.selectRow(0)
    assert panel.undo_button.isEnabled()
    panel.undo_selected()
    _wait_audit(qtbot, panel, 2)
    assert not app.flags.enabled(FlagName.BUILDER_ENABLED)
    assert "undone by #2" in panel.audit_model.index(1, 6).data()


def test_risky_flag_asks_for_confirmation_and_a_reason(qtbot, shown, app: App) -> None:
    panel, window = shown
    asked: list[str] = []

    def refuse(title: str, text: str) -> bool:
        asked.append(text)
        return False

    panel.ask_confirm = refuse
    panel.select_flag("NEW_QUEUE_ENABLED")
    panel.toggle_selected()
    assert "NEW_QUEUE_ENABLED is a risky flag" in asked[0]
    panel.ask_confirm = lambda title, text: True
    panel.ask_reason = lambda title, label: "  "
    panel.toggle_selected()
    assert window.messages[-1] == "NEW_QUEUE_ENABLED unchanged: a reason is required"
    assert app.flag_service.history() == []
    panel.ask_reason = lambda title, label: "moving to Redis workers"
    panel.toggle_selected()
    _wait_audit(qtbot, panel, 1)
    assert app.queue_backend == "rq"
    assert panel.audit_model.index(0, 6).data() == "moving to Redis workers"


def test_environment_forced_flag_is_locked_and_names_the_variable(
    qtbot, home: Path, tmp_path: Path
) -> None:
    app = build_app(make_settings(home, CANARY_MODE="1")).start()
    try:
        with _shown(qtbot, app) as (panel, _):
            panel.select_flag("CANARY_MODE")
            row = panel.flags_table.selectionModel().selectedRows()[0].row()
            assert (
                panel.flags_model.index(row, 2).data() == "locked: environment variable CANARY_MODE"
            )
            assert panel.flags_model.index(row, 1).data() == "on"
            assert not panel.toggle_button.isEnabled()
            assert "CANARY_MODE" in panel.toggle_button.toolTip()
            panel.toggle_selected()
            assert app.flag_service.history() == []
    finally:
        app.close()


def test_broken_file_banner_and_reset(qtbot, home: Path, tmp_path: Path) -> None:
    flags_file = home / "config" / "flags.json"
    flags_file.parent.mkdir(parents=True)
    flags_file.write_text('{"PG_ENABLED": "yes"}')
    app = build_app(make_settings(home)).start()
    try:
        with _shown(qtbot, app) as (panel, _):
            assert panel.file_banner.isVisible()
            assert str(flags_file) in panel.file_error_label.text()
            assert 'must be true or false, not "yes"' in panel.file_error_label.text()
            panel.select_flag("BUILDER_ENABLED")
            assert not panel.toggle_button.isEnabled()
            assert panel.grab().save(str(tmp_path / "flags-broken.png"))
            panel.ask_confirm = lambda title, text: False
            panel.reset_file()
            assert flags_file.exists()
            panel.ask_confirm = lambda title, text: True
            panel.reset_file()
            qtbot.waitUntil(lambda: not panel.file_banner.isVisible(), timeout=10_000)
            assert not flags_file.exists()
            assert (
                flags_file.parent / "flags.json.broken-1"
            ).read_text() == '{"PG_ENABLED": "yes"}'
    finally:
        app.close()
