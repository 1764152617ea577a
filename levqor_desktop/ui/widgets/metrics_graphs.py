"""The live graphs of the Metrics panel: five plots in one pyqtgraph layout.

Built once: every curve, hover label and marker line is created up front (or pooled)
and later only fed with ``setData``/``setPos``, so a once-a-second update costs a few
array copies and one repaint, never widget creation. The graphs share one time range:
zooming or panning one moves them all; the hover label shows the values under the mouse.
New data is applied one graph per event-loop turn, so a second's update is five short
repaints rather than one long stall (which matters when worker threads hold the GIL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer

from levqor_desktop.core.metrics.markers import Marker
from levqor_desktop.core.metrics.sampler import History
from levqor_desktop.ui.theme import FAIL, MUTED, OK, WARN

BLUE = "#3b7dd8"
MARKER_COLOURS = {"flag": "#8e59c7", "canary": "#d08a00", "migration": "#c0392b", "workflow": BLUE}
#: Marker lines kept per plot (older markers in range are not drawn).
MAX_MARKER_LINES = 60


@dataclass(frozen=True)
class GraphSpec:
    key: str
    title: str
    #: (series, legend name, colour)
    curves: tuple[tuple[str, str, str], ...]
    unit: str = ""
    scale: float = 1.0


GRAPHS: tuple[GraphSpec, ...] = (
    GraphSpec(
        "throughput",
        "Throughput (jobs/s)",
        (
            ("jobs_succeeded_per_s", "succeeded", OK),
            ("jobs_failed_per_s", "failed", FAIL),
            ("jobs_canceled_per_s", "canceled", MUTED),
        ),
        "/s",
    ),
    GraphSpec(
        "queue",
        "Queue depth",
        (("queue_waiting", "waiting", BLUE), ("queue_running", "running", OK)),
    ),
    GraphSpec("errors", "Error rate (5 min)", (("error_rate", "error rate", FAIL),), "%", 100.0),
    GraphSpec(
        "duration", "Job duration", (("job_p50_s", "p50", BLUE), ("job_p95_s", "p95", WARN)), " s"
    ),
    GraphSpec(
        "latency",
        "Connector latency",
        (("connector_p50_s", "p50", BLUE), ("connector_p95_s", "p95", WARN)),
        " s",
    ),
)
SERIES_SHOWN: tuple[str, ...] = tuple(s for g in GRAPHS for s, _, _ in g.curves)


class MetricsGraphs(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.setBackground(None)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.hover: dict[str, pg.TextItem] = {}
        self._markers: dict[str, list[pg.InfiniteLine]] = {}
        self._marker_key: tuple[tuple[float, str], ...] = ()
        self._ts = np.empty(0)
        self._values: dict[str, np.ndarray] = {}
        #: True once the operator zoomed or panned: stop following "now".
        self.user_zoomed = False
        for row, spec in enumerate(GRAPHS):
            plot = self.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
            # The title doubles as the legend: a LegendItem adds a dozen items to paint.
            names = " ".join(
                f'<span style="color:{colour}">━ {name}</span>' for _, name, colour in spec.curves
            )
            plot.setTitle(f"{spec.title} &nbsp; {names}", size="9pt")
            # No grid: alpha-blended grid lines across five plots cost ~80 ms per repaint
            # in Qt's raster engine (measured); time labels only under the last graph.
            if row < len(GRAPHS) - 1:
                plot.getAxis("bottom").setStyle(showValues=False)
            plot.getAxis("left").setWidth(48)  # aligned graphs whatever the tick labels
            plot.setMenuEnabled(False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            box = plot.getViewBox()
            box.sigRangeChangedManually.connect(lambda *_a, box=box: self._zoomed(box))
            plot.enableAutoRange(axis="y", enable=True)
            plot.getViewBox().setLimits(yMin=0)  # every series is a count, rate or duration
            for series, _, colour in spec.curves:
                self.curves[series] = plot.plot(
                    [], [], pen=pg.mkPen(colour, width=1.5), connect="finite"
                )
            label = pg.TextItem(anchor=(0, 0), color=MUTED)
            label.setZValue(10)
            plot.addItem(label, ignoreBounds=True)
            self.hover[spec.key] = label
            self._markers[spec.key] = []
            self.plots[spec.key] = plot
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        # One graph per event-loop turn: five short repaints instead of one long stall.
        self._pending: list[GraphSpec] = []
        self._range: tuple[float, float] | None = None
        self._step = QTimer(self)
        self._step.setInterval(0)
        self._step.timeout.connect(self._update_next)

    # -- data -------------------------------------------------------------------------

    def set_history(self, history: History) -> None:
        """New data for every graph, applied one graph per event-loop turn."""
        self._ts = history.ts
        self._values = history.values
        self._pending = list(GRAPHS)
        self._step.start()

    @property
    def settled(self) -> bool:
        """Every graph shows the latest data."""
        return not self._pending

    def _update_next(self) -> None:
        if not self._pending:
            self._step.stop()
            return
        spec = self._pending.pop(0)
        ts = self._ts
        for series, _, _ in spec.curves:
            values = self._values.get(series)
            if values is None or len(values) != len(ts):
                self.curves[series].setData([], [])
            else:
                self.curves[series].setData(ts, values * spec.scale, connect="finite")
        if self._range is not None and not self.user_zoomed:
            self.plots[spec.key].setXRange(*self._range, padding=0)
        if not self._pending:
            self._step.stop()

    def follow(self, start: float, end: float) -> None:
        """Show [start, end] (from the next update on) unless the operator zoomed or panned."""
        self._range = (start, end)

    def reset_zoom(self) -> None:
        self.user_zoomed = False
        for plot in self.plots.values():
            plot.enableAutoRange(axis="y", enable=True)
            if self._range is not None:
                plot.setXRange(*self._range, padding=0)

    def _zoomed(self, source: pg.ViewBox, *_args: object) -> None:
        # The graphs share one time axis: a zoom or pan on one moves them all.
        self.user_zoomed = True
        x_range = source.viewRange()[0]
        for plot in self.plots.values():
            if plot.getViewBox() is not source:
                plot.setXRange(*x_range, padding=0)

    def set_markers(self, markers: list[Marker]) -> None:
        """Vertical lines for events; the lines are pooled and only moved."""
        shown = markers[-MAX_MARKER_LINES:]
        key = tuple((m.at.timestamp(), m.label) for m in shown)
        if key == self._marker_key:
            return
        self._marker_key = key
        for spec in GRAPHS:
            pool = self._markers[spec.key]
            plot = self.plots[spec.key]
            while len(pool) < len(shown):
                line = pg.InfiniteLine(angle=90, movable=False)
                line.setZValue(-5)
                plot.addItem(line, ignoreBounds=True)
                pool.append(line)
            for line, marker in zip(pool, shown, strict=False):
                colour = MARKER_COLOURS.get(marker.kind, MUTED)
                line.setPen(pg.mkPen(colour, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
                line.setPos(marker.at.timestamp())
                line.setToolTip(f"{marker.at:%Y-%m-%d %H:%M:%S} UTC — {marker.label}")
                line.show()
            for line in pool[len(shown) :]:
                line.hide()

    @property
    def marker_count(self) -> int:
        return len(self._marker_key)

    # -- hover ------------------------------------------------------------------------

    def _mouse_moved(self, pos: QPointF) -> None:
        for spec in GRAPHS:
            plot = self.plots[spec.key]
            label = self.hover[spec.key]
            if not plot.sceneBoundingRect().contains(pos):
                label.setText("")
                continue
            x = plot.getViewBox().mapSceneToView(pos).x()
            label.setText(self.describe_at(spec, x))
            rect = plot.getViewBox().viewRect()
            label.setPos(rect.left(), rect.bottom())

    def describe_at(self, spec: GraphSpec, x: float) -> str:
        """The values of ``spec``'s curves at the sample nearest to time ``x``."""
        ts = self._ts
        if len(ts) == 0:
            return ""
        i = int(np.clip(np.searchsorted(ts, x), 0, len(ts) - 1))
        if i > 0 and abs(ts[i - 1] - x) < abs(ts[i] - x):
            i -= 1
        when = dt.datetime.fromtimestamp(float(ts[i]), dt.UTC)
        parts = [f"{when:%H:%M:%S}"]
        for series, name, _ in spec.curves:
            values = self._values.get(series)
            if values is None or i >= len(values) or np.isnan(values[i]):
                parts.append(f"{name} —")
            else:
                parts.append(f"{name} {values[i] * spec.scale:.3g}{spec.unit}")
        return "  ".join(parts)
