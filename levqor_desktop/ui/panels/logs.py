"""Logs: both JSON log files, followed live (across midnight rotation), filtered by level,
logger, job id and free text over the whole files, exportable.

Files are read only off the UI thread: a filter change runs a whole-file search on the
thread pool, and a poller hands new lines over twice a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from levqor_desktop.core.logging import API_LOG, QUEUE_LOG
from levqor_desktop.core.logs import LEVELS, LogEntry, LogFilter, LogFollower, export, search, tail
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.models.logs_model import LogTableModel
from levqor_desktop.ui.panels.base import Panel, PanelContext

FOLLOW_MS = 500
DEBOUNCE_MS = 300
#: Lines shown without a filter (the newest of each file); a filter searches whole files.
TAIL_LINES = 5000
SEARCH_LIMIT = 50_000


@dataclass
class Loaded:
    generation: int
    entries: list[LogEntry]
    matched: int
    followers: list[LogFollower]
    whole_files: bool


class LogsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Where to export (replaceable in tests): returns a path or None.
        self.ask_export_path: Callable[[], str | None] = self._export_dialog

        title = QLabel("Logs")
        title.setObjectName("PanelTitle")
        self.level_box = QComboBox()
        self.level_box.addItem("All levels", "")
        for level in LEVELS:
            self.level_box.addItem(f"{level.title()} and above", level)
        self.logger_edit = _edit("logger, e.g. levqor.queue")
        self.job_edit = _edit("job id")
        self.job_edit.setMaximumWidth(90)
        self.text_edit = _edit("search text")
        self.api_box = QCheckBox("api.log")
        self.queue_box = QCheckBox("queue.log")
        self.follow_box = QCheckBox("Follow")
        for box in (self.api_box, self.queue_box, self.follow_box):
            box.setChecked(True)
        self.export_button = QPushButton("Export…")
        self.export_button.clicked.connect(self.export_view)
        self.status = QLabel("")

        row = QHBoxLayout()
        row.addWidget(title)
        row.addStretch(1)
        for widget in (self.level_box, self.logger_edit, self.job_edit, self.text_edit):
            row.addWidget(widget)
        for button in (self.api_box, self.queue_box, self.follow_box, self.export_button):
            row.addWidget(button)

        self.model = LogTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in ((0, 170), (1, 70), (2, 50), (3, 220), (4, 520)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(22)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        for edit in (self.logger_edit, self.job_edit, self.text_edit):
            edit.textChanged.connect(lambda _t: self._debounce.start())
        self.level_box.currentIndexChanged.connect(lambda _i: self.reload())
        for box in (self.api_box, self.queue_box):
            box.toggled.connect(lambda _c: self.reload())
        self.follow_box.toggled.connect(self._follow_toggled)

        self._generation = 0
        self._loaded_generation = 0
        self._followers: list[LogFollower] = []
        self._seen: set[str] = set()
        self._filter = LogFilter()
        self._matched = 0
        self.loads = 0
        self.poller = Poller(self.bridge, FOLLOW_MS, self._poll, self._got_new, self)
        self._loaded_once = False

    @property
    def up_to_date(self) -> bool:
        """The view shows the result of the current filter (no search in flight)."""
        return self._loaded_generation == self._generation and not self._debounce.isActive()

    # -- files ------------------------------------------------------------------------

    @property
    def files(self) -> list[tuple[str, Path]]:
        log_dir = self.app.settings.log_dir
        return [("api", log_dir / API_LOG), ("queue", log_dir / QUEUE_LOG)]

    def current_filter(self) -> LogFilter:
        sources = {
            s for s, box in (("api", self.api_box), ("queue", self.queue_box)) if box.isChecked()
        }
        return LogFilter(
            level=str(self.level_box.currentData() or ""),
            logger=self.logger_edit.text().strip(),
            job_id=self.job_edit.text().strip(),
            text=self.text_edit.text().strip(),
            sources=frozenset(sources),
        )

    # -- loading (off the UI thread) --------------------------------------------------

    def _load(self, flt: LogFilter, generation: int) -> Loaded:
        # Followers first, at the current ends: nothing written from now on is missed.
        followers = [LogFollower(path, source) for source, path in self.files]
        if flt.empty:
            entries = [
                e
                for source, path in self.files
                if source in flt.sources
                for e in tail(path, source, TAIL_LINES)
            ]
            entries.sort(key=lambda e: e.timestamp)
            return Loaded(generation, entries, len(entries), followers, whole_files=False)
        result = search(self.files, flt, limit=SEARCH_LIMIT)
        return Loaded(generation, result.entries, result.matched, followers, whole_files=True)

    def _poll(self) -> tuple[int, list[LogEntry]]:
        generation, flt, followers = self._generation, self._filter, list(self._followers)
        new: list[LogEntry] = []
        for follower in followers:
            try:
                new.extend(e for e in follower.poll() if flt.matches(e))
            except (OSError, ValueError):
                continue  # replaced and closed by a reload meanwhile
        new.sort(key=lambda e: e.timestamp)
        return generation, new

    # -- UI thread --------------------------------------------------------------------

    def on_shown(self) -> None:
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()
        elif self.follow_box.isChecked():
            self.poller.start(immediately=True)

    def on_hidden(self) -> None:
        self.poller.stop()

    def shutdown(self) -> None:
        super().shutdown()
        for follower in self._followers:
            follower.close()
        self._followers = []

    def reload(self) -> None:
        """Load anew with the current filter (a whole-file search when there is one)."""
        self._debounce.stop()
        self.poller.stop()
        self._generation += 1
        self._filter = self.current_filter()
        self.status.setText("searching…" if not self._filter.empty else "loading…")
        self.bridge.submit(
            self._load,
            self._filter,
            self._generation,
            on_result=self._loaded,
            on_error=self.ctx.show_error,
        )

    def _loaded(self, loaded: Loaded) -> None:
        if loaded.generation != self._generation:
            for follower in loaded.followers:
                follower.close()
            return
        for follower in self._followers:
            follower.close()
        self._followers = loaded.followers
        self._seen = {e.raw for e in loaded.entries[-1000:]}
        self._matched = loaded.matched
        self.model.set_entries(loaded.entries)
        self.table.scrollToBottom()
        self.loads += 1
        self._loaded_generation = loaded.generation
        self._update_status(loaded.whole_files)
        if self.follow_box.isChecked() and self.isVisible():
            self.poller.start(immediately=True)

    def _got_new(self, polled: tuple[int, list[LogEntry]]) -> None:
        generation, entries = polled
        if generation != self._generation:
            return
        fresh = [e for e in entries if e.raw not in self._seen]
        self._seen.clear()  # only the lines read by the load can repeat, once
        if not fresh:
            return
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(fresh)
        self._matched += len(fresh)
        if at_bottom:
            self.table.scrollToBottom()
        self._update_status(not self._filter.empty)

    def _update_status(self, whole_files: bool) -> None:
        shown = self.model.rowCount()
        where = "in the whole files" if whole_files else f"(the newest {TAIL_LINES} of each file)"
        more = f" (the newest {shown} shown)" if self._matched > shown else ""
        follow = " · following" if self.follow_box.isChecked() else ""
        self.status.setText(f"{self._matched} lines {where}{more}{follow}")

    def _follow_toggled(self, on: bool) -> None:
        if on and self.isVisible():
            self.poller.start()
        else:
            self.poller.stop()
        self._update_status(not self._filter.empty)

    def show_job(self, job_id: int | str) -> None:
        """Show the lines of one job (the Jobs panel links here)."""
        self.job_edit.setText(str(job_id))
        self.reload()

    # -- export -----------------------------------------------------------------------

    def export_view(self) -> None:
        path = self.ask_export_path()
        if not path:
            return
        entries = list(self.model.entries)
        self.bridge.submit(
            export,
            entries,
            Path(path),
            on_result=lambda n: self.ctx.window.show_message(f"exported {n} lines to {path}"),
            on_error=self.ctx.show_error,
        )

    def _export_dialog(self) -> str | None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export log lines", "levqor-logs.jsonl", "JSON lines (*.jsonl)"
        )
        return path or None


def _edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit
