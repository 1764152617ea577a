"""The jobs table of the Queue panel: a paged Qt model over the jobs in the database.

The model knows how many jobs match (``rowCount``) but holds only the pages someone
looked at: a row of a page not loaded yet shows "…" and asks for its page, which is
read off the UI thread (through the Bridge) and fills in when it arrives. Sorting and
filtering reload from the database; so 100,000 jobs cost one COUNT and a page or two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from levqor_desktop.core.jobs.contracts import JobFilter, JobPage, JobRecord
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

Index = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 200
#: Pages kept in memory; the farthest from the last one asked for are dropped first.
MAX_PAGES = 20

STATUS_COLOURS = {
    JobStatus.SUCCEEDED: OK,
    JobStatus.FAILED: FAIL,
    JobStatus.RUNNING: WARN,
    JobStatus.CANCELED: MUTED,
}


@dataclass(frozen=True)
class JobQuery:
    """What the table shows: a filter and an order."""

    filter: JobFilter = field(default_factory=JobFilter)
    sort: str = "id"
    descending: bool = True


#: Reads one page off the UI thread: (query, offset, limit) -> JobPage.
PageLoader = Callable[[JobQuery, int, int], JobPage]
#: Runs a loader off the UI thread: submit(fn, *args, on_result=..., on_error=...).
Submit = Callable[..., None]

COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("ID", "id"),
    ("Workflow", "workflow"),
    ("Status", "status"),
    ("Queue", "queue"),
    ("User", "user"),
    ("Tries", "attempts"),
    ("Created (UTC)", "created_at"),
    ("Started", "started_at"),
    ("Finished", "finished_at"),
    ("Error", None),
)


def _time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


class JobsTableModel(QAbstractTableModel):
    #: A page arrived (page number); tests and the panel wait on it.
    page_loaded = Signal(int)
    #: A load failed.
    load_failed = Signal(object)

    def __init__(self, loader: PageLoader, submit: Submit, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.loader = loader
        self._submit = submit
        self.page_size = page_size
        self.query = JobQuery()
        self.total = 0
        self.pages: dict[int, list[JobRecord]] = {}
        self._pending: set[int] = set()
        self._generation = 0

    # -- what to show ---------------------------------------------------------------------

    def set_filter(self, flt: JobFilter) -> None:
        self.query = replace(self.query, filter=flt)
        self.reload()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][1] or "id"
        self.query = replace(self.query, sort=key, descending=order == Qt.SortOrder.DescendingOrder)
        self.reload()

    def reload(self) -> None:
        """Forget every page and read the first one (and the count) again."""
        self._generation += 1
        self._pending = {0}
        self._request(0, reset=True)

    def refresh(self) -> None:
        """Re-read the pages on show (live updates) without resetting the view."""
        pages = sorted(self.pages) or [0]
        for page in pages:
            if page not in self._pending:
                self._pending.add(page)
                self._request(page, reset=False)

    def job_at(self, row: int) -> JobRecord | None:
        page = self.pages.get(row // self.page_size)
        if page is None:
            return None
        offset = row % self.page_size
        return page[offset] if offset < len(page) else None

    def row_of(self, job_id: int) -> int | None:
        for number, rows in self.pages.items():
            for n, job in enumerate(rows):
                if job.id == job_id:
                    return number * self.page_size + n
        return None

    # -- loading --------------------------------------------------------------------------

    def _request(self, page: int, *, reset: bool) -> None:
        generation = self._generation

        def done(result: JobPage) -> None:
            self._loaded(generation, page, result, reset)

        def failed(exc: BaseException) -> None:
            self._pending.discard(page)
            self.load_failed.emit(exc)

        self._submit(
            self.loader,
            self.query,
            page * self.page_size,
            self.page_size,
            on_result=done,
            on_error=failed,
        )

    def _loaded(self, generation: int, page: int, result: JobPage, reset: bool) -> None:
        if generation != self._generation:
            return  # an answer to a query that has since changed
        self._pending.discard(page)
        if reset:
            self.beginResetModel()
            self.pages = {page: result.rows}
            self.total = result.total
            self.endResetModel()
        else:
            self._resize(result.total)
            self.pages[page] = result.rows
            self._trim(page)
            first = page * self.page_size
            last = min(self.total, first + self.page_size) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_loaded.emit(page)

    def _resize(self, total: int) -> None:
        if total > self.total:
            self.beginInsertRows(QModelIndex(), self.total, total - 1)
            self.total = total
            self.endInsertRows()
        elif total < self.total:
            self.beginRemoveRows(QModelIndex(), total, self.total - 1)
            self.total = total
            self.endRemoveRows()

    def _trim(self, keep: int) -> None:
        while len(self.pages) > MAX_PAGES:
            farthest = max(self.pages, key=lambda p: abs(p - keep))
            del self.pages[farthest]

    # -- Qt -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()
        if not 0 <= row < self.total:
            return None
        job = self.job_at(row)
        if job is None:
            page = row // self.page_size
            if page not in self._pending:
                self._pending.add(page)
                self._request(page, reset=False)
            return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            colour = STATUS_COLOURS.get(job.status)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 9 and job.error:
            return job.error
        if role == Qt.ItemDataRole.UserRole:
            return job.id
        return None

    @staticmethod
    def _text(job: JobRecord, column: int) -> Any:
        status = job.status.value + (" (cancel asked)" if job.cancel_requested else "")
        return (
            job.id,
            job.workflow_name,
            status,
            job.queue,
            job.user_id or "",
            f"{job.attempts}/{job.max_attempts}",
            _time(job.created_at),
            _time(job.started_at),
            _time(job.finished_at),
            (job.error or "").splitlines()[0] if job.error else "",
        )[column]
