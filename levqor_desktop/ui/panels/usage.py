"""Usage: usage against each limit, daily graphs, top connectors, workflows and users,
limits editable by admins (through the production guard), and CSV export — for the
organization or one of its members.

Everything is read off the UI thread as one :class:`UsageSnapshot`; the acting user and
organization come from ``app.actor`` (the title-bar selector changes it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.core.permissions import Permission
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage.formatting import LABELS, format_amount
from levqor_desktop.ui.actor_selector import gate
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.models.usage_model import (
    GRAPH_DAYS,
    LimitsModel,
    TopModel,
    UsageSnapshot,
    load_usage,
)
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.widgets.tables import row_table
from levqor_desktop.ui.widgets.usage_bars import LimitBars, UsageGraph
from levqor_desktop.ui.widgets.usage_limit_dialog import LimitDialog, LimitRequest

REFRESH_MS = 5000


class UsagePanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Dialog hooks, replaceable in tests.
        self.ask_limit: Callable[[LimitDialog], LimitRequest | None] = _run_dialog
        self.ask_save_path: Callable[[], str | None] = self._save_dialog
        self.ask_confirm: Callable[[str], bool] = self._confirm_dialog
        self.snapshot: UsageSnapshot | None = None

        self.title = QLabel("Usage")
        self.title.setObjectName("PanelTitle")
        self.scope = QComboBox()
        self.scope.setToolTip("The whole organization, or one member")
        self.scope.addItem("Whole organization", None)
        self.scope.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period = QComboBox()
        self.period.addItem("This month", Period.MONTH)
        self.period.addItem("Today", Period.DAY)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())
        self.export_button = QPushButton("Export CSV…")
        self.export_button.clicked.connect(self.export_csv)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addStretch(1)
        for widget in (self.scope, self.period, self.export_button, refresh):
            header.addWidget(widget)

        self.totals: dict[Metric, QLabel] = {}
        totals_box = QGroupBox("Used")
        totals_grid = QGridLayout(totals_box)
        for n, metric in enumerate(Metric):
            value = QLabel("–")
            value.setObjectName("UsageTotal")
            value.setStyleSheet("font-size: 18px; font-weight: 600;")
            totals_grid.addWidget(QLabel(LABELS[metric]), 0, n)
            totals_grid.addWidget(value, 1, n)
            self.totals[metric] = value

        self.bars = LimitBars()
        bars_box = QGroupBox("Against limits")
        QVBoxLayout(bars_box).addWidget(self.bars)

        self.graph_metric = QComboBox()
        for metric in Metric:
            self.graph_metric.addItem(LABELS[metric], metric)
        self.graph_metric.currentIndexChanged.connect(lambda _i: self._show_graph())
        self.graph = UsageGraph()
        graph_box = QGroupBox(f"Last {GRAPH_DAYS} days")
        graph_layout = QVBoxLayout(graph_box)
        graph_layout.addWidget(self.graph_metric)
        graph_layout.addWidget(self.graph, 1)

        self.connectors_model = TopModel("Connector", "Calls")
        self.workflows_model = TopModel("Workflow", "Runs")
        self.users_model = TopModel("User", "Connector calls", with_cost=False)
        self.tops = QTabWidget()
        for title, model in (
            ("Top connectors", self.connectors_model),
            ("Top workflows", self.workflows_model),
            ("Top users", self.users_model),
        ):
            self.tops.addTab(row_table(model, stretch=0), title)

        self.limits_model = LimitsModel()
        self.limits_table = row_table(self.limits_model, stretch="last")
        self.limits_table.selectionModel().selectionChanged.connect(lambda *_: self._gate())
        self.limits_table.doubleClicked.connect(lambda _i: self.edit_limit())
        self.add_button = QPushButton("Add limit…")
        self.add_button.clicked.connect(self.add_limit)
        self.edit_button = QPushButton("Change…")
        self.edit_button.clicked.connect(self.edit_limit)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_limit)
        limits_box = QGroupBox("Limits")
        limits_layout = QVBoxLayout(limits_box)
        limit_buttons = QHBoxLayout()
        limit_buttons.addStretch(1)
        for button in (self.add_button, self.edit_button, self.remove_button):
            limit_buttons.addWidget(button)
        limits_layout.addLayout(limit_buttons)
        limits_layout.addWidget(self.limits_table)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(totals_box)
        left_layout.addWidget(bars_box)
        left_layout.addWidget(graph_box, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.tops)
        right.addWidget(limits_box)
        body = QSplitter()
        body.addWidget(left)
        body.addWidget(right)
        body.setSizes([700, 560])

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(body, 1)
        self.poller = Poller(self.bridge, REFRESH_MS, self._load, self.show_snapshot, self)
        self._gate()

    # -- data -------------------------------------------------------------------------

    @property
    def actor(self) -> Actor | None:
        return self.app.actor

    def _load(self) -> UsageSnapshot | None:
        actor = self.app.actor
        if actor is None:
            return None
        return load_usage(self.app, actor, self.scope.currentData(), self.period.currentData())

    def refresh(self) -> None:
        self.bridge.submit(self._load, on_result=self.show_snapshot, on_error=self.ctx.show_error)

    def on_shown(self) -> None:
        self.poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()

    def show_snapshot(self, snapshot: UsageSnapshot | None) -> None:
        if snapshot is None:
            return
        current = self.app.actor
        if current is not None and snapshot.actor != current:
            self.refresh()  # the acting user or organization changed meanwhile
            return
        self._alert(snapshot)
        self.snapshot = snapshot
        who = "" if snapshot.user_id is None else " · one member"
        self.title.setText(f"Usage · {snapshot.org_name}{who}")
        self._fill_scope(snapshot)
        for metric, label in self.totals.items():
            label.setText(format_amount(metric, snapshot.totals[metric]))
        self.bars.set_statuses(snapshot.statuses)
        self.limits_model.set_statuses(snapshot.statuses)
        self.connectors_model.set_entries(snapshot.top_connectors)
        self.workflows_model.set_entries(snapshot.top_workflows)
        self.users_model.set_entries(snapshot.top_users)
        self._show_graph()
        self._gate()

    def _alert(self, snapshot: UsageSnapshot) -> None:
        """Notify once when a limit crosses 50, 75 or 100 % while the panel watches."""
        before = self.snapshot
        if before is None or before.actor != snapshot.actor:
            return
        seen = {s.limit.id: s.level for s in before.statuses}
        for status in snapshot.statuses:
            level = status.level
            if level > seen.get(status.limit.id, level):
                self.ctx.window.notify(
                    "Usage alert", f"{status.limit.describe()} is at {status.fraction:.0%}"
                )

    def _fill_scope(self, snapshot: UsageSnapshot) -> None:
        wanted = [(None, "Whole organization")] + [
            (m.user_id, m.display_name) for m in snapshot.members
        ]
        have = [(self.scope.itemData(i), self.scope.itemText(i)) for i in range(self.scope.count())]
        if have == wanted:
            return
        self.scope.blockSignals(True)
        self.scope.clear()
        for data, text in wanted:
            self.scope.addItem(text, data)
        self.scope.setCurrentIndex(max(self.scope.findData(snapshot.user_id), 0))
        self.scope.blockSignals(False)

    def _show_graph(self) -> None:
        if self.snapshot is not None:
            metric: Metric = self.graph_metric.currentData()
            self.graph.set_series(metric, self.snapshot.series[metric])

    def _gate(self) -> None:
        actor = self.app.actor
        selected = self._selected() is not None
        gate(self.add_button, actor, Permission.MANAGE_LIMITS)
        for button in (self.edit_button, self.remove_button):
            if gate(button, actor, Permission.MANAGE_LIMITS) and not selected:
                button.setEnabled(False)
                button.setToolTip("Select a limit first")

    def _selected(self) -> int | None:
        rows = self.limits_table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    # -- actions ----------------------------------------------------------------------

    def add_limit(self) -> None:
        members = self.snapshot.members if self.snapshot else []
        request = self.ask_limit(LimitDialog(members, parent=self))
        if request is not None:
            self._save_limit(request)

    def edit_limit(self) -> None:
        row = self._selected()
        status = self.limits_model.status_at(row) if row is not None else None
        if status is None or not self.edit_button.isEnabled():
            return
        members = self.snapshot.members if self.snapshot else []
        request = self.ask_limit(LimitDialog(members, status.limit, parent=self))
        if request is not None:
            self._save_limit(request)

    def _save_limit(self, request: LimitRequest) -> None:
        actor = self.app.actor
        assert actor is not None
        metric, period = request.metric, request.period
        amount = format_amount(metric, request.value)
        who = f" for user #{request.user_id}" if request.user_id is not None else ""
        target = f"{metric.value} per {period.value} = {amount} ({request.enforcement.value}){who}"
        limits = self.app.usage.limits
        self.guarded.run(
            window_action("limits.set", target),
            lambda: limits.set(
                actor,
                metric,
                period,
                request.value,
                enforcement=request.enforcement,
                user_id=request.user_id,
            ),
            on_result=lambda limit: self._changed(f"Set {limit.describe()}"),
        )

    def remove_limit(self) -> None:
        row = self._selected()
        status = self.limits_model.status_at(row) if row is not None else None
        actor = self.app.actor
        if status is None or actor is None:
            return
        limit, limits = status.limit, self.app.usage.limits
        who = f" for user #{limit.user_id}" if limit.user_id is not None else ""
        self.guarded.run(
            window_action(
                "limits.unset",
                f"{limit.metric.value} per {limit.period.value}{who}",
                preview=[limit.describe()],
            ),
            lambda: limits.unset(actor, limit.metric, limit.period, user_id=limit.user_id),
            on_result=lambda _r: self._changed(f"Removed {limit.describe()}"),
            ask_locally=lambda _a: self.ask_confirm(f"Remove {limit.describe()}?"),
        )

    def _changed(self, message: str) -> None:
        self.ctx.window.show_message(message)
        self.refresh()

    def export_csv(self) -> None:
        actor = self.app.actor
        path = self.ask_save_path()
        if not path or actor is None:
            return
        user_id, period = self.scope.currentData(), self.period.currentData()

        def write() -> int:
            with Path(path).open("w", newline="", encoding="utf-8") as out:
                return self.app.usage.export_csv(actor, out, period, user_id=user_id)

        self.bridge.submit(
            write,
            on_result=lambda n: self.ctx.window.show_message(f"Exported {n} rows to {path}"),
            on_error=self.ctx.show_error,
        )

    # -- dialogs ----------------------------------------------------------------------

    def _save_dialog(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, "Export usage", "usage.csv", "CSV (*.csv)")
        return path or None

    def _confirm_dialog(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Remove limit", text)
        return answer == QMessageBox.StandardButton.Yes


def _run_dialog(dialog: LimitDialog) -> LimitRequest | None:
    return dialog.request if dialog.exec() else None
