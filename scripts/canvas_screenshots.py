"""Screenshots of the workflow canvas (README): a fan-out graph after a test run.

    xvfb-run -a -s "-screen 0 1400x900x24" python scripts/canvas_screenshots.py docs/screenshots

Writes ``canvas-light.png`` and ``canvas-dark.png``: the Workflows panel with
BUILDER_ENABLED on, a temporary home (SQLite), the graph auto-laid out, a test run
finished and one node selected so the inspector shows its input and output.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QSplitter

from levqor_desktop.app import build_app
from levqor_desktop.settings import Settings
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.base import PanelContext
from levqor_desktop.ui.panels.workflows import WorkflowsPanel
from levqor_desktop.ui.theme import apply_theme

FAN_OUT = {
    "name": "release-digest",
    "description": "One fetch fans out to three branches that join in a report.",
    "trigger": {"type": "manual"},
    "inputs": {"release": {"type": "string", "default": "2.4.0"}},
    "steps": [
        {"id": "collect", "uses": "core.transform", "needs": [],
         "with": {"value": {"release": "{{ inputs.release }}", "issues": [3, 5, 8]}}},
        {"id": "count", "uses": "core.transform", "needs": ["collect"],
         "with": {"value": "{{ steps.collect.output.value.issues | length }}"}},
        {"id": "total", "uses": "core.transform", "needs": ["collect"],
         "with": {"value": "{{ steps.collect.output.value.issues | sum }}"}},
        {"id": "cool_down", "uses": "core.delay", "needs": ["collect"], "with": {"seconds": 0.2}},
        {"id": "report", "uses": "core.log", "needs": ["count", "total", "cool_down"],
         "with": {"message": "{{ steps.collect.output.value.release }}: "
                  "{{ steps.count.output.value }} issues, {{ steps.total.output.value }} points"}},
        {"id": "archive", "uses": "core.log", "needs": ["collect"],
         "if": "steps.collect.output.value.issues | length > 2",
         "with": {"message": "archived {{ steps.collect.output.value.release }}"}},
    ],
}  # fmt: skip


def settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: object, timeout_ms: int = 10_000) -> None:
    waited = 0
    while not condition() and waited < timeout_ms:  # type: ignore[operator]
        settle(50)
        waited += 50


def shoot(folder: Path, dark: bool) -> Path:
    qt = QApplication.instance()
    assert isinstance(qt, QApplication)
    apply_theme(qt, dark)
    home = Path(tempfile.mkdtemp(prefix="levqor-shots-"))
    settings = Settings.from_env({"BUILDER_ENABLED": "1"}, home=home)
    app = build_app(settings).start()
    bridge = Bridge()
    panel = WorkflowsPanel(PanelContext(app, bridge, _Window()))
    panel.resize(1400, 820)
    panel.show()
    splitter = panel.findChild(QSplitter)
    assert splitter is not None
    splitter.setSizes([0, 1400])  # the (empty) list of workflows folded away
    canvas = panel.canvas
    assert canvas is not None
    panel.tabs.setCurrentWidget(canvas)
    panel.editor.set_text(json.dumps(FAN_OUT, indent=2) + "\n")
    panel.validator.validate_now(panel.editor.text())
    wait_for(lambda: "report" in canvas.scene.nodes)
    settle(200)
    canvas.view.fit()
    done: list[object] = []
    panel.runner.finished.connect(done.append)
    canvas.test_requested.emit()
    wait_for(lambda: bool(done))
    canvas.select(["report"])
    settle(300)
    path = folder / f"canvas-{'dark' if dark else 'light'}.png"
    panel.grab().save(str(path))
    panel.shutdown()
    bridge.close()
    app.close()
    return path


class _Window:
    def show_error(self, exc: BaseException) -> None:
        print("error:", exc, file=sys.stderr)

    def show_message(self, text: str, timeout_ms: int = 5000) -> None:
        print(text)

    def notify(self, title: str, text: str) -> None:
        print(f"{title}: {text}")

    def reload_app(self) -> None:
        """Not needed for a screenshot."""


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    QCoreApplication.setApplicationName("levqor-screenshots")
    _qt = QApplication(sys.argv[:1])
    for dark in (False, True):
        print(shoot(folder, dark))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
