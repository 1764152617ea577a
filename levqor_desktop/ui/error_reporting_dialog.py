"""Help → Error reporting…: turn opt-in Sentry reports on or off, send a test report.

Every call (the keyring, the client's start and flush) runs off the UI thread through
the bridge; the dialog only shows the answers.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.errorreports import ErrorReporting, ReportingStatus
from levqor_desktop.ui.bridge import Bridge

WHAT_IS_SENT = (
    "Off unless you turn it on. When on, an unexpected error sends a report to your "
    "Sentry project: the kind of error, where in the code it happened, the log lines "
    "before it, and the versions of the app, Python and the OS. Before it leaves this "
    "machine, the report is stripped of local variables, job inputs and outputs, "
    "quoted values, credentials, tokens, Authorization headers and e-mail addresses. "
    "The DSN is kept in the system keyring."
)


class ErrorReportingDialog(QDialog):
    def __init__(
        self, reporting: ErrorReporting, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.reporting = reporting
        self.bridge = bridge
        self.setWindowTitle("Error reporting")
        self.resize(560, 260)
        about = QLabel(WHAT_IS_SENT)
        about.setWordWrap(True)
        self.state = QLabel("Reading the setting…")
        self.state.setObjectName("ErrorReportingState")
        self.dsn = QLineEdit()
        self.dsn.setEchoMode(QLineEdit.EchoMode.Password)
        self.dsn.setPlaceholderText("https://<key>@<host>/<project> (the project's DSN)")
        self.enable_button = QPushButton("Turn on")
        self.enable_button.clicked.connect(self.enable)
        self.disable_button = QPushButton("Turn off and forget the DSN")
        self.disable_button.clicked.connect(self.disable)
        self.test_button = QPushButton("Send a test report")
        self.test_button.clicked.connect(self.send_test)
        self.message = QLabel()
        self.message.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.dsn, 1)
        row.addWidget(self.enable_button)
        actions = QHBoxLayout()
        actions.addWidget(self.disable_button)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.state)
        layout.addLayout(row)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self._set_busy(True)
        self.refresh()

    def refresh(self) -> None:
        self.bridge.submit(self.reporting.status, on_result=self.show_status, on_error=self.fail)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.enable_button, self.disable_button, self.test_button):
            button.setEnabled(not busy)

    def show_status(self, status: ReportingStatus) -> None:
        self._set_busy(False)
        if status.enabled:
            self.state.setText(f"On: reports go to {status.destination}")
        else:
            self.state.setText("Off: nothing is sent")
        self.disable_button.setEnabled(status.enabled)
        self.test_button.setEnabled(status.enabled)

    def enable(self) -> None:
        dsn = self.dsn.text().strip()
        if not dsn:
            self.message.setText("Paste the DSN of your Sentry project first.")
            return
        self._set_busy(True)
        self.bridge.submit(self.reporting.enable, dsn, on_result=self._changed, on_error=self.fail)

    def disable(self) -> None:
        self._set_busy(True)
        self.bridge.submit(self.reporting.disable, on_result=self._changed, on_error=self.fail)

    def send_test(self) -> None:
        self._set_busy(True)
        self.bridge.submit(self.reporting.send_test, on_result=self._test_sent, on_error=self.fail)

    def _changed(self, status: ReportingStatus) -> None:
        self.dsn.clear()
        self.message.setText("")
        self.show_status(status)

    def _test_sent(self, _result: object) -> None:
        self.message.setText("A test report was sent; look for ReportCheck in your project.")
        self.refresh()

    def fail(self, exc: BaseException) -> None:
        # The buttons come back; the state line keeps what was last known.
        self._set_busy(False)
        self.message.setText(str(exc))
