"""The job view of the Queue panel: summary, steps with outputs and errors, the "why"
answer, and the actions that apply to the job's state."""

from __future__ import annotations

import html
import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from levqor_desktop.core.jobs.contracts import JobRecord, Reason
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.ui.queue_models import StepsModel

#: Action name -> (button text, states it applies to).
ACTIONS: dict[str, tuple[str, tuple[JobStatus, ...]]] = {
    "cancel": ("Cancel", (JobStatus.QUEUED, JobStatus.RUNNING)),
    "requeue": ("Requeue", (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.QUEUED)),
    "retry": ("Retry", (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.SUCCEEDED)),
    "retry_step": ("Retry from failed step", (JobStatus.FAILED, JobStatus.CANCELED)),
    "retry_edit": (
        "Retry with inputs…",
        (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.SUCCEEDED),
    ),
    "delete": (
        "Delete",
        (JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED),
    ),
}


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if hasattr(value, "strftime") else "—"


class JobView(QWidget):
    #: The operator asked for an action on the shown job: (action, job id).
    action_requested = Signal(str, int)

    def __init__(self) -> None:
        super().__init__()
        self.job: JobRecord | None = None
        self.title = QLabel("Select a job")
        self.title.setObjectName("SectionTitle")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.RichText)
        self.steps_model = StepsModel()
        self.steps = QTableView()
        self.steps.setModel(self.steps_model)
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.verticalHeader().hide()
        steps_header = self.steps.horizontalHeader()
        steps_header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        for column, width in enumerate((30, 110, 80, 45, 60)):
            steps_header.resizeSection(column, width)
        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, (text, _states) in ACTIONS.items():
            button = QPushButton(text)
            button.clicked.connect(lambda _c=False, n=name: self._ask(n))
            self.buttons[name] = button
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.why)
        layout.addLayout(row)
        layout.addWidget(QLabel("Steps"))
        layout.addWidget(self.steps, 1)
        self.show_job(None, [])

    def show_job(self, job: JobRecord | None, reasons: list[Reason]) -> None:
        self.job = job
        for name, button in self.buttons.items():
            button.setEnabled(job is not None and job.status in ACTIONS[name][1])
        if job is None:
            self.title.setText("Select a job")
            self.summary.setText("")
            self.why.setText("")
            self.steps_model.show([])
            return
        self.title.setText(f"Job #{job.id} — {job.workflow_name}")
        parts = [
            f"<b>{job.status.value}</b> on {job.backend}/{job.queue}",
            f"attempt {job.attempts} of {job.max_attempts}",
            f"created {_when(job.created_at)}",
        ]
        if job.finished_at:
            parts.append(f"finished {_when(job.finished_at)}")
        if job.parent_job_id:
            parts.append(f"retry of #{job.parent_job_id}")
        text = " · ".join(parts)
        text += f"<br>inputs: <code>{html.escape(json.dumps(job.inputs, default=str))}</code>"
        if job.error:
            text += f"<br>error: {html.escape(job.error, quote=False)}"
        self.summary.setText(text)
        items = "".join(f"<li>{html.escape(r.text, quote=False)}</li>" for r in reasons)
        self.why.setText(f"<b>Why:</b><ol>{items}</ol>" if reasons else "")
        self.steps_model.show(job.steps)

    def _ask(self, name: str) -> None:
        if self.job is not None:
            self.action_requested.emit(name, self.job.id)
