"""The Queue panel: depth and workers live, the pool size, suspend/resume, the jobs table
with filters, a job view with steps and the "why" answer, and the job actions (single
and bulk, through the production guard; the destructive ones ask first).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.jobs.contracts import JobFilter, JobPage, JobRecord, Reason, WorkerInfo
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.safety import GuardedAction
from levqor_desktop.core.status import QueueStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import LevqorError, NotFoundError, ValidationError
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.models.jobs_model import JobQuery, JobsTableModel
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.queue_actions import BULK_REASON, bulk_preview, single_action
from levqor_desktop.ui.queue_job_view import JobView
from levqor_desktop.ui.queue_models import DepthModel, WorkersModel
from levqor_desktop.ui.theme import FAIL, OK, WARN
from levqor_desktop.ui.widgets.tables import row_table

SNAPSHOT_MS = 1000
JOBS_MS = 2000


@dataclass(frozen=True)
class QueueSnapshot:
    status: QueueStatus
    depth: dict[str, dict[str, int]]
    paused: list[str]
    workers: list[WorkerInfo]
    pool_size: int | None
    database_bytes: int | None


class QueuePanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Dialogs, replaceable in tests.
        self.ask_confirm: Callable[[str, str], bool] = self._confirm_dialog
        self.ask_text: Callable[[str, str, str], str | None] = self._text_dialog
        self.snapshot: QueueSnapshot | None = None
        self.selected_id: int | None = None

        title = QLabel("Queue")
        title.setObjectName("PanelTitle")
        self.status_label = QLabel("…")
        # Wraps rather than widening the window when the pool's state needs a hint.
        self.status_label.setWordWrap(True)
        self.pool_spin = QSpinBox()
        self.pool_spin.setRange(1, 64)
        self.pool_spin.setToolTip("Worker threads of the local pool (applied now, remembered)")
        self.pool_spin.editingFinished.connect(self._pool_size_edited)
        self.pool_spin.valueChanged.connect(self._pool_value_changed)
        self._pool_editing = False
        self.suspend_button = QPushButton("Suspend")
        self.suspend_button.setToolTip("Pause every queue: running jobs finish, no new one starts")
        self.suspend_button.clicked.connect(self.toggle_suspend)
        self.bulk_button = QPushButton("Bulk…")
        menu = QMenu(self.bulk_button)
        for action in ("cancel", "requeue", "retry", "delete"):
            item = menu.addAction(f"{action.capitalize()} all matching…")
            item.triggered.connect(self._bulk_slot(action))
        self.bulk_button.setMenu(menu)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(title)
        header.addWidget(self.status_label, 1)
        controls: list[QWidget] = [QLabel("Pool threads"), self.pool_spin, self.suspend_button]
        for widget in (*controls, self.bulk_button, refresh):
            header.addWidget(widget)

        self.depth_model = DepthModel()
        self.workers_model = WorkersModel()
        self.depth_view = row_table(self.depth_model, fit=False, alternate=True, row_height=22)
        self.workers_view = row_table(self.workers_model, fit=False, alternate=True, row_height=22)
        for view in (self.depth_view, self.workers_view):
            view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            view.horizontalHeader().setDefaultSectionSize(80)
        live = QSplitter(Qt.Orientation.Horizontal)
        live.addWidget(_titled("Depth by queue and state", self.depth_view))
        live.addWidget(_titled("Workers", self.workers_view))

        self.state_combo = QComboBox()
        self.state_combo.addItem("All states", None)
        for status in JobStatus:
            self.state_combo.addItem(status.value, status)
        self.workflow_edit = QLineEdit(placeholderText="workflow")
        self.user_edit = QLineEdit(placeholderText="user id")
        self.text_edit = QLineEdit(placeholderText="search: name, inputs, error, #id")
        self._filter_timer = QTimer(self, singleShot=True, interval=300)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.state_combo.currentIndexChanged.connect(lambda _i: self._filter_timer.start())
        for edit in (self.workflow_edit, self.user_edit, self.text_edit):
            edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.count_label = QLabel()
        filters = QHBoxLayout()
        filters.addWidget(self.state_combo)
        filters.addWidget(self.workflow_edit)
        filters.addWidget(self.user_edit)
        filters.addWidget(self.text_edit, 1)
        filters.addWidget(self.count_label)

        self.jobs_model = JobsTableModel(self._load_page, self.bridge.submit)
        self.jobs_model.modelReset.connect(self._count_changed)
        self.jobs_model.rowsInserted.connect(self._count_changed)
        self.jobs_model.rowsRemoved.connect(self._count_changed)
        self.jobs_model.load_failed.connect(self.ctx.show_error)
        self.jobs_view = row_table(self.jobs_model, fit=False, alternate=True, row_height=22)
        self.jobs_view.setSortingEnabled(True)
        self.jobs_view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        jobs_header = self.jobs_view.horizontalHeader()
        jobs_header.setSectionResizeMode(9, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((60, 120, 80, 70, 45, 45, 135, 135, 135)):
            jobs_header.resizeSection(column, width)
        self.jobs_view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.job_view = JobView()
        self.job_view.action_requested.connect(self.act)
        # Table above the job view: the table keeps the full width of the window.
        bottom = QSplitter(Qt.Orientation.Vertical)
        bottom.addWidget(self.jobs_view)
        bottom.addWidget(self.job_view)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        jobs_box = QWidget()
        jobs_layout = QVBoxLayout(jobs_box)
        jobs_layout.setContentsMargins(0, 0, 0, 0)
        jobs_layout.addLayout(filters)
        jobs_layout.addWidget(bottom, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(live)
        split.addWidget(jobs_box)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(split, 1)

        self.poller = Poller(self.bridge, SNAPSHOT_MS, self.load_snapshot, self.show_snapshot, self)
        self.jobs_poller = Poller(self.bridge, JOBS_MS, lambda: None, self._tick_jobs, self)
        self._loaded_once = False

    # -- data (off the UI thread) ---------------------------------------------------------

    def _actor(self) -> Actor:
        if self.app.actor is None:
            raise LevqorError("no operator is signed in yet")
        return self.app.actor

    def load_snapshot(self) -> QueueSnapshot:
        jobs, actor = self.app.jobs, self._actor()
        pool = jobs.pool
        return QueueSnapshot(
            self.app.queue_status(),
            jobs.depth(actor),
            jobs.paused_queues(),
            jobs.workers(actor),
            pool.size if pool is not None else None,
            jobs.database_bytes(),
        )

    def _load_page(self, query: JobQuery, offset: int, limit: int) -> JobPage:
        return self.app.jobs.list(
            self._actor(),
            query.filter,
            offset=offset,
            limit=limit,
            sort=query.sort,
            descending=query.descending,
        )

    def _load_job(self, job_id: int) -> tuple[int, JobRecord | None, list[Reason]]:
        actor = self._actor()
        try:
            return job_id, self.app.jobs.get(actor, job_id), self.app.jobs.why(actor, job_id)
        except NotFoundError:  # deleted meanwhile
            return job_id, None, []

    # -- life cycle -----------------------------------------------------------------------

    def on_shown(self) -> None:
        self.poller.start()
        if not self._loaded_once:
            self._loaded_once = True
            self.jobs_model.reload()
        self.jobs_poller.start(immediately=False)

    def on_hidden(self) -> None:
        self.poller.stop()
        self.jobs_poller.stop()

    def refresh(self) -> None:
        self.poller.poll()
        self.jobs_model.refresh()
        self._reload_job()

    def _tick_jobs(self, _result: object) -> None:
        self.jobs_model.refresh()
        self._reload_job()

    # -- showing --------------------------------------------------------------------------

    def show_snapshot(self, snap: QueueSnapshot) -> None:
        self.snapshot = snap
        colour = {"ok": OK, "degraded": WARN}.get(snap.status.state, FAIL)
        self.status_label.setText(
            f"<span style='color:{colour}'>●</span> {snap.status.backend}: "
            f"{snap.status.state} — {snap.status.detail}"
            + (f" · database {snap.database_bytes / 1e6:,.1f} MB" if snap.database_bytes else "")
        )
        self.depth_model.show(snap.depth, snap.paused)
        self.workers_model.show(snap.workers)
        if snap.pool_size is not None and not self._pool_editing:
            self.pool_spin.blockSignals(True)
            self.pool_spin.setValue(snap.pool_size)
            self.pool_spin.blockSignals(False)
        self.pool_spin.setEnabled(snap.pool_size is not None)
        self.suspend_button.setText("Resume" if snap.paused else "Suspend")

    def _count_changed(self, *_args: object) -> None:
        self.count_label.setText(f"{self.jobs_model.total:,} job(s)")

    def current_filter(self) -> JobFilter:
        state = self.state_combo.currentData()  # Qt hands the enum back as its str value
        user = self.user_edit.text().strip()
        return JobFilter(
            states=(JobStatus(state),) if state is not None else (),
            workflow=self.workflow_edit.text().strip() or None,
            user_id=int(user) if user.isdigit() else None,
            text=self.text_edit.text().strip() or None,
        )

    def apply_filter(self) -> None:
        self.jobs_model.set_filter(self.current_filter())

    def _selection_changed(self, selected: QItemSelection, _old: QItemSelection) -> None:
        rows = self.jobs_view.selectionModel().selectedRows()
        job = self.jobs_model.job_at(rows[0].row()) if rows else None
        self.selected_id = job.id if job is not None else None
        self._reload_job()

    def open_job(self, job_id: int) -> None:
        """Show job ``job_id`` in the job view (the palette's "job by id")."""
        self.jobs_view.clearSelection()
        self.selected_id = job_id
        self._reload_job()

    def _reload_job(self) -> None:
        if self.selected_id is None:
            self.job_view.show_job(None, [])
            return
        self.bridge.submit(
            self._load_job, self.selected_id, on_result=self._show_job, on_error=self._failed
        )

    def _show_job(self, found: tuple[int, JobRecord | None, list[Reason]]) -> None:
        job_id, job, reasons = found
        if job_id == self.selected_id:
            self.job_view.show_job(job, reasons)

    # -- actions --------------------------------------------------------------------------

    def act(self, action: str, job_id: int) -> None:
        ask: Callable[[GuardedAction], bool] | None = None
        inputs = None
        if action in ("cancel", "delete"):
            verb = "Cancel" if action == "cancel" else "Delete"
            ask = lambda _a: self.ask_confirm(f"{verb} job", f"{verb} job #{job_id}?")  # noqa: E731
        elif action == "retry_edit":
            current = self.job_view.job.inputs if self.job_view.job else {}
            text = self.ask_text("Retry with inputs", "Inputs (JSON):", json.dumps(current))
            if text is None:
                return
            try:
                inputs = json.loads(text)
            except json.JSONDecodeError as exc:
                self.ctx.show_error(ValidationError(f"the inputs are not JSON: {exc.msg}"))
                return
        request, call = single_action(
            self.app.jobs, self._actor(), action, job_id, self.job_view.job, inputs
        )
        self.guarded.run(
            request,
            call,
            on_result=lambda r: self._done(action, r),
            on_error=self._failed,
            ask_locally=ask,
        )

    def _bulk_slot(self, action: str) -> Callable[[], None]:
        return lambda: self.bulk(action)

    def bulk(self, action: str) -> None:
        """Every job matching the filter: counted and previewed first (off the UI thread)."""
        flt, actor, jobs = self.current_filter(), self._actor(), self.app.jobs
        verb = action.capitalize()
        self.guarded.run(
            lambda: bulk_preview(jobs, actor, flt, action),
            lambda: jobs.apply(actor, flt, action, BULK_REASON),
            on_result=lambda r: self._done(f"bulk {action}", r),
            on_error=self._failed,
            ask_locally=lambda a: self.ask_confirm(
                f"{verb} jobs", f"{verb} {a.count:,} job(s) matching the filter?"
            ),
            on_nothing=lambda: self.ctx.window.show_message(f"no job matches: nothing to {action}"),
        )

    def toggle_suspend(self) -> None:
        snap = self.snapshot
        actor = self._actor()
        resume = bool(snap and snap.paused)
        queues = sorted(set(snap.depth) | {"default"} | set(snap.paused)) if snap else ["default"]
        if not resume and not self.ask_confirm(
            "Suspend", "Pause every queue? Running jobs finish."
        ):
            return

        def switch() -> None:
            for queue in queues:
                if resume:
                    self.app.jobs.resume(actor, queue)
                else:
                    self.app.jobs.pause(actor, queue)

        self.bridge.submit(
            switch, on_result=lambda r: self._done("suspend", r), on_error=self._failed
        )

    def _pool_value_changed(self, _value: int) -> None:
        self._pool_editing = True

    def _pool_size_edited(self) -> None:
        self._pool_editing = False
        size = self.pool_spin.value()
        if self.snapshot is not None and self.snapshot.pool_size == size:
            return
        self.bridge.submit(
            self.app.jobs.set_pool_size,
            self._actor(),
            size,
            on_result=lambda r: self._done("pool size", r),
            on_error=self._failed,
        )

    def _done(self, what: str, result: object) -> None:
        self.ctx.window.show_message(f"{what}: done")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.ctx.show_error(exc)

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _text_dialog(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getMultiLineText(self, title, label, default)
        return text if ok else None


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(title))
    layout.addWidget(widget)
    return box
