"""Usage against each limit as bars (amber from 75 %, red at 100 %), and a usage graph."""

from __future__ import annotations

import datetime as dt

import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QWidget

from levqor_desktop.core.models.usage import Metric
from levqor_desktop.core.usage import LimitStatus
from levqor_desktop.core.usage.formatting import LABELS, MICRO, format_amount
from levqor_desktop.core.usage.periods import describe_reset
from levqor_desktop.ui.models.usage_model import level_colour
from levqor_desktop.ui.theme import MUTED, OK

BLUE = "#3b7dd8"


def bar_style(level: int) -> str:
    colour = level_colour(level) or OK
    return (
        "QProgressBar { text-align: center; }"
        f" QProgressBar::chunk {{ background-color: {colour}; border-radius: 3px; }}"
    )


class LimitBars(QWidget):
    """One row per limit: what it caps, a bar, used of limit, and when it resets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setColumnStretch(1, 1)
        self.bars: list[QProgressBar] = []
        self.empty = QLabel("No limits for this organization. Admins can add them below.")
        self.empty.setStyleSheet(f"color: {MUTED};")
        self.grid.addWidget(self.empty, 0, 0, 1, 3)

    def set_statuses(self, statuses: list[LimitStatus]) -> None:
        while self.grid.count() > 1:
            item = self.grid.takeAt(1)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.bars = []
        self.empty.setVisible(not statuses)
        for row, status in enumerate(statuses, start=1):
            limit = status.limit
            name = QLabel(
                f"{LABELS[limit.metric]} per {limit.period} · {limit.scope} {limit.scope_name}"
                + (" · soft" if str(limit.enforcement) == "soft" else "")
            )
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(min(1000, round(status.fraction * 1000)))
            bar.setFormat(f"{status.fraction * 100:.0f}%")
            bar.setStyleSheet(bar_style(status.level))
            bar.setProperty("level", status.level)
            bar.setToolTip(f"Alerts at 50 / 75 / 100 %; resets {describe_reset(status.resets_at)}")
            used = format_amount(limit.metric, status.used + status.reserved)
            detail = QLabel(f"{used} of {format_amount(limit.metric, limit.value)}")
            self.grid.addWidget(name, row, 0)
            self.grid.addWidget(bar, row, 1)
            self.grid.addWidget(detail, row, 2)
            self.bars.append(bar)


class UsageGraph(pg.PlotWidget):  # type: ignore[misc]
    """Daily usage of one metric over the last weeks (dollars for spend)."""

    def __init__(self) -> None:
        super().__init__(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.setBackground(None)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setMouseEnabled(x=True, y=False)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8 * 86400, brush=BLUE)
        self.addItem(self.bars)
        self.points: list[tuple[dt.date, int]] = []

    def set_series(self, metric: Metric, points: list[tuple[dt.date, int]]) -> None:
        self.points = points
        xs = [dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp() for d, _ in points]
        scale = MICRO if metric is Metric.COST_USD else 1
        heights = [v / scale for _, v in points]
        self.bars.setOpts(x=xs, height=heights, width=0.8 * 86400)
        unit = "USD per day" if metric is Metric.COST_USD else f"{LABELS[metric]} per day"
        self.setLabel("left", unit)
        if xs:
            self.setXRange(xs[0] - 86400, xs[-1] + 86400, padding=0)
            self.setYRange(0, max(max(heights), 1) * 1.1, padding=0)
