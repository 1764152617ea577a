"""The Canary panel: the button, the table filling in live, the verdict, the history,
the automatic rollback shown and notified, and the API keys dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from levqor_desktop.app import build_app
from levqor_desktop.core.canary import CHECKS, AutoOutcome, Status, Verdict
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.jobs.heartbeat import WorkerBoard
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.opsapi.server import build_ops_server
from levqor_desktop.ui.canary_dialogs import ApiKeysDialog
from levqor_desktop.ui.canary_notify import CanaryNotifier
from levqor_desktop.ui.main_window import MainWindow
from levqor_desktop.ui.panels.canary import CanaryPanel
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.canary_support import free_port, redis_server
from tests.ui.panel_support import started_window

pytestmark = pytest.mark.ui


@pytest.fixture
def canary_window(qtbot: QtBot, home: Path, qsettings: QSettings) -> Iterator[MainWindow]:
    # Redis is not running where the queue switch points: NEW_QUEUE_ENABLED fails the canary.
    settings = make_settings(
        home, LEVQOR_METRICS_PORT="0", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )

    yield from started_window(
        qtbot, lambda: build_app(settings, secret_backend=MemoryKeyring()), qsettings
    )


def open_panel(window: MainWindow) -> CanaryPanel:
    window.show_panel("canary")
    panel = window.panel("canary")
    assert isinstance(panel, CanaryPanel)
    return panel


def test_run_fills_the_table_live_and_keeps_history(
    qtbot: QtBot, canary_window: MainWindow, tmp_path: Path
) -> None:
    panel = open_panel(canary_window)
    app = canary_window.app
    assert app is not None
    board = WorkerBoard(app.db, utcnow, "local")
    board.register(board.make_id("ui-test"))
    arrived: list[str] = []
    panel.check_done.connect(lambda r: arrived.append(r.name))
    assert panel.target.currentText() == "This app"
    qtbot.waitUntil(lambda: "CANARY_MODE is off" in panel.rollback.text(), timeout=10_000)

    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not panel.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.last_report is not None and not panel.running, timeout=30_000)

    assert arrived == list(CHECKS)  # one signal per check, in order, as each finished
    report = panel.last_report
    assert report is not None and report.verdict is Verdict.PASS
    assert panel.verdict.text().startswith("● PASS")
    for row, name in enumerate(CHECKS):
        result = panel.checks.result_at(row)
        assert result is not None and result.name == name
        shown = panel.checks.data(panel.checks.index(row, 1))
        assert shown.endswith("no data" if result.status is Status.NO_DATA else result.status.value)
    qtbot.waitUntil(lambda: panel.history.rowCount() == 1, timeout=10_000)
    assert panel.history.run_at(0) is not None
    path = tmp_path / "canary-panel.png"
    assert panel.grab().save(str(path)) and path.stat().st_size > 0


def test_a_reverted_risky_change_is_shown_and_notified(
    qtbot: QtBot, canary_window: MainWindow
) -> None:
    panel = open_panel(canary_window)
    app = canary_window.app
    assert app is not None and app.actor is not None
    notes: list[tuple[str, str]] = []

    class Window:
        def notify(self, title: str, text: str) -> None:
            notes.append((title, text))

    notifier = CanaryNotifier(app, Window())
    try:
        app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
        with qtbot.waitSignal(panel.auto_outcome, timeout=30_000) as blocker:
            app.flag_service.set(app.actor, FlagName.NEW_QUEUE_ENABLED, True, "try RQ")
        outcome = blocker.args[0]
        assert isinstance(outcome, AutoOutcome) and outcome.reverted
        assert "reverted NEW_QUEUE_ENABLED" in panel.rollback.text()
        assert panel.revert_button.isHidden()
        qtbot.waitUntil(lambda: len(notes) == 1, timeout=10_000)
        assert notes[0][0] == "Canary fail after NEW_QUEUE_ENABLED on"
        assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
        qtbot.waitUntil(lambda: panel.history.rowCount() >= 1, timeout=10_000)
        run = panel.history.run_at(0)
        assert run is not None and run.trigger == "auto" and run.rollback
    finally:
        notifier.close()
        app.canary.auto.wait_idle(30)


def test_api_keys_dialog_shows_a_new_key_once(qtbot: QtBot, canary_window: MainWindow) -> None:
    panel = open_panel(canary_window)
    app = canary_window.app
    assert app is not None
    dialog = ApiKeysDialog(panel.ctx, panel)
    qtbot.addWidget(dialog)
    dialog.name.setText("prometheus")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.shown_key.text().startswith("lvq_"), timeout=10_000)
    principal = app.api_keys.authenticate(dialog.shown_key.text())
    assert principal is not None and principal.role.value == "viewer"
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    dialog.table.selectRow(0)
    qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Revoked"), timeout=10_000)
    assert app.api_keys.authenticate(dialog.shown_key.text()) is None


def test_a_saved_deployment_is_checked_through_its_api(
    qtbot: QtBot, canary_window: MainWindow
) -> None:
    panel = open_panel(canary_window)
    app = canary_window.app
    assert app is not None and app.actor is not None
    key = app.api_keys.create(app.actor, name="panel").key
    server = build_ops_server(app, port=0)
    server.start()
    try:
        assert server.url is not None
        saved = app.canary.add_deployment(app.actor, "itself", server.url, api_key=key)
        assert saved.api_key_secret and app.secrets.get(saved.api_key_secret) == key
        panel.reload()
        qtbot.waitUntil(lambda: panel.target.count() == 2, timeout=10_000)
        panel.target.setCurrentIndex(1)
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.last_report is not None and not panel.running, timeout=30_000)
    finally:
        server.stop()
    report = panel.last_report
    assert report is not None and report.target_label == "itself"
    assert report.target.startswith("http://127.0.0.1:")
    health = report.results[0]
    assert health.status is Status.PASS and "answers" in health.summary
    assert "itself" in panel.verdict.text()


def test_a_marginal_change_offers_the_revert_in_the_panel(
    qtbot: QtBot, home: Path, qsettings: QSettings
) -> None:
    with redis_server() as (redis_url, _proc):
        settings = make_settings(home, LEVQOR_METRICS_PORT="0", REDIS_URL=redis_url)
        win = MainWindow(lambda _profile: build_app(settings, secret_backend=MemoryKeyring()),
                         settings=qsettings)  # fmt: skip
        qtbot.addWidget(win)
        with qtbot.waitSignal(win.app_ready, timeout=20_000):
            win.start()
        try:
            panel = open_panel(win)
            app = win.app
            assert app is not None and app.actor is not None
            app.flag_service.set(app.actor, FlagName.CANARY_MODE, True, "watch")
            with qtbot.waitSignal(panel.auto_outcome, timeout=30_000):
                # Redis answers but no RQ worker runs: marginal, so the revert is offered.
                app.flag_service.set(app.actor, FlagName.NEW_QUEUE_ENABLED, True, "try RQ")
            assert not panel.revert_button.isHidden() and "offered" in panel.rollback.text()
            assert app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
            qtbot.mouseClick(panel.revert_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: panel.revert_button.isHidden(), timeout=10_000)
            assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
            assert "reverted NEW_QUEUE_ENABLED" in panel.rollback.text()
        finally:
            assert win.app is not None
            win.app.canary.auto.wait_idle(30)
            win.shutdown()
