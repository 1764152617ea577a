"""Qt item models of the Migrations panel: per-table progress, parity results, past runs;
and the texts it shows for a preflight report and for a finished step."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
)

from levqor_desktop.core.migrate import (
    BackupInfo,
    ParityReport,
    PreflightReport,
    Progress,
    RollbackResult,
    RunRecord,
    SwitchResult,
)
from levqor_desktop.core.migrate.verify import TableParity
from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole


def _tint(colour: str) -> QBrush:
    c = QColor(colour)
    c.setAlpha(60)
    return QBrush(c)


class _Table(QAbstractTableModel):
    headers: tuple[str, ...] = ()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == DISPLAY:
            return self.headers[section]
        return None


class TableProgressModel(_Table):
    """One row per table: rows copied of rows to copy; the last column is a progress bar."""

    headers = ("Table", "Rows", "Progress")
    PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[list[Any]] = []  # name, done, total, reached (bool)
        self._where: dict[str, int] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def reset_tables(self, tables: list[tuple[str, int]]) -> None:
        self.beginResetModel()
        self._rows = [[name, 0, total, False] for name, total in tables]
        self._where = {name: i for i, (name, _) in enumerate(tables)}
        self.endResetModel()

    def update(self, p: Progress) -> None:
        if p.table is None:
            return
        row = self._where.get(p.table)
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append([p.table, 0, p.table_total, False])
            self._where[p.table] = row = len(self._rows) - 1
            self.endInsertRows()
        self._rows[row][1:] = [p.table_rows, p.table_total, True]
        self.dataChanged.emit(self.index(row, 1), self.index(row, 2))

    def finish_all(self) -> None:
        for row in self._rows:
            row[1], row[3] = row[2], True
        if self._rows:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._rows) - 1, 2))

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        name, done, total, reached = self._rows[index.row()]
        # An empty table is complete as soon as the copy reached it.
        percent = 100 * done // total if total else (100 if reached else 0)
        if role == DISPLAY:
            return (name, f"{done:,} / {total:,}", f"{percent}%")[index.column()]
        if role == self.PROGRESS_ROLE:
            return percent
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ProgressDelegate(QStyledItemDelegate):
    """Draws the progress column as a progress bar."""

    def paint(self, painter: Any, option: QStyleOptionViewItem, index: Index) -> None:
        value = index.data(TableProgressModel.PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 3, -2, -3)
        bar.minimum, bar.maximum, bar.progress = 0, 100, int(value)
        bar.text, bar.textVisible = f"{value}%", True
        QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)


class ParityModel(_Table):
    """The parity report: green rows agree, red rows differ (with the first keys)."""

    headers = (
        "Table",
        "Source rows",
        "Target rows",
        "Source checksum",
        "Target checksum",
        "Result",
    )

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[TableParity] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def set_report(self, tables: list[TableParity]) -> None:
        self.beginResetModel()
        self._rows = list(tables)
        self.endResetModel()

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        t = self._rows[index.row()]
        if role == DISPLAY:
            result = "identical" if t.ok else "; ".join(str(d) for d in t.differences) or "differs"
            return (
                t.table,
                f"{t.source_rows:,}",
                f"{t.target_rows:,}",
                t.source_sha256[:16],
                t.target_sha256[:16],
                result,
            )[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole:
            return _tint(OK if t.ok else FAIL)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{t.source_sha256}\n{t.target_sha256}"
        return None


OUTCOME_COLOUR = {
    "succeeded": OK,
    "failed": FAIL,
    "interrupted": FAIL,
    "canceled": WARN,
    "running": WARN,
}


class RunsModel(_Table):
    headers = ("Started (UTC)", "Step", "Outcome", "Target", "Message")

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[RunRecord] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def set_runs(self, runs: list[RunRecord]) -> None:
        self.beginResetModel()
        self._rows = list(runs)
        self.endResetModel()

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        if role == DISPLAY:
            return (
                f"{r.started_at:%Y-%m-%d %H:%M:%S}",
                r.kind,
                r.outcome,
                r.target,
                (r.message or "").splitlines()[0][:200] if r.message else "",
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return QBrush(QColor(OUTCOME_COLOUR.get(r.outcome, MUTED)))
        if role == Qt.ItemDataRole.ToolTipRole:
            return r.message
        return None


def describe_preflight(report: PreflightReport) -> str:
    """The preflight report as text for the panel."""
    lines = [
        f"Source: {report.source}",
        f"Target: {report.target} — PostgreSQL {report.server_version}, {report.target_state}",
        f"To copy: {report.total_rows:,} rows in {len(report.tables)} tables "
        f"({report.size_bytes / 1e6:.1f} MB on disk)",
        "",
    ]
    lines += [f"  {t.name:<28} {t.rows:>12,}" for t in report.tables if t.rows]
    lines += [f"Note: {n}" for n in report.notes]
    lines += [f"REFUSED: {r}" for r in report.reasons()]
    lines.append("Ready to migrate." if report.ok else "Fix the above, then run preflight again.")
    return "\n".join(lines)


def describe_step(step: str, result: Any) -> tuple[bool, str, bool]:
    """What a finished step says: (it went well, the text, the window must reconnect)."""
    if isinstance(result, BackupInfo):
        rows = sum(result.row_counts.values())
        return True, f"backup {result.name}: {result.size_bytes:,} bytes, {rows:,} rows", False
    if isinstance(result, PreflightReport):
        if result.ok:
            tables = len(result.tables)
            return True, f"preflight OK: {result.total_rows:,} rows in {tables} tables", False
        return False, "preflight refused: see the report", False
    if step == "migrate":
        text = (
            f"copied {result['rows']:,} rows in {result['seconds']:.1f} s "
            f"(backup {result['backup']}); now verify"
        )
        return True, text, False
    if isinstance(result, ParityReport):
        if result.ok:
            return True, f"{result.summary()} ({result.seconds:.1f} s); ready to switch", False
        return False, result.summary(), False
    if isinstance(result, SwitchResult):
        if result.rolled_back:
            return False, f"the canary failed ({result.canary_failure}): rolled back", False
        return True, f"switched to {result.target}; reconnecting to PostgreSQL…", True
    if isinstance(result, RollbackResult):
        after = sum(v["new"] + v["updated"] for v in result.after_switch.values())
        text = (
            f"rolled back: {result.rows:,} rows in SQLite ({after:,} written after the "
            "switch), parity OK; reconnecting to SQLite…"
        )
        return True, text, True
    return True, f"{step}: done", False


def table_view(model: Any) -> QTableView:
    """A read-only table of one of these models, rows selected whole."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.setWordWrap(False)
    return view
