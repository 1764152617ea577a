"""Qt fixtures: offscreen, QSettings in a temporary folder, a window on a temporary App."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings

from levqor_desktop.app import build_app
from levqor_desktop.settings import Settings
from levqor_desktop.ui.main_window import MainWindow
from tests.ui.panel_support import started_window


@pytest.fixture
def qsettings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "qsettings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings: Settings, qsettings: QSettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The main window on a started App (SQLite in a temporary home)."""

    yield from started_window(qtbot, lambda: build_app(settings), qsettings)
