"""Building one panel on an App without the main window (for panel tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from levqor_desktop.app import App
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.base import PanelContext


@dataclass
class FakeWindow:
    errors: list[BaseException] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def show_error(self, exc: BaseException) -> None:
        self.errors.append(exc)

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        self.messages.append(text)

    def notify(self, title: str, text: str) -> None:
        self.messages.append(f"{title}: {text}")


def panel_context(app: App) -> tuple[PanelContext, FakeWindow]:
    window = FakeWindow()
    return PanelContext(app, Bridge(), window), window
