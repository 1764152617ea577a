"""The window shell: off-thread calls, panels, shortcuts, memory of layout, start-up errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QLabel

from levqor_desktop.app import App, build_app
from levqor_desktop.errors import DatabaseUnavailable
from levqor_desktop.settings import Settings
from levqor_desktop.ui.bridge import Bridge, Poller
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels import PANELS, PanelSpec
from levqor_desktop.ui.panels.base import Panel, PanelContext
from tests.conftest import make_settings

pytestmark = pytest.mark.ui


class SlowService:
    """A fake core service whose call blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.thread: str | None = None

    def call(self) -> str:
        self.thread = threading.current_thread().name
        assert self.release.wait(10)
        return "done"


def test_ui_thread_keeps_processing_events_during_a_slow_call(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge()
    service = SlowService()
    results: list[str] = []
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()

    bridge.submit(service.call, on_result=results.append)
    # While the call is blocked in its thread, the UI thread's timer keeps firing.
    qtbot.waitUntil(lambda: len(ticks) > 50, timeout=5000)
    assert results == []
    assert service.thread is not None
    assert service.thread != threading.current_thread().name
    service.release.set()
    qtbot.waitUntil(lambda: results == ["done"], timeout=5000)
    timer.stop()
    bridge.close()


def test_errors_come_back_on_the_ui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge()
    seen: list[tuple[BaseException, bool]] = []
    main = threading.current_thread()

    def fail() -> None:
        raise DatabaseUnavailable("no server")

    bridge.submit(fail, on_error=lambda exc: seen.append((exc, threading.current_thread() is main)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert isinstance(seen[0][0], DatabaseUnavailable)
    assert seen[0][1] is True
    with qtbot.waitSignal(bridge.error, timeout=5000) as blocker:
        bridge.submit(fail)
    assert str(blocker.args[0]) == "no server"
    bridge.close()


def test_poller_never_overlaps(qtbot) -> None:  # type: ignore[no-untyped-def]
    bridge = Bridge()
    service = SlowService()
    got: list[str] = []
    poller = Poller(bridge, 1, service.call, got.append)
    poller.start()
    qtbot.wait(50)  # many timer periods pass while the first call is blocked
    assert bridge.in_flight == 1
    service.release.set()
    qtbot.waitUntil(lambda: len(got) >= 2, timeout=5000)
    poller.stop()
    bridge.close()


class _Page(Panel):
    shown = 0

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        QLabel(type(self).__name__, self)

    def on_shown(self) -> None:
        type(self).shown += 1


class PageA(_Page):
    pass


class PageB(_Page):
    pass


TEST_PANELS = (
    PanelSpec("a", "A", f"{__name__}:PageA"),
    PanelSpec("b", "B", f"{__name__}:PageB"),
)


def _window(qtbot, settings: Settings, qsettings: QSettings) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(lambda _profile: build_app(settings), settings=qsettings, panels=TEST_PANELS)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.start()
    return win


def test_shortcuts_switch_panels_and_panels_are_built_lazily(qtbot, settings, qsettings) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, settings, qsettings)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    # The shortcuts are made after the first paint (they would slow it down).
    qtbot.waitUntil(lambda: any(not a.shortcut().isEmpty() for a in win.actions()), timeout=5000)
    assert win.panel("a") is not None
    assert win.panel("b") is None
    qtbot.keyClick(win, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(win.pages.currentWidget(), PageB)
    qtbot.keyClick(win, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(win.pages.currentWidget(), PageA)
    win.shutdown()


def test_geometry_and_last_panel_are_remembered(qtbot, settings, qsettings) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, settings, qsettings)
    win.resize(701, 502)
    win.show_panel("b")
    win.close()
    again = _window(qtbot, settings, qsettings)
    assert (again.width(), again.height()) == (701, 502)
    assert isinstance(again.pages.currentWidget(), PageB)
    again.shutdown()


def test_a_database_that_is_down_shows_a_banner_not_a_crash(qtbot, home, qsettings) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        home, DATABASE_URL="postgresql://postgres@127.0.0.1:9/x", PG_ENABLED="1"
    )
    win = MainWindow(lambda _profile: build_app(settings), settings=qsettings, panels=TEST_PANELS)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.start_failed, timeout=20_000):
        win.start()
    assert not win.banner.isHidden()
    assert "cannot reach the database" in win.banner.label.text()
    assert win.banner.action_button.text() == "Retry"
    assert win.app is None
    win.shutdown()


def test_overview_panel_shows_real_state(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    panel = window.panel("overview")
    assert panel is not None
    qtbot.waitUntil(lambda: panel.last is not None, timeout=10_000)  # type: ignore[attr-defined]
    assert panel.fields["orgs"].text() == "1"  # type: ignore[attr-defined]
    from levqor_desktop.core.schema import head_revisions

    assert ", ".join(head_revisions()) in panel.fields["schema"].text()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "SQLite" in window.status.database.text(), timeout=10_000)


def test_screenshots_command_saves_one_png_per_panel(tmp_path: Path) -> None:
    out = tmp_path / "shots"
    env = {
        "LEVQOR_HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        "PATH": "/usr/bin:/bin",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "levqor_desktop", "--screenshots", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == [f"{n:02d}-{spec.key}.png" for n, spec in enumerate(PANELS, start=1)]
    assert all(p.stat().st_size > 5000 for p in out.glob("*.png"))


def test_app_type_is_exposed(window: MainWindow) -> None:
    assert isinstance(window.app, App)


def test_reload_app_reconnects_and_returns_to_the_same_panel(qtbot, settings, qsettings) -> None:  # type: ignore[no-untyped-def]
    win = _window(qtbot, settings, qsettings)
    win.show_panel("b")
    first_app, first_panel = win.app, win.panel("b")
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.reload_app()
    assert win.app is not None
    assert win.app is not first_app
    assert isinstance(win.pages.currentWidget(), PageB)
    assert win.panel("b") is not first_panel
    win.shutdown()
