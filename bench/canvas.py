"""The workflow canvas with a 200-node graph: open, auto-layout, pan/zoom frame time.

Baseline, in the same run: the same 200 nodes and their edges as plain
QGraphicsRectItems and QGraphicsLineItems in a bare QGraphicsView of the same size.

    QT_QPA_PLATFORM=offscreen python bench/canvas.py [--frames 120] [--json]

"open" is :meth:`CanvasEditor.reset` of a document without positions (layered
layout, scene sync, fit) and the first paint; the baseline builds its scene from the
same positions, shows its view and paints it once.
"auto-layout" is the pure layout function alone. A frame is one pan (15 px) or zoom
(x1.05, alternating in and out) followed by a synchronous repaint of the viewport
(``viewport().repaint()``: the whole paint happens inside the timed call); frames
are timed with everything visible (fit), at 100 % and at 150 % zoom (where nodes are
cached at screen resolution, so each zoom step renders the visible ones again).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QLineF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
)

from levqor_desktop.core.workflows.actions import CompositeCatalog
from levqor_desktop.core.workflows.builtins import BuiltinCatalog
from levqor_desktop.ui.builder.editor import CanvasEditor
from levqor_desktop.ui.builder.graph import edges, layered_layout
from levqor_desktop.ui.builder.items import NODE_H, NODE_W

SIZE = (1100, 700)
#: Frame phases: the zoom each starts at (None: the whole graph fitted).
PHASES: dict[str, float | None] = {"fit": None, "100%": 1.0, "150%": 1.5}


def graph_document(nodes: int = 200, width: int = 10, seed: int = 7) -> dict[str, Any]:
    """``nodes`` steps in layers of ``width``; each needs 1-3 steps of the layer before."""
    rng = random.Random(seed)
    steps: list[dict[str, Any]] = []
    for i in range(nodes):
        layer = i // width
        before = [f"s{j}" for j in range((layer - 1) * width, layer * width)] if layer else []
        needs = sorted(rng.sample(before, rng.randint(1, 3))) if before else []
        steps.append({"id": f"s{i}", "uses": "core.log", "with": {"message": f"n{i}"},
                      "needs": needs})  # fmt: skip
    return {"name": "bench-graph", "steps": steps}


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def frames(view: QGraphicsView, count: int, zoom_by: Callable[[float], Any]) -> list[float]:
    """Milliseconds of each pan-or-zoom + synchronous repaint (zooming out first, so a
    phase stays on its side of 100 %)."""
    out: list[float] = []
    bar = view.horizontalScrollBar()
    for n in range(count):
        zoom = 1 / 1.05 if n % 4 == 1 else 1.05
        pan = 15 if n % 8 < 4 else -15

        def frame(n: int = n, zoom: float = zoom, pan: int = pan) -> None:
            if n % 2:
                zoom_by(zoom)
            else:
                bar.setValue(bar.value() + pan)
            view.viewport().repaint()

        out.append(timed(frame))
    return out


def baseline_view(document: dict[str, Any]) -> tuple[QGraphicsView, float]:
    positions = layered_layout(document)

    def build() -> QGraphicsScene:
        scene = QGraphicsScene()
        for x, y in positions.values():
            scene.addItem(QGraphicsRectItem(x, y, NODE_W, NODE_H))
        for source, target, _explicit in edges(document):
            (sx, sy), (tx, ty) = positions[source], positions[target]
            scene.addItem(
                QGraphicsLineItem(QLineF(sx + NODE_W, sy + NODE_H / 2, tx, ty + NODE_H / 2))
            )
        return scene

    views: list[QGraphicsView] = []

    def open_view() -> None:
        scene = build()
        view = QGraphicsView(scene)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.resize(*SIZE)
        view.show()
        view.fitInView(scene.itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio)
        view.scene_ref = scene  # type: ignore[attr-defined]
        views.append(view)
        QApplication.processEvents()  # the first paint, as for the canvas

    ms = timed(open_view)
    return views[0], ms


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _qt = QApplication(sys.argv[:1])
    document = graph_document()
    layout_ms = statistics.median(timed(lambda: layered_layout(document)) for _ in range(5))

    editor = CanvasEditor(CompositeCatalog(BuiltinCatalog()))
    editor.resize(SIZE[0] + 500, SIZE[1])
    editor.show()
    QApplication.processEvents()

    def open_document() -> None:
        editor.reset(document)
        QApplication.processEvents()

    open_ms = timed(open_document)
    base_view, base_open_ms = baseline_view(document)
    QApplication.processEvents()

    results: dict[str, Any] = {
        "nodes": len(document["steps"]),
        "edges": len(edges(document)),
        "auto_layout_ms": round(layout_ms, 2),
        "open_ms": {"canvas": round(open_ms, 1), "baseline": round(base_open_ms, 1)},
    }
    canvas_zoom = editor.view.zoom_by  # switches node caching around 100 %, as in use

    def base_zoom(factor: float) -> None:
        base_view.scale(factor, factor)

    for phase, zoom in PHASES.items():
        if zoom is None:
            editor.view.fit()
            base_view.fitInView(
                base_view.scene().itemsBoundingRect(), Qt.AspectRatioMode.KeepAspectRatio
            )
        else:
            editor.view.reset_zoom()
            editor.view.zoom_by(zoom)
            base_view.resetTransform()
            base_zoom(zoom)
        frames(editor.view, 10, canvas_zoom)  # warm the caches
        frames(base_view, 10, base_zoom)
        # Interleave the two so machine noise hits both alike.
        canvas_ms: list[float] = []
        base_ms: list[float] = []
        for _ in range(4):
            canvas_ms += frames(editor.view, args.frames // 4, canvas_zoom)
            base_ms += frames(base_view, args.frames // 4, base_zoom)
        c, b = summary(canvas_ms), summary(base_ms)
        ratio = round(c["median_ms"] / b["median_ms"], 2)
        results[f"frame_{phase}"] = {"canvas": c, "baseline": b, "ratio_median": ratio}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{results['nodes']} nodes, {results['edges']} edges")
        print(f"auto-layout: {results['auto_layout_ms']} ms")
        print(f"open: canvas {open_ms:.1f} ms, baseline {base_open_ms:.1f} ms")
        for phase in PHASES:
            r = results[f"frame_{phase}"]
            print(f"frame @{phase}: canvas {r['canvas']}, baseline {r['baseline']}, "
                  f"ratio {r['ratio_median']}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
