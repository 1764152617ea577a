"""UI responsiveness: event-loop stalls while the Metrics panel redraws every graph each
second and the local pool runs jobs flat out, against the same window idle.

The probe is a zero-interval QTimer on the UI thread: the gap between two of its
timeouts is how long the event loop was busy elsewhere (painting, callbacks, waiting
for the GIL). Gaps go into a fixed histogram (0.1 ms bins), so the probe itself does
not grow memory. Each phase runs in a fresh interpreter (``QT_QPA_PLATFORM=offscreen``,
SQLite in a temporary LEVQOR_HOME) with the real main window showing the Metrics panel.

    python bench/ui_responsiveness.py [--seconds 60] [--json]

Targets (issue 5): p99 gap under 50 ms while loaded; RSS after 60 s within 20 MB of
RSS after 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

CHILD = r"""
import gc, json, sys, threading, time
from types import SimpleNamespace
import numpy as np
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from levqor_desktop.app import build_app
from levqor_desktop.settings import Settings
from levqor_desktop.ui.main_window import MainWindow

PHASE, SECONDS, HOME = sys.argv[1], float(sys.argv[2]), sys.argv[3]
OPTIONS = sys.argv[4:]
for option in OPTIONS:
    if option.startswith("switch="):  # experiment: how fast the UI thread gets the GIL back
        sys.setswitchinterval(float(option[7:]))
BIN_MS = 0.1
bins = np.zeros(20_000, dtype=np.int64)  # 0..2 s in 0.1 ms bins, last bin = overflow
state = {"last": None, "max": 0.0, "start": None, "rss10": None}
long_gaps = []  # (seconds since start, gap ms) of every gap over 50 ms
gc_pauses = []  # ms of each full (generation 2) collection: it holds the GIL throughout
_gc_started = [0.0]

def on_gc(phase, info):
    if info["generation"] != 2:
        return
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    elif state["start"] is not None:
        gc_pauses.append((time.perf_counter() - _gc_started[0]) * 1000)

gc.callbacks.append(on_gc)
DOC = {
    "name": "bench-noop", "version": 1, "trigger": {"type": "manual"},
    "steps": [{"id": "wait", "uses": "core.delay", "with": {"seconds": 0}}],
}

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

qapp = QApplication(sys.argv[:1])
settings = Settings.from_env({"LEVQOR_HOME": HOME, "LEVQOR_METRICS_PORT": "0"})
window = MainWindow(lambda _profile: build_app(settings),
                    settings=QSettings(HOME + "/qsettings.ini", QSettings.Format.IniFormat))
window.resize(1280, 900)
window.show()
stop = threading.Event()

def feeder(app):
    # Keep the local pool busy: a few hundred jobs queued at all times.
    actor = app.actor
    while not stop.is_set():
        snap = app.metrics.queue_depth()
        queued = sum(n for _, s, n in snap if s == "queued")
        if queued < 300:
            app.jobs.enqueue_many(actor, None, [{}] * 200, document=DOC)
        stop.wait(0.05)

def probe():
    now = time.perf_counter()
    last = state["last"]
    state["last"] = now
    if last is None:
        return
    gap = (now - last) * 1000
    bins[min(int(gap / BIN_MS), len(bins) - 1)] += 1
    if gap > state["max"]:
        state["max"] = gap
    if gap > 50:
        long_gaps.append((round(now - state["start"], 2), round(gap, 1)))

def pct(q, weights=None):
    w = bins if weights is None else weights
    idx = int(np.searchsorted(np.cumsum(w), q * w.sum()))
    return (idx + 1) * BIN_MS

def pct_time(q):
    # The gap length below which q of the measured wall time was spent.
    return pct(q, bins * (np.arange(len(bins)) + 0.5))

def finish():
    stop.set()
    timer.stop()
    app = window.app
    panel = window.panel("metrics") or SimpleNamespace(frames=0)
    totals = app.metrics.snapshot().jobs_total
    done = sum(totals.values())
    print("RESULT " + json.dumps({
        "phase": PHASE, "seconds": SECONDS, "ticks": int(bins.sum()),
        "p50_ms": pct(0.50), "p99_ms": pct(0.99), "p99_time_ms": pct_time(0.99),
        "max_ms": state["max"],
        "rss10_mb": state["rss10"], "rss_end_mb": rss_mb(),
        "jobs_done": done, "jobs_per_s": done / SECONDS, "frames": panel.frames,
        "gaps_over_50ms": len(long_gaps), "long_gaps": long_gaps[:40],
        "stalled_ms_total": sum(g for _, g in long_gaps),
        "gc_full": len(gc_pauses), "gc_full_max_ms": max(gc_pauses, default=0.0),
    }), flush=True)
    window.shutdown()
    qapp.quit()

timer = QTimer()
timer.setInterval(0)
timer.timeout.connect(probe)

def begin():
    if "gc-freeze" in OPTIONS:
        gc.collect()
        gc.freeze()  # start-up objects leave the collector's view: full collections get short
    window.show_panel("overview" if PHASE.endswith("-nographs") else "metrics")
    if PHASE.startswith("load"):
        threading.Thread(target=feeder, args=(window.app,), daemon=True).start()
    # Let the pool and the graphs reach their steady state before measuring.
    QTimer.singleShot(3000, measure)

def measure():
    app = window.app
    app.metrics._jobs_total.clear()  # count jobs finished during the measurement only
    state["start"] = time.perf_counter()
    timer.start()
    QTimer.singleShot(int(min(10.0, SECONDS) * 1000), lambda: state.update(rss10=rss_mb()))
    QTimer.singleShot(int(SECONDS * 1000), finish)

window.app_ready.connect(lambda _a: QTimer.singleShot(0, begin))
window.start_failed.connect(lambda e: (print("FAILED", e, flush=True), qapp.quit()))
window.start()
qapp.exec()
"""


def run_phase(phase: str, seconds: float, options: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="levqor-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path.cwd()))
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, phase, str(seconds), home, *options],
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 120,
            check=False,
        )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    raise SystemExit(f"{phase} phase failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--phases",
        default="idle,load",
        help="idle, load, load-nographs (the pool with the Overview panel shown instead)",
    )
    parser.add_argument(
        "--switch-interval", type=float, help="sys.setswitchinterval in the window (experiment)"
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() once the window is up (experiment)"
    )
    args = parser.parse_args()
    options = ["gc-freeze"] if args.gc_freeze else []
    if args.switch_interval:
        options.append(f"switch={args.switch_interval}")
    results = [run_phase(p, args.seconds, options) for p in args.phases.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(
        "| window | p99 gap (by count) | p99 gap (by time) | max gap | gaps > 50 ms "
        "| longest full GC | RSS @10 s | RSS @end | growth | jobs/s | graph frames |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        growth = r["rss_end_mb"] - r["rss10_mb"]
        print(
            f"| {r['phase']} | {r['p99_ms']:.1f} ms | {r['p99_time_ms']:.1f} ms | "
            f"{r['max_ms']:.0f} ms | {r['gaps_over_50ms']} | {r['gc_full_max_ms']:.0f} ms | "
            f"{r['rss10_mb']:.0f} MB | "
            f"{r['rss_end_mb']:.0f} MB | {growth:+.1f} MB | {r['jobs_per_s']:.0f} | "
            f"{r['frames']} |"
        )
    load = next((r for r in results if r["phase"] == "load"), None)
    if load is None:
        return
    by_count, by_time = load["p99_ms"] < 50, load["p99_time_ms"] < 50
    ok_mem = load["rss_end_mb"] - load["rss10_mb"] <= 20
    print(
        f"\nwhile loaded: p99 gap under 50 ms by count: {'yes' if by_count else 'NO'}, "
        f"by time: {'yes' if by_time else 'NO'}; "
        f"memory growth within 20 MB: {'yes' if ok_mem else 'NO'}"
    )


if __name__ == "__main__":
    main()
