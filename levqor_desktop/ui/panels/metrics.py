"""Metrics: live graphs of throughput, queue depth, error rate, job duration and
connector latency, with markers for flag changes, canary runs, migrations and new
workflow versions.

Data comes from the core sampler (one-second ring buffer, minute samples in the database
for longer ranges and after a restart), fetched off the UI thread once a second (every
five seconds for the long ranges); the graphs only receive ``setData`` calls.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from levqor_desktop.core.metrics.markers import Marker, markers
from levqor_desktop.core.metrics.sampler import History
from levqor_desktop.ui.bridge import Poller
from levqor_desktop.ui.panels.base import Panel, PanelContext
from levqor_desktop.ui.widgets.metrics_graphs import SERIES_SHOWN, MetricsGraphs

#: (label, seconds, refresh interval in ms)
RANGES: tuple[tuple[str, float, int], ...] = (
    ("5 minutes", 300.0, 1000),
    ("1 hour", 3600.0, 1000),
    ("24 hours", 86_400.0, 5000),
    ("7 days", 604_800.0, 5000),
)
#: Markers change rarely: read them at most this often (seconds).
MARKER_REFRESH_S = 10.0


@dataclass(frozen=True)
class Frame:
    """One update of the graphs, prepared off the UI thread."""

    now: float
    span: float
    history: History
    markers: list[Marker] | None  # None: unchanged since the last frame


class MetricsPanel(Panel):
    def __init__(self, ctx: PanelContext) -> None:
        super().__init__(ctx)
        title = QLabel("Metrics")
        title.setObjectName("PanelTitle")
        self.range_box = QComboBox()
        for label, _, _ in RANGES:
            self.range_box.addItem(label)
        self.range_box.currentIndexChanged.connect(self._range_changed)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self.set_paused)
        self.zoom_button = QPushButton("Follow now")
        self.zoom_button.setToolTip("Undo zoom and pan; follow the latest samples")
        self.zoom_button.clicked.connect(self.reset_zoom)
        self.state_label = QLabel("")
        header = QHBoxLayout()
        header.addWidget(title)
        header.addStretch(1)
        header.addWidget(self.state_label)
        header.addWidget(QLabel("Range:"))
        header.addWidget(self.range_box)
        header.addWidget(self.zoom_button)
        header.addWidget(self.pause_button)

        self.graphs = MetricsGraphs()
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.graphs, 1)

        self._span = RANGES[0][1]
        self._markers_read_at = -1e18
        self._markers_span = 0.0
        self.frames = 0
        self.poller = Poller(self.bridge, RANGES[0][2], self.fetch, self.show_frame, self)

    # -- data (off the UI thread) -----------------------------------------------------

    def fetch(self) -> Frame:
        span = self._span
        now = self.app.sampler.clock()
        history = self.app.sampler.history(SERIES_SHOWN, now - span)
        found: list[Marker] | None = None
        if now - self._markers_read_at >= MARKER_REFRESH_S or span != self._markers_span:
            since = dt.datetime.fromtimestamp(now - span, dt.UTC)
            found = markers(self.app.db, since)
            self._markers_read_at, self._markers_span = now, span
        return Frame(now, span, history, found)

    # -- UI thread --------------------------------------------------------------------

    def show_frame(self, frame: Frame) -> None:
        if self.pause_button.isChecked():
            return
        started = time.perf_counter()
        self.graphs.set_history(frame.history)
        if frame.markers is not None:
            self.graphs.set_markers(frame.markers)
        self.graphs.follow(frame.now - frame.span, frame.now)
        self.frames += 1
        resolution = "1 s" if frame.history.resolution_s <= 1 else "1 min"
        self.state_label.setText(
            f"{len(frame.history.ts)} samples · {resolution} · "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )

    def on_shown(self) -> None:
        if not self.pause_button.isChecked():
            self.poller.start()

    def on_hidden(self) -> None:
        self.poller.stop()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        if paused:
            self.poller.stop()
            self.state_label.setText("paused")
        elif self.isVisible():
            self.poller.start()

    def reset_zoom(self) -> None:
        self.graphs.reset_zoom()
        self.poller.poll()

    def set_range(self, index: int) -> None:
        self.range_box.setCurrentIndex(index)

    def _range_changed(self, index: int) -> None:
        _, self._span, interval = RANGES[index]
        self.poller.set_interval(interval)
        self.graphs.reset_zoom()
        self.poller.poll()
