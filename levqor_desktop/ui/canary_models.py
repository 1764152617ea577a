"""Qt item models of the Canary panel: the checks of the run in progress, and past runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.canary import CheckResult, RunReport, Status, Verdict
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

Index = QModelIndex | QPersistentModelIndex

#: green / amber / red / grey, as the issue asks.
STATUS_COLOUR = {Status.PASS: OK, Status.WARN: WARN, Status.FAIL: FAIL, Status.NO_DATA: MUTED}
VERDICT_COLOUR = {Verdict.PASS: OK, Verdict.MARGINAL: WARN, Verdict.FAIL: FAIL}
STATUS_TEXT = {
    Status.PASS: "● pass",
    Status.WARN: "● warn",
    Status.FAIL: "● fail",
    Status.NO_DATA: "○ no data",
}


def describe_value(result: CheckResult) -> str:
    if result.value is None:
        return "—"
    text = f"{result.value:.1f}" if result.value % 1 else f"{result.value:.0f}"
    value = f"{text} {result.unit}".strip()
    if result.baseline is not None:
        value += f" (was {result.baseline:g})"
    return value


class ChecksModel(HeaderedTableModel):
    """One row per check; a row is pending (grey "…") until its result arrives."""

    HEADERS = ("Check", "Status", "Value", "Threshold", "Result / what to do")

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)
        self.results: dict[str, CheckResult] = {}
        self.running = False

    def start(self) -> None:
        self.beginResetModel()
        self.results = {}
        self.running = True
        self.endResetModel()

    def set_result(self, result: CheckResult) -> None:
        if result.name not in self.names:
            self.beginInsertRows(QModelIndex(), len(self.names), len(self.names))
            self.names.append(result.name)
            self.results[result.name] = result
            self.endInsertRows()
            return
        self.results[result.name] = result
        row = self.names.index(result.name)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))

    def show_report(self, results: Sequence[CheckResult]) -> None:
        self.beginResetModel()
        self.running = False
        self.results = {r.name: r for r in results}
        self.names = list(dict.fromkeys([*self.names, *self.results]))
        self.endResetModel()

    def finish(self) -> None:
        self.running = False
        if self.names:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self.names) - 1, 1))

    def result_at(self, row: int) -> CheckResult | None:
        if not 0 <= row < len(self.names):
            return None
        return self.results.get(self.names[row])

    def row_count(self) -> int:
        return len(self.names)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not 0 <= index.row() < len(self.names):
            return None
        name, col = self.names[index.row()], index.column()
        result = self.results.get(name)
        if result is None:
            if role == Qt.ItemDataRole.DisplayRole:
                pending = "…" if self.running else ""
                return (name.replace("_", " "), pending, "", "", "")[col]
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(MUTED)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            advice = (
                f" → {result.advice}" if result.advice and result.status is not Status.PASS else ""
            )
            return (
                name.replace("_", " "),
                STATUS_TEXT[result.status],
                describe_value(result),
                result.threshold,
                f"{result.summary}{advice}",
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(STATUS_COLOUR[result.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{result.summary}\n\n{result.advice}" if result.advice else result.summary
        return None


class HistoryModel(HeaderedTableModel):
    HEADERS = ("Run", "Started (UTC)", "Target", "Trigger", "Verdict", "Change", "Rollback")

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunReport] = []

    def set_runs(self, runs: list[RunReport]) -> None:
        self.beginResetModel()
        self.runs = runs
        self.endResetModel()

    def run_at(self, row: int) -> RunReport | None:
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def row_count(self) -> int:
        return len(self.runs)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        run = self.run_at(index.row())
        if run is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"#{run.id}",
                f"{run.started_at:%Y-%m-%d %H:%M:%S}",
                run.target_label,
                run.trigger,
                run.verdict.value,
                run.change or "",
                run.rollback or "",
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 4:
            return QColor(VERDICT_COLOUR[run.verdict])
        if role == Qt.ItemDataRole.ToolTipRole and col == 6 and run.rollback:
            return run.rollback
        return None
