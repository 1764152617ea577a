"""Help → Error reporting…: on with a DSN, a test report that really arrives, then off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sentry_sdk
from PySide6.QtCore import QSettings

from levqor_desktop.app import build_app
from levqor_desktop.core.errorreports import DSN_KEY
from levqor_desktop.settings import Settings
from levqor_desktop.ui.error_reporting_dialog import ErrorReportingDialog
from levqor_desktop.ui.main_window import MainWindow
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.sentry_server import SentryStandIn, running_sentry
from tests.ui.panel_support import started_window

pytestmark = pytest.mark.ui


@pytest.fixture
def sentry() -> Iterator[SentryStandIn]:
    with running_sentry() as server:
        yield server
    sentry_sdk.get_isolation_scope().clear()


@pytest.fixture
def keyed_window(  # type: ignore[no-untyped-def]
    qtbot, settings: Settings, qsettings: QSettings, keyring_backend: MemoryKeyring
) -> Iterator[MainWindow]:
    yield from started_window(
        qtbot, lambda: build_app(settings, secret_backend=keyring_backend), qsettings
    )


def test_turn_on_send_a_test_report_turn_off(  # type: ignore[no-untyped-def]
    qtbot, keyed_window: MainWindow, sentry: SentryStandIn, keyring_backend: MemoryKeyring
) -> None:
    command = keyed_window.shell.registry.find("help.errors")
    assert command is not None and command.group == "Help"
    command.run()
    dialog = keyed_window.findChild(ErrorReportingDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.state.text() == "Off: nothing is sent")
    assert not dialog.test_button.isEnabled()

    dialog.enable_button.click()
    assert dialog.message.text() == "Paste the DSN of your Sentry project first."
    dialog.dsn.setText(sentry.dsn)
    dialog.enable_button.click()
    destination = sentry.dsn.replace("publickey4242@", "")
    qtbot.waitUntil(lambda: dialog.state.text() == f"On: reports go to {destination}")
    assert dialog.dsn.text() == ""  # the field does not keep it
    assert keyring_backend.get_password("levqor-desktop", DSN_KEY) == sentry.dsn

    dialog.test_button.click()
    event = sentry.next_event()
    assert event["exception"]["values"][-1]["type"] == "ReportCheck"
    qtbot.waitUntil(lambda: "test report was sent" in dialog.message.text())

    qtbot.waitUntil(dialog.disable_button.isEnabled)
    dialog.disable_button.click()
    qtbot.waitUntil(lambda: dialog.state.text() == "Off: nothing is sent")
    assert keyring_backend.get_password("levqor-desktop", DSN_KEY) is None
    assert not sentry_sdk.get_client().is_active()


def test_a_bad_dsn_is_shown_not_stored(  # type: ignore[no-untyped-def]
    qtbot, keyed_window: MainWindow, keyring_backend: MemoryKeyring
) -> None:
    keyed_window.open_error_reporting()
    dialog = keyed_window.findChild(ErrorReportingDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.enable_button.isEnabled)
    dialog.dsn.setText("https://no-project-here")
    dialog.enable_button.click()
    qtbot.waitUntil(lambda: dialog.message.text().startswith("not a Sentry DSN"))
    assert dialog.enable_button.isEnabled()
    assert keyring_backend.get_password("levqor-desktop", DSN_KEY) is None
