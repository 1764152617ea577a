"""Incidents: one timeline of a time window (failed jobs, flag changes, canary runs,
migrations, limit hits, operator actions), filtered by kind, exported as Markdown or JSON.

Every query runs on the bridge's thread pool; what the panel shows is already redacted
by the core (the same text the export writes).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
)

from levqor_desktop.core.incidents import KIND_LABELS, EventKind, IncidentEvent, Window
from levqor_desktop.ui.models.incidents_model import IncidentFilter, IncidentTableModel
from levqor_desktop.ui.panels.base import Panel, PanelContext

#: Events loaded into the table (an export has no cap and says so in the status line).
MAX_EVENTS = 20_000
#: The window presets: label → span (None: custom; "last" = around the last failure).
PRESETS: tuple[tuple[str, dt.timedelta | str | None], ...] = (
    ("Last hour", dt.timedelta(hours=1)),
    ("Last 6 hours", dt.timedelta(hours=6)),
    ("Last 24 hours", dt.timedelta(hours=24)),
    ("Last failure", "last"),
    ("Custom…", None),
)


@dataclass(frozen=True)
class Choice:
    """What the operator picked; resolved into a :class:`Window` off the UI thread."""

    span: dt.timedelta | str | None
    since: dt.datetime
    until: dt.datetime


@dataclass
class Loaded:
    generation: int
    window: Window
    events: list[IncidentEvent]
    truncated: bool


class IncidentsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        #: Where to export (replaceable in tests): given the format asked for ("md",
        #: "json", or None to choose by the file's extension), returns a path or None.
        self.ask_export_path: Callable[[str | None], str | None] = self._export_dialog

        title = QLabel("Incidents")
        title.setObjectName("PanelTitle")
        self.window_box = QComboBox()
        for label, span in PRESETS:
            self.window_box.addItem(label, span)
        self.since_edit = _time_edit()
        self.until_edit = _time_edit()
        self.to_label = QLabel("→")
        self.kind_box = QComboBox()
        self.kind_box.addItem("All kinds", None)
        for kind in EventKind:
            self.kind_box.addItem(KIND_LABELS[kind].capitalize(), kind.value)
        self.text_edit = QLineEdit()
        self.text_edit.setPlaceholderText("search summaries")
        self.text_edit.setClearButtonEnabled(True)
        self.refresh_button = QPushButton("Refresh")
        self.export_button = QPushButton("Export…")
        self.export_button.setEnabled(False)

        row = QHBoxLayout()
        row.addWidget(title)
        row.addStretch(1)
        row.addWidget(self.window_box)
        row.addWidget(self.since_edit)
        row.addWidget(self.to_label)
        row.addWidget(self.until_edit)
        for widget in (self.kind_box, self.text_edit, self.refresh_button, self.export_button):
            row.addWidget(widget)

        self.model = IncidentTableModel()
        self.proxy = IncidentFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in ((0, 175), (1, 120), (2, 70)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setPlaceholderText("Select an event to see its details.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.status = QLabel("")

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        self.window_box.currentIndexChanged.connect(self._window_changed)
        self.refresh_button.clicked.connect(self.reload)
        self.export_button.clicked.connect(lambda: self.export_view())
        self.kind_box.currentIndexChanged.connect(self._filter_changed)
        self.text_edit.textChanged.connect(self._filter_changed)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())

        self._generation = 0
        self._loaded_generation = 0
        self.loads = 0
        #: The window the table shows (None until the first load).
        self.shown_window: Window | None = None
        self._truncated = False
        self._loaded_once = False
        self._window_changed()

    @property
    def up_to_date(self) -> bool:
        return self._loaded_generation == self._generation and self._loaded_once

    # -- choosing the window ----------------------------------------------------------

    def choice(self) -> Choice:
        return Choice(
            self.window_box.currentData(),
            _to_utc(self.since_edit.dateTime()),
            _to_utc(self.until_edit.dateTime()),
        )

    def _window_changed(self) -> None:
        custom = self.window_box.currentData() is None
        for widget in (self.since_edit, self.to_label, self.until_edit):
            widget.setVisible(custom)
        if custom:
            now = QDateTime.currentDateTimeUtc()
            self.since_edit.setDateTime(now.addSecs(-3600))
            self.until_edit.setDateTime(now)
        if self._loaded_once:
            self.reload()

    def _resolve(self, choice: Choice) -> Window:
        incidents = self.app.incidents
        actor = self.app.actor
        assert actor is not None
        if choice.span == "last":
            return incidents.last_failure(actor)
        if isinstance(choice.span, dt.timedelta):
            return Window.last(choice.span, incidents.now())
        return Window(choice.since, choice.until, "a custom window")

    # -- loading (off the UI thread) --------------------------------------------------

    def _load(self, choice: Choice, generation: int) -> Loaded:
        actor = self.app.actor
        assert actor is not None
        window = self._resolve(choice)
        events = self.app.incidents.events(actor, window, limit=MAX_EVENTS + 1)
        return Loaded(generation, window, events[:MAX_EVENTS], len(events) > MAX_EVENTS)

    def on_shown(self) -> None:
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    def reload(self) -> None:
        if self.app.actor is None:
            return
        self._generation += 1
        self.status.setText("loading…")
        self.bridge.submit(
            self._load,
            self.choice(),
            self._generation,
            on_result=self._loaded,
            on_error=self._failed,
        )

    def _loaded(self, loaded: Loaded) -> None:
        if loaded.generation != self._generation:
            return
        self.shown_window, self._truncated = loaded.window, loaded.truncated
        self.model.set_events(loaded.events)
        self.details.clear()
        self.export_button.setEnabled(True)
        self.loads += 1
        self._loaded_generation = loaded.generation
        self._update_status()

    def _failed(self, exc: BaseException) -> None:
        self._loaded_generation = self._generation
        self.model.set_events([])
        self.status.setText(str(exc))
        self.ctx.show_error(exc)

    def _update_status(self) -> None:
        w = self.shown_window
        if w is None:
            return
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        counted = f"{total} events" if shown == total else f"{shown} of {total} events"
        more = f" (the first {MAX_EVENTS}; export for all)" if self._truncated else ""
        self.status.setText(
            f"{counted}{more} · {w.label}: {w.since:%Y-%m-%d %H:%M:%S} → "
            f"{w.until:%Y-%m-%d %H:%M:%S} UTC"
        )

    # -- filter and details -----------------------------------------------------------

    def _filter_changed(self) -> None:
        self.proxy.set_filter(self.chosen_kind(), self.text_edit.text())
        self._update_status()

    def chosen_kind(self) -> EventKind | None:
        value = self.kind_box.currentData()
        return EventKind(value) if value else None

    def selected_event(self) -> IncidentEvent | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid():
            return None
        return self.model.event_at(self.proxy.mapToSource(index).row())

    def _show_selected(self) -> None:
        event = self.selected_event()
        if event is None:
            self.details.clear()
            return
        body = json.dumps(event.details, indent=2, ensure_ascii=False, default=str, sort_keys=True)
        self.details.setPlainText(
            f"{KIND_LABELS[event.kind]} · {event.severity} · {event.at.isoformat()}\n"
            f"{event.summary}\n\n{body}"
        )

    # -- export -----------------------------------------------------------------------

    def show_last_failure(self) -> None:
        """Show the window around the newest failed job or failed canary run."""
        last = self.window_box.findData("last")
        if self.window_box.currentIndex() == last:
            self.reload()
            return
        self.window_box.setCurrentIndex(last)  # reloads once the panel has loaded
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    def export_view(self, fmt: str | None = None) -> None:
        """Export the shown window (of the chosen kind, if one is) as ``fmt`` ("md" or
        "json"; None: by the chosen file's extension, Markdown unless it is .json)."""
        actor, window = self.app.actor, self.shown_window
        if actor is None or window is None:
            self.ctx.window.show_message("nothing to export yet: the timeline is loading")
            return
        path = self.ask_export_path(fmt)
        if not path:
            return
        if fmt is None:
            fmt = "json" if path.lower().endswith(".json") else "md"
        kind = self.chosen_kind()
        kinds = [kind] if kind is not None else None
        self.bridge.submit(
            self.app.incidents.export_file,
            actor,
            window,
            fmt,
            Path(path),
            kinds,
            on_result=lambda n: self.ctx.window.show_message(f"exported {n} events to {path}"),
            on_error=self.ctx.show_error,
        )

    def _export_dialog(self, fmt: str | None) -> str | None:
        filters = {"md": "Markdown (*.md)", "json": "JSON (*.json)"}
        chosen = [filters[fmt]] if fmt else list(filters.values())
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Export the incident timeline",
            f"levqor-incident.{fmt or 'md'}",
            ";;".join(chosen),
        )
        return path or None


def _time_edit() -> QDateTimeEdit:
    edit = QDateTimeEdit()
    edit.setTimeZone(QTimeZone.utc())
    edit.setDisplayFormat("yyyy-MM-dd HH:mm")
    edit.setCalendarPopup(True)
    return edit


def _to_utc(value: QDateTime) -> dt.datetime:
    return dt.datetime.fromtimestamp(value.toSecsSinceEpoch(), dt.UTC)
