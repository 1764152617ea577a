"""The Logs panel: live follow across rotation, whole-file filters, job view, export."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from levqor_desktop.app import App
from levqor_desktop.ui.panels import logs as logs_panel
from levqor_desktop.ui.panels.logs import LogsPanel
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui


def line(n: int, level: str = "INFO", logger: str = "levqor_desktop.x", **context: object) -> str:
    data: dict[str, object] = {
        "timestamp": f"2026-11-28T10:{n // 60 % 60:02d}:{n % 60:02d}.{n % 1000:03d}Z",
        "level": level,
        "logger": logger,
        "message": f"message {n}",
    }
    if context:
        data["context"] = context
    return json.dumps(data) + "\n"


def write(path: Path, *lines: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.writelines(lines)


@pytest.fixture
def logs_dir(app: App) -> Path:
    return app.settings.log_dir


@pytest.fixture
def shown(
    qtbot, app: App, logs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LogsPanel, FakeWindow]]:
    monkeypatch.setattr(logs_panel, "TAIL_LINES", 100)
    write(logs_dir / "api.log", line(1, "ERROR"), *(line(n) for n in range(2, 400)))
    write(logs_dir / "queue.log", line(500, logger="levqor.queue", job_id=42))
    with shown_panel(qtbot, LogsPanel, app, size=(1200, 600)) as (panel, window):
        qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
        yield panel, window


def messages(panel: LogsPanel) -> list[str]:
    return [e.message for e in panel.model.entries]


def test_loads_the_newest_lines_and_follows(qtbot, shown, logs_dir: Path, tmp_path: Path) -> None:
    panel, _ = shown
    assert panel.model.rowCount() == 101  # the newest 100 of api.log + the queue line
    assert messages(panel)[-1] == "message 500"
    assert "(the newest 100 of each file)" in panel.status.text()
    write(logs_dir / "queue.log", line(600, "WARNING", logger="levqor.queue", job_id=43))
    qtbot.waitUntil(lambda: messages(panel)[-1] == "message 600", timeout=10_000)
    assert panel.model.index(panel.model.rowCount() - 1, 5).data() == "job_id=43"
    assert panel.grab().save(str(tmp_path / "logs.png"))


def test_follows_across_midnight_rotation(qtbot, shown, logs_dir: Path) -> None:
    panel, _ = shown
    write(logs_dir / "api.log", line(700))
    os.rename(logs_dir / "api.log", logs_dir / "api.log.2026-11-27")
    write(logs_dir / "api.log", line(701))
    qtbot.waitUntil(lambda: messages(panel)[-2:] == ["message 700", "message 701"], timeout=10_000)


def test_filters_search_the_whole_file_not_only_what_is_loaded(qtbot, shown) -> None:
    panel, _ = shown
    assert "message 1" not in messages(panel)  # not among the loaded newest lines
    panel.level_box.setCurrentIndex(panel.level_box.findData("ERROR"))
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
    assert messages(panel) == ["message 1"]
    assert "in the whole files" in panel.status.text()
    panel.level_box.setCurrentIndex(0)
    panel.text_edit.setText("MESSAGE 12")
    panel.reload()
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
    assert messages(panel) == ["message 12"] + [f"message {n}" for n in range(120, 130)]
    panel.text_edit.setText("")
    panel.logger_edit.setText("levqor.queue")
    panel.reload()
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
    assert messages(panel) == ["message 500"]


def test_job_view_and_live_lines_respect_the_filter(qtbot, shown, logs_dir: Path) -> None:
    panel, _ = shown
    panel.show_job(42)
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
    assert messages(panel) == ["message 500"]
    write(logs_dir / "queue.log", line(801, job_id=41), line(802, job_id=42))
    qtbot.waitUntil(lambda: messages(panel)[-1] == "message 802", timeout=10_000)
    assert "message 801" not in messages(panel)


def test_export_writes_the_current_view(qtbot, shown, tmp_path: Path) -> None:
    panel, window = shown
    panel.show_job(42)
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=10_000)
    target = tmp_path / "out.jsonl"
    panel.ask_export_path = lambda: str(target)
    panel.export_view()
    qtbot.waitUntil(lambda: bool(window.messages), timeout=10_000)
    assert window.messages[-1] == f"exported 1 lines to {target}"
    assert [json.loads(x)["message"] for x in target.read_text().splitlines()] == ["message 500"]
