"""Migrations: a wizard that moves this installation from SQLite to PostgreSQL and back.

Target (URL + password; the password goes to the keyring) → Backup → Preflight report →
Migrate (a progress bar per table and overall, Cancel) → Verify (per-table parity,
green/red) → Switch; Rollback stays available after the switch. Every step runs off
the UI thread through the bridge; progress crosses back as a Qt signal. Steps that
replace data (migrate, switch, rollback) go through the production guard: they ask
first, for the deployment's name on production. Past runs are listed below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.migrate import (
    CancelToken,
    ParityReport,
    PreflightReport,
    Progress,
    RollbackResult,
    Target,
)
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.migrations_models import (
    ParityModel,
    ProgressDelegate,
    RunsModel,
    TableProgressModel,
    describe_preflight,
    describe_step,
    table_view,
)
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import FAIL, MUTED, OK


class MigrationsPanel(Panel):
    #: A progress report from the worker thread (delivered on the UI thread).
    progress = Signal(object)
    #: A step finished: (step name, result or exception).
    step_done = Signal(str, object)

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        self.cancel_token: CancelToken | None = None
        self.busy = False
        title = QLabel("Migrations")
        title.setObjectName("PanelTitle")
        self.state_label = QLabel()
        self.state_label.setStyleSheet(f"color: {MUTED};")

        # -- the target ------------------------------------------------------------------
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql://USER@HOST:5432/DATABASE")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("kept in the OS keyring, never in a file")
        form = QFormLayout()
        form.addRow("PostgreSQL URL", self.url)
        form.addRow("Password", self.password)
        target_box = QGroupBox("1. Target")
        target_box.setLayout(form)

        # -- the steps -------------------------------------------------------------------
        self.buttons: dict[str, QPushButton] = {}
        steps = QHBoxLayout()
        for key, label in (
            ("backup", "2. Back up"),
            ("preflight", "3. Preflight"),
            ("migrate", "4. Migrate"),
            ("verify", "5. Verify"),
            ("switch", "6. Switch"),
            ("rollback", "Roll back to SQLite"),
            ("cancel", "Cancel"),
        ):
            button = QPushButton(label)
            button.setObjectName(f"migrate-{key}")
            self.buttons[key] = button
            steps.addWidget(button)
            if key == "switch":
                steps.addStretch(1)
        self.buttons["backup"].clicked.connect(self.backup)
        self.buttons["preflight"].clicked.connect(self.preflight)
        self.buttons["migrate"].clicked.connect(self.migrate)
        self.buttons["verify"].clicked.connect(self.verify)
        self.buttons["switch"].clicked.connect(self.switch)
        self.buttons["rollback"].clicked.connect(self.rollback)
        self.buttons["cancel"].clicked.connect(self.cancel)
        self.buttons["cancel"].setEnabled(False)

        # -- report, progress, parity, runs ----------------------------------------------
        self.message = QLabel("Enter the target, then run the steps in order.")
        self.message.setWordWrap(True)
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("The preflight report appears here.")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.report.setFont(mono)
        self.overall = QProgressBar()
        self.overall.setFormat("%p%  (%v of %m rows)")
        self.overall.setValue(0)
        self.tables = TableProgressModel()
        self.tables_view = table_view(self.tables)
        self.tables_view.setItemDelegateForColumn(2, ProgressDelegate(self.tables_view))
        self.parity = ParityModel()
        self.parity_view = table_view(self.parity)
        self.runs = RunsModel()
        self.runs_view = table_view(self.runs)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("Preflight report"))
        left_layout.addWidget(self.report)
        left_layout.addWidget(QLabel("Copy progress"))
        left_layout.addWidget(self.overall)
        left_layout.addWidget(self.tables_view, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(QLabel("Parity check"))
        right_layout.addWidget(self.parity_view, 3)
        right_layout.addWidget(QLabel("Past runs"))
        right_layout.addWidget(self.runs_view, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([420, 580])

        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.state_label)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(target_box)
        layout.addLayout(steps)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)

        self.progress.connect(self._on_progress)
        self.step_done.connect(self._on_step_done)
        self._prefill()

    # -- life cycle ----------------------------------------------------------------------

    def on_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Reload past runs and the state line (off the UI thread)."""
        svc = self.app.migrations
        target = self._target_or_none()
        self.bridge.submit(
            svc.runs, target=target, on_result=self.runs.set_runs, on_error=self._quiet
        )
        self._update_state()

    def _prefill(self) -> None:
        configured = self.app.migrations.configured_url()
        if configured and not self.url.text():
            self.url.setText(Target.parse(configured).display)
        self._update_state()

    def _update_state(self) -> None:
        on_pg = self.app.db.backend == "postgresql"
        pg_flag = self.app.flags.enabled(FlagName.PG_ENABLED)
        where = "PostgreSQL" if on_pg else "SQLite"
        self.state_label.setText(
            f"running on {where}; PG_ENABLED {'on' if pg_flag else 'off'}"
            + ("; maintenance mode ON" if self.app.maintenance.active else "")
        )
        self.buttons["rollback"].setEnabled(not self.busy and (on_pg or pg_flag))
        for key in ("backup", "preflight", "migrate", "verify", "switch"):
            self.buttons[key].setEnabled(not self.busy)
        self.buttons["cancel"].setEnabled(self.busy and self.cancel_token is not None)

    # -- the steps -----------------------------------------------------------------------

    def backup(self) -> None:
        self._run("backup", self.app.migrations.backup, self._emit)

    def preflight(self) -> None:
        target = self._target()
        if target is not None:
            self._run("preflight", self._preflight_and_keep_password, target)

    def migrate(self) -> None:
        target = self._target()
        if target is None:
            return
        token = CancelToken()

        def start() -> None:
            self.cancel_token = token
            self.tables.reset_tables([])
            self.overall.setValue(0)

        self._guarded(
            "migrate",
            target.display,
            f"Copy every table of this installation into {target.display}?\n\n"
            "A backup is taken first; the SQLite database is not changed. Writes are "
            "paused while the copy runs. Levqor tables already in the target that an "
            "earlier, unfinished migration left are emptied first.",
            lambda: self.app.migrations.migrate(target, self._emit, token),
            start,
        )

    def verify(self) -> None:
        target = self._target()
        if target is not None:
            self.cancel_token = CancelToken()
            self._run("verify", self.app.migrations.verify, target, self._emit, self.cancel_token)

    def switch(self) -> None:
        target = self._target()
        if target is None:
            return
        self._guarded(
            "switch",
            target.display,
            f"Switch Levqor Desktop to {target.display}?\n\nThe parity check runs once "
            "more first. The password goes to the keyring, the URL (without it) to the "
            "config, PG_ENABLED is turned on; the app uses PostgreSQL from its next start.",
            lambda: self.app.migrations.switch(target, self._emit),
        )

    def rollback(self) -> None:
        target = self._target_or_none()
        token = CancelToken()

        def start() -> None:
            self.cancel_token = token
            self.tables.reset_tables([])

        self._guarded(
            "rollback",
            target.display if target is not None else "the configured PostgreSQL",
            "Roll back to SQLite?\n\nEvery row in PostgreSQL (also those written since the "
            "switch) is copied back into the SQLite database, which is backed up first; "
            "then PG_ENABLED is turned off.",
            lambda: self.app.migrations.rollback(target, self._emit, token),
            start,
        )

    def cancel(self) -> None:
        if self.cancel_token is not None:
            self.cancel_token.cancel()
            self.message.setText("Canceling after the current batch…")

    def confirm(self, question: str) -> bool:
        """Ask before a step that replaces data (tests replace this)."""
        answer = QMessageBox.question(self, "Levqor Desktop", question)
        return answer == QMessageBox.StandardButton.Yes

    # -- plumbing ------------------------------------------------------------------------

    def _preflight_and_keep_password(self, target: Target) -> PreflightReport:
        report = self.app.migrations.preflight(target)
        # The target answered with this password: keep it in the keyring, not the form.
        self.app.migrations.remember_password(target)
        return report

    def _target_or_none(self) -> Target | None:
        text = self.url.text().strip()
        if not text and not self.app.migrations.configured_url():
            return None
        try:
            return self.app.migrations.target(text or None, self.password.text() or None)
        except Exception:
            return None

    def _target(self) -> Target | None:
        try:
            return self.app.migrations.target(
                self.url.text().strip() or None, self.password.text() or None
            )
        except Exception as exc:
            self._show_failure(exc)
            return None

    def _emit(self, p: Progress) -> None:
        # Called on the worker thread; the signal queues it to the UI thread.
        self.progress.emit(p)

    def _run(self, step: str, fn: Callable[..., Any], *args: Any) -> None:
        self._started(step)
        self.bridge.submit(
            fn,
            *args,
            on_result=lambda result: self.step_done.emit(step, result),
            on_error=lambda exc: self.step_done.emit(step, exc),
        )

    def _guarded(
        self,
        step: str,
        target: str,
        question: str,
        do: Callable[[], Any],
        start: Callable[[], None] | None = None,
    ) -> None:
        """A step that replaces data: through the production guard (``migrate.<step>``,
        as ``levqor migrate`` names it), asking ``question`` on local and staging."""
        self.guarded.run(
            window_action(f"migrate.{step}", target, preview=[question.split("\n")[0]]),
            do,
            on_result=lambda result: self.step_done.emit(step, result),
            on_error=lambda exc: self.step_done.emit(step, exc),
            ask_locally=lambda _a: self.confirm(question),
            on_start=lambda: self._started(step, start),
        )

    def _started(self, step: str, first: Callable[[], None] | None = None) -> None:
        if first is not None:
            first()
        self.busy = True
        self._update_state()
        self.message.setText(f"{step}…")
        self.message.setStyleSheet("")

    def _on_progress(self, p: Progress) -> None:
        if p.phase in ("copy", "copy-back"):
            self.tables.update(p)
        if p.total:
            self.overall.setMaximum(max(p.total, 1))
            self.overall.setValue(p.rows)
        if p.table:
            eta = f", about {p.eta_s:.0f} s left" if p.eta_s is not None else ""
            self.message.setText(
                f"{p.phase}: {p.table} {p.table_rows:,}/{p.table_total:,} — "
                f"{p.rows:,} of {p.total:,} rows, {p.rate:,.0f} rows/s{eta}"
            )
        elif p.message:
            self.message.setText(f"{p.phase}: {p.message}")

    def _on_step_done(self, step: str, outcome: object) -> None:
        self.busy = False
        self.cancel_token = None
        if isinstance(outcome, BaseException):
            self._show_failure(outcome)
        else:
            self._show_result(step, outcome)
        self.refresh()

    def _show_failure(self, exc: BaseException) -> None:
        self.message.setText(f"✗ {exc}")
        self.message.setStyleSheet(f"color: {FAIL};")
        self._update_state()

    def _ok(self, text: str) -> None:
        self.message.setText(f"✓ {text}")
        self.message.setStyleSheet(f"color: {OK};")

    def _show_result(self, step: str, result: Any) -> None:
        if isinstance(result, PreflightReport):
            self.report.setPlainText(describe_preflight(result))
        elif isinstance(result, ParityReport):
            self.parity.set_report(result.tables)
        elif step == "migrate" or isinstance(result, RollbackResult):
            self.tables.finish_all()
        ok, text, reconnect = describe_step(step, result)
        if ok:
            self._ok(text)
        else:
            self._show_failure(Exception(text))
        if reconnect:
            self._reconnect()
        self._update_state()

    def _reconnect(self) -> None:
        """The database changed: the window reconnects (on the next event-loop turn,
        since this panel is replaced as part of it)."""
        QTimer.singleShot(0, self.ctx.window.reload_app)

    def _quiet(self, _exc: BaseException) -> None:
        """Past runs are a convenience: an unreachable target just shows none."""
