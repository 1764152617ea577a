"""Building one panel on an App without the main window (for panel tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from levqor_desktop.app import App
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels.base import Panel, PanelContext


@dataclass
class FakeWindow:
    errors: list[BaseException] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.messages.append(text)

    reloads: int = 0

    def notify(self, title: str, text: str) -> None:
        self.messages.append(f"{title}: {text}")

    def reload_app(self) -> None:
        self.reloads += 1


def panel_context(app: App) -> tuple[PanelContext, FakeWindow]:
    window = FakeWindow()
    return PanelContext(app, Bridge(), window), window


P = TypeVar("P", bound=Panel)


@contextmanager
def shown_panel(
    qtbot: Any,
    panel_cls: type[P],
    app: App,
    *,
    size: tuple[int, int],
    loads: str | None = None,
) -> Iterator[tuple[P, FakeWindow]]:
    """Build ``panel_cls`` on ``app`` and show it; with ``loads`` (the name of one of its
    Qt models), wait until that model is first filled. Shut it down afterwards."""
    ctx, window = panel_context(app)
    panel = panel_cls(ctx)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    if loads is None:
        panel.on_shown()
    else:
        with qtbot.waitSignal(getattr(panel, loads).modelReset, timeout=10_000):
            panel.on_shown()
    try:
        yield panel, window
    finally:
        panel.shutdown()
        ctx.bridge.close()


def started_window(
    qtbot: QtBot, factory: Callable[[], App], qsettings: QSettings
) -> Iterator[MainWindow]:
    """A window on ``factory``'s App, once it is ready; shut down when the test ends."""
    win = MainWindow(lambda _profile: factory(), settings=qsettings)
    qtbot.addWidget(win)
    with qtbot.waitSignal(win.app_ready, timeout=20_000):
        win.start()
    try:
        yield win
    finally:
        win.shutdown()
