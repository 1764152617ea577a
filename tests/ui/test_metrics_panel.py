"""The Metrics panel: live data off the UI thread, ranges, pause, zoom, hover, markers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models.observability import MetricSample
from levqor_desktop.ui.panels.metrics import MetricsPanel
from levqor_desktop.ui.widgets.metrics_graphs import GRAPHS
from tests.ui.panel_support import panel_context

pytestmark = pytest.mark.ui

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: App) -> Clock:
    clock = Clock()
    app.sampler.clock = clock
    return clock


@pytest.fixture
def panel(qtbot, app: App, clock: Clock) -> Iterator[MetricsPanel]:
    ctx, _ = panel_context(app)
    panel = MetricsPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1100, 900)
    panel.show()
    try:
        yield panel
    finally:
        panel.shutdown()
        ctx.bridge.close()


def _polling(panel: MetricsPanel) -> bool:
    return panel.poller.active


def _points(panel: MetricsPanel, series: str) -> int:
    x, _ = panel.graphs.curves[series].getData()
    return 0 if x is None else len(x)


def _frame(qtbot, panel: MetricsPanel) -> None:
    before = panel.frames
    panel.poller.poll()
    qtbot.waitUntil(lambda: panel.frames > before and panel.graphs.settled, timeout=10_000)


def test_graphs_show_the_sampled_series(qtbot, app: App, clock: Clock, panel: MetricsPanel) -> None:
    for second in range(10):
        clock.now = NOW - 10 + second
        for _ in range(second):
            app.metrics.observe_job("succeeded", "w", 0.5)
        app.sampler.tick()
    clock.now = NOW
    panel.on_shown()
    _frame(qtbot, panel)
    x, y = panel.graphs.curves["jobs_succeeded_per_s"].getData()
    assert len(x) == 10
    assert y[-1] == 9.0  # nine jobs in the last second
    assert panel.graphs.describe_at(GRAPHS[0], NOW - 1).startswith(
        dt.datetime.fromtimestamp(NOW - 1, dt.UTC).strftime("%H:%M:%S") + "  succeeded 9/s"
    )
    x_range = panel.graphs.plots["throughput"].getViewBox().viewRange()[0]
    assert x_range == pytest.approx([NOW - 300, NOW])


def test_curves_are_reused_not_recreated(
    qtbot, app: App, clock: Clock, panel: MetricsPanel
) -> None:
    app.sampler.tick(NOW - 1)
    panel.on_shown()
    _frame(qtbot, panel)
    items = {k: list(p.items) for k, p in panel.graphs.plots.items()}
    curves = dict(panel.graphs.curves)
    for second in range(3):
        app.sampler.tick(NOW + second)
        clock.now = NOW + second
        _frame(qtbot, panel)
    assert panel.graphs.curves == curves
    assert {k: list(p.items) for k, p in panel.graphs.plots.items()} == items


def test_pause_freezes_and_zoom_stops_following(
    qtbot, app: App, clock: Clock, panel: MetricsPanel
) -> None:
    app.sampler.tick(NOW - 1)
    panel.on_shown()
    _frame(qtbot, panel)
    panel.pause_button.setChecked(True)
    assert not _polling(panel)
    frames = panel.frames
    app.sampler.tick(NOW)
    panel.show_frame(panel.fetch())
    assert panel.frames == frames
    panel.pause_button.setChecked(False)
    assert _polling(panel)

    view = panel.graphs.plots["queue"].getViewBox()
    view.setXRange(NOW - 100, NOW - 50, padding=0)
    view.sigRangeChangedManually.emit(view.state["mouseEnabled"])  # as a mouse drag does
    clock.now = NOW + 5
    _frame(qtbot, panel)
    for plot in panel.graphs.plots.values():
        assert plot.getViewBox().viewRange()[0] == pytest.approx([NOW - 100, NOW - 50])
    panel.reset_zoom()
    _frame(qtbot, panel)
    for plot in panel.graphs.plots.values():
        assert plot.getViewBox().viewRange()[0] == pytest.approx([NOW + 5 - 300, NOW + 5])


def test_long_range_reads_minute_history_and_flag_markers(
    qtbot, app: App, clock: Clock, panel: MetricsPanel
) -> None:
    start = dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(hours=20)
    with app.db.session() as session:
        session.add_all(
            MetricSample(series="queue_waiting", ts=start + dt.timedelta(minutes=m), value=m)
            for m in range(30)
        )
    assert app.actor is not None
    app.flag_service._clock = lambda: dt.datetime.fromtimestamp(NOW - 3600, dt.UTC)
    app.flag_service.set(app.actor, FlagName.BUILDER_ENABLED, True)
    panel.on_shown()
    _frame(qtbot, panel)
    panel.set_range(2)  # 24 hours
    qtbot.waitUntil(lambda: _points(panel, "queue_waiting") == 30, timeout=10_000)
    _, y = panel.graphs.curves["queue_waiting"].getData()
    assert np.array_equal(y, np.arange(30, dtype=float))
    assert panel.graphs.marker_count == 1
    assert "1 min" in panel.state_label.text()
    line = panel.graphs._markers["throughput"][0]
    assert line.value() == NOW - 3600
    assert "BUILDER_ENABLED on" in line.toolTip()


def test_hovering_a_graph_shows_the_values_under_the_mouse(
    qtbot, app: App, clock: Clock, panel: MetricsPanel
) -> None:
    from PySide6.QtCore import QPointF

    for second in range(5):
        clock.now = NOW - 5 + second
        app.metrics.observe_job("failed", "w", 2.0)
        app.sampler.tick()
    clock.now = NOW
    panel.on_shown()
    _frame(qtbot, panel)
    box = panel.graphs.plots["duration"].getViewBox()
    y_middle = sum(box.viewRange()[1]) / 2
    panel.graphs._mouse_moved(box.mapViewToScene(QPointF(NOW - 2, y_middle)))
    text = panel.graphs.hover["duration"].toPlainText()
    assert text.endswith("p50 2 s  p95 2 s")
    assert panel.graphs.hover["throughput"].toPlainText() == ""  # only the graph under the mouse
