"""``levqor-desktop --screenshots DIR``: one PNG per panel, then exit.

Each panel is shown in turn; once its background calls have finished (the bridge is
idle) and the event loop has settled, the whole window is grabbed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from levqor_desktop.ui.main_window import MainWindow

SETTLE_MS = 400
MAX_WAIT_MS = 15_000


class ScreenshotTour(QObject):
    def __init__(self, window: MainWindow, folder: Path, on_done: Callable[[int], None]) -> None:
        super().__init__(window)
        self.window = window
        self.folder = folder
        self.on_done = on_done
        self.index = 0
        self.waited = 0
        self.saved: list[Path] = []
        folder.mkdir(parents=True, exist_ok=True)
        # The same size on every machine (an offscreen screen may be smaller).
        window.resize(1280, 820)
        window.app_ready.connect(lambda _app: QTimer.singleShot(SETTLE_MS, self._next))
        window.start_failed.connect(self._failed)

    def _failed(self, _exc: object) -> None:
        # Keep a picture of what the operator would see, then report failure.
        path = self.folder / "00-startup-error.png"
        self.window.grab().save(str(path))
        self.saved.append(path)
        self.on_done(1)

    def _next(self) -> None:
        specs = self.window.specs
        if self.index >= len(specs):
            self.on_done(0)
            return
        self.window.show_panel(specs[self.index].key)
        self.waited = 0
        QTimer.singleShot(SETTLE_MS, self._capture_when_idle)

    def _capture_when_idle(self) -> None:
        if self.window.bridge.in_flight and self.waited < MAX_WAIT_MS:
            self.waited += 100
            QTimer.singleShot(100, self._capture_when_idle)
            return
        spec = self.window.specs[self.index]
        path = self.folder / f"{self.index + 1:02d}-{spec.key}.png"
        self.window.grab().save(str(path))
        self.saved.append(path)
        self.index += 1
        self._next()
