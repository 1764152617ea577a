"""The window's deployments: switching profile, the band, a failed switch, a second
window, and the Overview's rows of every deployment."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from levqor_desktop.__main__ import parse_args
from levqor_desktop.app import App, build_app
from levqor_desktop.settings import Settings
from levqor_desktop.ui.deployments import LAST_PROFILE_KEY, start_detached, window_command
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels import PANELS
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.ui

OVERVIEW_ONLY = tuple(spec for spec in PANELS if spec.key == "overview")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def deployed(home: Path) -> Settings:
    """Settings with a production profile (its own SQLite file) and one that is down."""
    settings = make_settings(home, LEVQOR_METRICS_PORT="0")
    with build_app(settings, secret_backend=MemoryKeyring()) as app:
        app.profiles.add(
            "prod", database_url=f"sqlite:///{home / 'prod.db'}", environment="production"
        )
        app.profiles.add(
            "down",
            database_url=f"postgresql://ops@127.0.0.1:{_closed_port()}/levqor",
            environment="staging",
        )
    return settings


def _window(
    qtbot: QtBot, settings: Settings, qsettings: QSettings, profile: str | None = None
) -> MainWindow:
    keyring = MemoryKeyring()

    def factory(name: str | None) -> App:
        return build_app(settings, profile=name, secret_backend=keyring)

    win = MainWindow(factory, profile=profile, settings=qsettings, panels=OVERVIEW_ONLY)
    qtbot.addWidget(win)
    return win


@pytest.fixture
def window(qtbot: QtBot, deployed: Settings, qsettings: QSettings) -> Iterator[MainWindow]:
    win = _window(qtbot, deployed, qsettings)
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.start()
    # The combo lists every profile once the list has been read off the UI thread.
    qtbot.waitUntil(lambda: win.deployments.combo.count() == 3, timeout=10_000)
    yield win
    win.shutdown()


def test_switching_rebuilds_the_app_on_the_chosen_profile(
    qtbot: QtBot, window: MainWindow, qsettings: QSettings
) -> None:
    assert window.windowTitle() == "Levqor Desktop — local (local)"
    first = window.app
    combo = window.deployments.combo
    with qtbot.waitSignal(window.app_ready, timeout=20_000):
        combo.activated.emit(combo.findData("prod"))
    assert window.app is not None and window.app is not first
    assert window.app.profile.name == "prod"
    assert window.app.db.location.endswith("prod.db")
    assert window.windowTitle() == "Levqor Desktop — prod (production)"
    assert "#c62828" in window.deployments.band.styleSheet()
    assert window.deployments.band.text() == "PRODUCTION · prod"
    assert window.status.deployment.text() == "prod · production"
    assert "#c62828" in window.status.deployment.styleSheet()
    assert combo.currentData() == "prod"
    assert qsettings.value(LAST_PROFILE_KEY) == "prod"


def test_the_remembered_profile_opens_and_a_forced_one_wins(
    qtbot: QtBot, deployed: Settings, qsettings: QSettings
) -> None:
    qsettings.setValue(LAST_PROFILE_KEY, "prod")
    win = _window(qtbot, deployed, qsettings)
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.start()
    assert win.app is not None and win.app.profile.name == "prod"
    win.shutdown()
    forced = _window(qtbot, deployed, qsettings, profile="local")
    with qtbot.waitSignal(forced.app_ready, timeout=20_000):
        forced.start()
    assert forced.app is not None and forced.app.profile.name == "local"
    assert qsettings.value(LAST_PROFILE_KEY) == "prod"  # --profile is not remembered
    forced.shutdown()


def test_a_failed_switch_shows_retry_and_the_way_back(qtbot: QtBot, window: MainWindow) -> None:
    window.deployments.ask_profile = lambda _title, items: "down (staging)"
    command = window.shell.registry.find("file.switch_deployment")
    assert command is not None and command.title == "Switch deployment…"
    with qtbot.waitSignal(window.start_failed, timeout=30_000):
        command.run()
        # One App at a time: a second choice while connecting is turned away.
        window.deployments.switch("prod")
    assert window.app is None
    assert window.deployments.requested == "down"
    assert window.status.deployment.isHidden()
    banner = window.banner
    assert "cannot reach the database" in banner.label.text()
    assert banner.action_button.text() == "Retry"
    assert banner.second_button.text() == "Back to local"
    assert "not connected" in window.windowTitle()
    # The environment stays in sight while not connected.
    assert window.deployments.band.text() == "STAGING · down · not connected"
    assert window.deployments.band.isVisibleTo(window)
    with qtbot.waitSignal(window.app_ready, timeout=20_000):
        banner.second_button.click()
    assert window.app is not None and window.app.profile.name == "local"
    assert window.windowTitle() == "Levqor Desktop — local (local)"


def test_new_window_command_starts_a_second_process_on_the_chosen_profile(
    window: MainWindow,
) -> None:
    launched: list[tuple[str, list[str], dict[str, str]]] = []
    window.deployments.launch = lambda program, args, env: (
        launched.append((program, args, env)) or True
    )
    asked: list[list[str]] = []
    window.deployments.ask_profile = lambda _title, items: asked.append(items) or items[0]
    command = window.shell.registry.find("file.new_window")
    assert command is not None and command.title == "Open deployment in new window…"
    command.run()
    # The current deployment is not offered; the others are, with their environment.
    assert asked == [["down (staging)", "prod (production)"]]
    assert launched == [
        (
            sys.executable,
            ["-m", "levqor_desktop", "--profile", "down"],
            {"LEVQOR_METRICS_PORT": "0"},
        )
    ]
    assert window.shell.registry.find("file.switch_deployment") is not None


def test_start_detached_really_starts_the_program_with_the_environment(
    qtbot: QtBot, tmp_path: Path
) -> None:
    out = tmp_path / "child.txt"
    code = (
        f"import os, sys; open({str(out)!r}, 'w')"
        ".write(os.environ['LEVQOR_METRICS_PORT'] + ' ' + sys.argv[1])"
    )
    assert start_detached(sys.executable, ["-c", code, "prod"], {"LEVQOR_METRICS_PORT": "0"})
    qtbot.waitUntil(lambda: out.exists() and out.read_text() == "0 prod", timeout=30_000)


def test_the_window_command_opens_the_named_profile() -> None:
    program, args = window_command("prod")
    assert program == sys.executable
    assert parse_args(args[2:]).profile == "prod"


def test_overview_lists_every_deployment(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.panel("overview")
    assert panel is not None
    rows = panel.deployments  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: rows.last is not None, timeout=20_000)
    texts = {row[0].split(" · ")[0]: row for row in rows.row_texts()}
    assert set(texts) == {"local", "prod", "down"}
    assert texts["local"][0] == "local · local (this window)"
    assert "reachable" in texts["local"][1] and texts["local"][2] == "0"
    assert "unreachable" in texts["down"][1] and str(texts["down"][2]) == "—"
    # prod's SQLite file does not exist yet: an error, and the file is not created.
    assert "no database file" in texts["prod"][1]
    assert "#ef8f00" in rows.rows[[r.name for r in rows.last].index("down")][0].styleSheet()
