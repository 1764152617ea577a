"""The Connectors panel: the board, the generated credentials form, Test connection, remove."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox

from levqor_desktop.app import App
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.base import PanelContext
from levqor_desktop.ui.panels.connectors import ConnectorsPanel
from tests.helpers.memory_keyring import MemoryKeyring
from tests.ui.panel_support import FakeWindow

pytestmark = pytest.mark.ui
TOKEN = "xoxb-9999-panel-test-token"


def _slack(request: httpx.Request) -> httpx.Response:
    if request.headers.get("authorization") != f"Bearer {TOKEN}":
        return httpx.Response(200, json={"ok": False, "error": "invalid_auth"})
    return httpx.Response(
        200, json={"ok": True, "user": "panelbot", "team": "Acme", "user_id": "U9"}
    )


@pytest.fixture
def panel(qtbot, app: App):  # type: ignore[no-untyped-def]
    app.connectors.transport = httpx.MockTransport(_slack)
    bridge = Bridge()
    panel = ConnectorsPanel(PanelContext(app, bridge, FakeWindow()))
    qtbot.addWidget(panel)
    panel.on_shown()
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=10_000)
    yield panel
    panel.shutdown()
    bridge.close()


def _select(panel: ConnectorsPanel, name: str) -> None:
    for row in range(panel.proxy.rowCount()):
        card = panel.model.card(panel.proxy.mapToSource(panel.proxy.index(row, 0)).row())
        if card is not None and card.name == name:
            panel.table.selectRow(row)
            return
    raise AssertionError(f"{name} not on the board")


def test_board_lists_the_core_connectors(panel: ConnectorsPanel) -> None:
    names = {c.name for c in panel.model.cards}
    assert {"slack", "email", "ai"} <= names
    assert "CONNECTORS_V2_ENABLED" in panel.hint.text()
    panel.filter.setText("slack")
    assert panel.proxy.rowCount() == 1


def test_save_test_and_remove_an_account(
    qtbot, panel: ConnectorsPanel, app: App, keyring_backend: MemoryKeyring, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _select(panel, "slack")
    detail = panel.detail
    secret = detail.inputs["bot_token"]
    assert secret.echoMode() == QLineEdit.EchoMode.Password
    assert detail.label.text() == "default"
    secret.setText(TOKEN)
    detail.save.click()
    qtbot.waitUntil(
        lambda: any(a.label == "default" for a in _card(panel, "slack").accounts), timeout=10_000
    )
    assert TOKEN in keyring_backend.store.values()
    # The stored secret is never shown again.
    qtbot.waitUntil(lambda: detail.account.currentText() == "default", timeout=5000)
    assert detail.inputs["bot_token"].text() == ""
    assert "stored in the keyring" in detail.inputs["bot_token"].placeholderText()

    detail.test.click()
    # The result shows at once ("OK in N ms"), then as the account's remembered last test
    # once the board reloads; either way it names the bot the vendor authenticated.
    qtbot.waitUntil(lambda: "panelbot" in detail.status.text(), timeout=10_000)
    assert "FAILED" not in detail.status.text()
    qtbot.waitUntil(lambda: _card(panel, "slack").accounts[0].last_check_ok is True, timeout=10_000)

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    detail.remove.click()
    qtbot.waitUntil(lambda: not _card(panel, "slack").accounts, timeout=10_000)
    assert TOKEN not in keyring_backend.store.values()


def test_a_missing_secret_is_reported_in_the_panel(qtbot, panel: ConnectorsPanel) -> None:  # type: ignore[no-untyped-def]
    _select(panel, "slack")
    panel.detail.save.click()
    qtbot.waitUntil(lambda: "required field" in panel.detail.status.text(), timeout=10_000)


def _card(panel: ConnectorsPanel, name: str):  # type: ignore[no-untyped-def]
    return next(c for c in panel.model.cards if c.name == name)
