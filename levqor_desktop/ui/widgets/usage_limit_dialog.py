"""The dialog that adds or changes a limit (metric, period, value, hard/soft, for whom)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.core.orgs import MemberView
from levqor_desktop.core.usage import LimitView
from levqor_desktop.core.usage.formatting import LABELS, MICRO, parse_amount
from levqor_desktop.errors import ValidationError
from levqor_desktop.ui.theme import FAIL


@dataclass(frozen=True)
class LimitRequest:
    metric: Metric
    period: Period
    value: int
    enforcement: Enforcement
    user_id: int | None


class LimitDialog(QDialog):
    def __init__(
        self,
        members: list[MemberView],
        existing: LimitView | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change limit" if existing else "Add limit")
        self.request: LimitRequest | None = None
        self.scope_box = QComboBox()
        self.scope_box.addItem("The whole organization", None)
        for m in members:
            self.scope_box.addItem(f"{m.display_name} ({m.role})", m.user_id)
        self.metric_box = QComboBox()
        for metric in Metric:
            self.metric_box.addItem(LABELS[metric], metric)
        self.period_box = QComboBox()
        self.period_box.addItem("per day", Period.DAY)
        self.period_box.addItem("per month", Period.MONTH)
        self.value_edit = QLineEdit()
        self.value_edit.setPlaceholderText("a count; dollars for spend, e.g. 25.00")
        self.soft = QCheckBox("Soft: warn only (hard limits refuse work)")
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {FAIL};")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("For", self.scope_box)
        form.addRow("Metric", self.metric_box)
        form.addRow("Period", self.period_box)
        form.addRow("Limit", self.value_edit)
        form.addRow("", self.soft)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if existing is not None:
            self.scope_box.setCurrentIndex(max(self.scope_box.findData(existing.user_id), 0))
            self.metric_box.setCurrentIndex(self.metric_box.findData(existing.metric))
            self.period_box.setCurrentIndex(self.period_box.findData(existing.period))
            value = existing.value
            shown = f"{value / MICRO:.2f}" if existing.metric is Metric.COST_USD else str(value)
            self.value_edit.setText(shown)
            self.soft.setChecked(existing.enforcement is Enforcement.SOFT)
            for box in (self.scope_box, self.metric_box, self.period_box):
                box.setEnabled(False)

    def accept(self) -> None:
        metric: Metric = self.metric_box.currentData()
        try:
            value = parse_amount(metric, self.value_edit.text())
        except ValidationError as exc:
            self.error.setText(str(exc))
            return
        self.request = LimitRequest(
            metric,
            self.period_box.currentData(),
            value,
            Enforcement.SOFT if self.soft.isChecked() else Enforcement.HARD,
            self.scope_box.currentData(),
        )
        super().accept()
