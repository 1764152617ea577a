"""The status bar's queue segment says when this window runs no job workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from levqor_desktop.app import App, build_app
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels import PANELS
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring

pytestmark = pytest.mark.ui

OVERVIEW_ONLY = tuple(spec for spec in PANELS if spec.key == "overview")


def _open(qtbot: QtBot, home: Path, qsettings: QSettings, profile: str) -> MainWindow:
    settings = make_settings(home, LEVQOR_METRICS_PORT="0")
    keyring = MemoryKeyring()
    with build_app(settings, secret_backend=keyring) as app:
        app.profiles.add(
            "prod", database_url=f"sqlite:///{home / 'prod.db'}", environment="production"
        )

    def factory(name: str | None) -> App:
        return build_app(settings, profile=name, secret_backend=keyring)

    win = MainWindow(factory, profile=profile, settings=qsettings, panels=OVERVIEW_ONLY)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.start()
    return win


def test_on_production_the_queue_segment_says_workers_are_not_run_here(
    qtbot: QtBot, home: Path, qsettings: QSettings
) -> None:
    win = _open(qtbot, home, qsettings, "prod")
    try:
        assert win.app is not None and win.app.runs_job_workers is False
        label = win.status.queue
        qtbot.waitUntil(lambda: "workers: not run here" in label.text(), timeout=20_000)
        assert "profile setting 'workers'" in label.toolTip()
        assert "levqor profiles add prod --replace --workers" in label.toolTip()
    finally:
        win.shutdown()


def test_on_local_the_queue_segment_says_nothing_of_it(
    qtbot: QtBot, home: Path, qsettings: QSettings
) -> None:
    win = _open(qtbot, home, qsettings, "local")
    try:
        assert win.app is not None and win.app.runs_job_workers is True
        label = win.status.queue
        qtbot.waitUntil(lambda: "Queue: local (ok)" in label.text(), timeout=20_000)
        assert "workers" not in label.text()
    finally:
        win.shutdown()
