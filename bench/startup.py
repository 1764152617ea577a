"""Start-up benchmark: process start → main window shown, and resident memory at idle.

Baseline, measured in the same run: a bare ``QApplication`` + ``QMainWindow``. Each
variant starts in a fresh interpreter (``QT_QPA_PLATFORM=offscreen``); the parent times
from spawning the process to the child's "shown" line, which the child prints when the
main window receives its first paint event. Levqor also reports when its App is ready
(database connected, schema at head) and its RSS after idling.

    python bench/startup.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IDLE_S = 3.0

COMMON = r"""
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
class FirstPaint(QObject):
    # "Shown" is the window's first paint: what the operator sees, whatever else the
    # event loop does before or after it.
    def __init__(self):
        super().__init__()
        self.done = False
    def eventFilter(self, obj, event):
        if not self.done and event.type() == QEvent.Type.Paint:
            self.done = True
            shown()
        return False
first_paint = FirstPaint()
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
def shown():
    print("SHOWN", flush=True)
def idle_report():
    print("RSS", rss_mb(), flush=True)
    app.quit()
"""

BARE = (
    COMMON
    + r"""
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 800)
window.installEventFilter(first_paint)
window.show()
QTimer.singleShot(int(IDLE_S * 1000), idle_report)
app.exec()
"""
)

LEVQOR = (
    COMMON
    + r"""
import levqor_desktop.__main__ as entry
from levqor_desktop.ui.main_window import MainWindow
original_show = MainWindow.show
def show_with_probe(self):
    self.installEventFilter(first_paint)
    original_show(self)
MainWindow.show = show_with_probe
app, window = entry.launch(entry.parse_args([]))
window.app_ready.connect(lambda _a: print("READY", flush=True))
window.start_failed.connect(lambda e: print("FAILED", e, flush=True))
QTimer.singleShot(int(IDLE_S * 1000), idle_report)
app.exec()
window.shutdown()
"""
)


def run_once(code: str, home: Path) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LEVQOR_HOME=str(home))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", f"IDLE_S={IDLE_S}\n" + code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    result: dict[str, float] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        word, *rest = line.split()
        now = (time.perf_counter() - start) * 1000
        if word == "SHOWN":
            result["shown_ms"] = now
        elif word == "READY":
            result["ready_ms"] = now
        elif word == "RSS":
            result["rss_mb"] = float(rest[0])
        elif word == "FAILED":
            raise RuntimeError(line)
    proc.wait(timeout=60)
    return result


def measure(runs: int) -> dict[str, dict[str, float]]:
    out: dict[str, list[dict[str, float]]] = {"bare": [], "levqor": []}
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        run_once(LEVQOR, home)  # first start creates the database: not what we time
        for _ in range(runs):  # interleave so drift hits both alike
            out["bare"].append(run_once(BARE, home))
            out["levqor"].append(run_once(LEVQOR, home))
    summary: dict[str, dict[str, float]] = {}
    for name, rows in out.items():
        summary[name] = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
    summary["ratio"] = {
        "shown": summary["levqor"]["shown_ms"] / summary["bare"]["shown_ms"],
        "rss": summary["levqor"]["rss_mb"] / summary["bare"]["rss_mb"],
    }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = measure(args.runs)
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    bare, lev = summary["bare"], summary["levqor"]
    print(f"runs: {args.runs} each, medians, offscreen")
    print(f"bare QMainWindow: shown {bare['shown_ms']:.0f} ms, idle RSS {bare['rss_mb']:.0f} MB")
    print(
        f"Levqor Desktop:   shown {lev['shown_ms']:.0f} ms, App ready {lev['ready_ms']:.0f} ms, "
        f"idle RSS {lev['rss_mb']:.0f} MB"
    )
    print(
        f"ratio (Levqor / bare): shown {summary['ratio']['shown']:.2f}x (target < 1.5x), "
        f"RSS {summary['ratio']['rss']:.2f}x"
    )


if __name__ == "__main__":
    main()
