"""Canary: one button to learn whether this app or a deployment is healthy.

The checks fill the table live, one row per check as it finishes (the run happens off
the UI thread; each result crosses back by a signal). Below: the verdict, what the
automatic canary did after the last risky change (or the revert it offers), and the
history of runs.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.canary import CHECKS, AutoOutcome, Deployment, RunReport
from levqor_desktop.core.flags import FlagName
from levqor_desktop.ui.canary_dialogs import ApiKeysDialog, DeploymentDialog
from levqor_desktop.ui.canary_models import VERDICT_COLOUR, ChecksModel, HistoryModel
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.theme import MUTED
from levqor_desktop.ui.widgets.tables import row_table

HISTORY_LIMIT = 100


class CanaryPanel(Panel):
    #: A check finished (emitted on the canary's thread, delivered on the UI thread).
    check_done = Signal(object)
    #: The automatic canary finished after a risky change.
    auto_outcome = Signal(object)

    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        title = QLabel("Canary")
        title.setObjectName("PanelTitle")
        self.target = QComboBox()
        self.target.setMinimumWidth(260)
        self.target.setToolTip("What to check: this app, or a saved deployment")
        add = QPushButton("Add deployment…")
        add.clicked.connect(self.add_deployment)
        keys = QPushButton("API keys…")
        keys.clicked.connect(self.open_keys)
        self.run_button = QPushButton("Run canary")
        self.run_button.setObjectName("CanaryRun")
        self.run_button.setMinimumHeight(44)
        self.run_button.setMinimumWidth(180)
        self.run_button.setStyleSheet("font-size: 16px; font-weight: 600;")
        self.run_button.clicked.connect(self.run)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(QLabel("Target"))
        header.addWidget(self.target)
        header.addWidget(add)
        header.addWidget(keys)
        header.addWidget(self.run_button)

        self.verdict = QLabel("No run yet: press Run canary.")
        self.verdict.setObjectName("CanaryVerdict")
        self.verdict.setStyleSheet(f"font-size: 20px; font-weight: 600; color: {MUTED};")
        self.detail = QLabel()
        self.detail.setStyleSheet(f"color: {MUTED};")

        self.checks = ChecksModel(list(CHECKS))
        self.checks_view = row_table(self.checks, stretch="last", alternate=True)

        self.rollback = QLabel("CANARY_MODE: …")
        self.rollback.setWordWrap(True)
        self.revert_button = QPushButton("Revert this change")
        self.revert_button.hide()
        self.revert_button.clicked.connect(self.revert_offered)
        rollback_box = QGroupBox("After risky changes")
        rollback_row = QHBoxLayout(rollback_box)
        rollback_row.addWidget(self.rollback, 1)
        rollback_row.addWidget(self.revert_button)

        self.history = HistoryModel()
        self.history_view = row_table(self.history, stretch="last", alternate=True)
        self.history_view.doubleClicked.connect(self.show_history_run)
        history_box = QGroupBox("History (double-click a run to show its checks)")
        QVBoxLayout(history_box).addWidget(self.history_view)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.verdict)
        top_layout.addWidget(self.detail)
        top_layout.addWidget(self.checks_view, 1)
        top_layout.addWidget(rollback_box)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(history_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)

        self.last_report: RunReport | None = None
        self.offered: AutoOutcome | None = None
        self.running = False
        self.check_done.connect(self.checks.set_result)
        self.auto_outcome.connect(self.show_outcome)
        self._unsubscribe = self.app.canary.auto.subscribe(self.auto_outcome.emit)
        self._fill_targets([])

    # -- life cycle ---------------------------------------------------------------------

    def on_shown(self) -> None:
        self.reload()

    def shutdown(self) -> None:
        self._unsubscribe()
        super().shutdown()

    def reload(self) -> None:
        actor = self.app.actor
        if actor is None:
            return
        self.bridge.submit(
            lambda: (
                self.app.canary.deployments(actor),
                self.app.canary.history(actor, limit=HISTORY_LIMIT),
                self.app.flags.enabled(FlagName.CANARY_MODE),
            ),
            on_result=self._loaded,
            on_error=self.ctx.show_error,
        )

    def _loaded(self, loaded: tuple[list[Deployment], list[RunReport], bool]) -> None:
        deployments, runs, canary_mode = loaded
        self._fill_targets(deployments)
        self.history.set_runs(runs)
        if self.last_report is None and runs and not self.running:
            self.show_report(runs[0], live=False)
        if self.app.canary.auto.last_outcome is None:
            self.rollback.setText(
                "CANARY_MODE is on: the canary runs after each risky change (PG_ENABLED, "
                "NEW_QUEUE_ENABLED, a database switch) and reverts a change that fails it."
                if canary_mode
                else "CANARY_MODE is off: risky changes are not checked automatically "
                "(turn it on in the Flags panel)."
            )

    def _fill_targets(self, deployments: list[Deployment]) -> None:
        current = self.target.currentData()
        self.target.clear()
        self.target.addItem("This app", None)
        for d in deployments:
            self.target.addItem(f"{d.name} — {d.url}", d.name)
        index = self.target.findData(current)
        self.target.setCurrentIndex(max(index, 0))

    # -- running ------------------------------------------------------------------------

    def run(self) -> None:
        actor = self.app.actor
        if actor is None or self.running:
            return
        deployment = self.target.currentData()
        self.running = True
        self.run_button.setEnabled(False)
        self.run_button.setText("Running…")
        self.checks.start()
        self.verdict.setText(f"Checking {self.target.currentText()}…")
        self.verdict.setStyleSheet(f"font-size: 20px; font-weight: 600; color: {MUTED};")
        self.detail.clear()

        def work() -> RunReport:
            canary = self.app.canary
            target = canary.deployment_target(actor, deployment) if deployment else None
            return canary.run(actor, target, trigger="manual", on_check=self.check_done.emit)

        self.bridge.submit(work, on_result=self._finished, on_error=self._failed)

    def _finished(self, report: RunReport) -> None:
        self._idle()
        self.show_report(report, live=True)
        self.reload()

    def _failed(self, exc: BaseException) -> None:
        self._idle()
        self.checks.finish()
        self.verdict.setText("The canary could not run")
        self.detail.setText(str(exc))
        self.ctx.show_error(exc)

    def _idle(self) -> None:
        self.running = False
        self.run_button.setEnabled(True)
        self.run_button.setText("Run canary")

    def show_report(self, report: RunReport, *, live: bool) -> None:
        self.last_report = report
        if not live:
            self.checks.show_report(report.results)
        else:
            self.checks.finish()
        colour = VERDICT_COLOUR[report.verdict]
        self.verdict.setText(f"● {report.verdict.value.upper()} — {report.target_label}")
        self.verdict.setStyleSheet(f"font-size: 20px; font-weight: 600; color: {colour};")
        parts = [f"run #{report.id}" if report.id else "not stored"]
        parts.append(f"{report.started_at:%Y-%m-%d %H:%M:%S} UTC, {report.trigger}")
        if report.baseline_run_id:
            parts.append(f"compared with run #{report.baseline_run_id}, the last passing one")
        if report.rollback:
            parts.append(f"rollback: {report.rollback}")
        self.detail.setText(" · ".join(parts))

    def show_history_run(self, index: Any) -> None:
        report = self.history.run_at(index.row())
        if report is not None and not self.running:
            self.show_report(report, live=False)

    # -- after risky changes ------------------------------------------------------------

    def show_outcome(self, outcome: AutoOutcome) -> None:
        self.rollback.setText(f"{outcome.title}: {outcome.text}")
        self.offered = outcome if outcome.offered else None
        self.revert_button.setVisible(outcome.offered)
        if outcome.report is not None and not self.running:
            self.show_report(outcome.report, live=False)
        self.reload()

    def revert_offered(self) -> None:
        outcome = self.offered
        if outcome is None:
            return

        def done(text: str) -> None:
            self.revert_button.setEnabled(True)
            self.revert_button.hide()
            self.offered = None
            self.rollback.setText(f"{outcome.title}: {text}")
            self.reload()

        def failed(exc: BaseException) -> None:
            self.revert_button.setEnabled(True)
            self.ctx.show_error(exc)

        # Reverting changes a flag (or the database) back: a change like any other.
        self.guarded.run(
            window_action("canary.revert", outcome.change.description, preview=[outcome.title]),
            lambda: self.app.canary.auto.revert_offered(outcome),
            on_result=done,
            on_error=failed,
            on_start=lambda: self.revert_button.setEnabled(False),
        )

    # -- dialogs ------------------------------------------------------------------------

    def open_keys(self) -> None:
        ApiKeysDialog(self.ctx, self).exec()

    def add_deployment(self) -> None:
        dialog = DeploymentDialog(self)
        if dialog.exec() != DeploymentDialog.DialogCode.Accepted:
            return
        name, url, key, env = dialog.values()
        actor = self.app.actor
        if actor is None:
            return
        self.bridge.submit(
            lambda: self.app.canary.add_deployment(actor, name, url, api_key=key, api_key_env=env),
            on_result=lambda _d: self.reload(),
            on_error=self.ctx.show_error,
        )
