"""The one-folder bundle against the installed app: size, and the same commands timed.

Baseline, measured in the same run: the installed app (the ``levqor`` and
``levqor-desktop`` entry points of the virtual environment this script runs in). Rounds
alternate installed / bundle so that machine load hits both alike; each round starts in
a fresh ``LEVQOR_HOME`` and a working folder outside the source tree:

- ``levqor --version``
- ``levqor run offline-transform-demo.json --test`` (creates the database: schema upgrade)
- ``levqor run offline-transform-demo.json`` (as a job on the local pool)
- ``levqor-desktop --screenshots DIR`` offscreen: until the first PNG is written (the App
  is ready and the first panel has settled) and until the tour ends (every panel)

Medians of the rounds; ratios are bundle / installed.

    python bench/bundle.py [--bundle dist/levqor-desktop] [--before DIR] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "offline-transform-demo.json"
POLL_S = 0.01


def folder_size(path: Path) -> tuple[int, int]:
    """Bytes and files under ``path`` (symlinks counted once, as links)."""
    total = files = 0
    for entry in path.rglob("*"):
        if entry.is_symlink() or not entry.is_file():
            continue
        total += entry.stat().st_size
        files += 1
    return total, files


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def window_times(program: str, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Seconds until the first screenshot exists, and until the tour has ended."""
    shots = cwd / "shots"
    start = time.perf_counter()
    proc = subprocess.Popen(
        [program, "--screenshots", str(shots)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first = None
    while proc.poll() is None:
        if first is None and any(shots.glob("*.png")):
            first = time.perf_counter() - start
        time.sleep(POLL_S)
    total = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{program} --screenshots exited {proc.returncode}")
    return (first if first is not None else total), total


def one_round(bin_dir: Path, env_base: dict[str, str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="levqor-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(EXAMPLE, work / EXAMPLE.name)
        env = dict(env_base, LEVQOR_HOME=str(work / "home"), QT_QPA_PLATFORM="offscreen")
        levqor = str(bin_dir / "levqor")
        out = {
            "version": timed([levqor, "--version"], env, work),
            "test_run": timed([levqor, "run", EXAMPLE.name, "--test"], env, work),
            "job_run": timed([levqor, "run", EXAMPLE.name, "--timeout", "120"], env, work),
        }
        out["window_first_png"], out["window_tour"] = window_times(
            str(bin_dir / "levqor-desktop"), env, work
        )
        return out


MEASURES: dict[str, str] = {
    "version": "`levqor --version`",
    "test_run": "`levqor run` example, `--test` (fresh database)",
    "job_run": "`levqor run` example, as a job",
    "window_first_png": "window: first screenshot written",
    "window_tour": "window: whole screenshot tour",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "levqor-desktop")
    parser.add_argument("--before", type=Path, help="an unslimmed bundle, for its size")
    parser.add_argument("--installed", type=Path, default=Path(sys.executable).parent)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    installed_env = dict(os.environ)
    bundle_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    runs: dict[str, list[dict[str, float]]] = {"installed": [], "bundle": []}
    variants: list[tuple[str, Callable[[], dict[str, float]]]] = [
        ("installed", lambda: one_round(args.installed, installed_env)),
        ("bundle", lambda: one_round(args.bundle, bundle_env)),
    ]
    for _ in range(args.rounds):
        for name, run in variants:
            runs[name].append(run())

    size, files = folder_size(args.bundle)
    result: dict[str, object] = {"bundle_bytes": size, "bundle_files": files}
    if args.before is not None:
        result["before_bytes"], result["before_files"] = folder_size(args.before)
    medians = {
        name: {k: statistics.median(r[k] for r in rounds) for k in MEASURES}
        for name, rounds in runs.items()
    }
    result["medians_s"] = medians
    result["load_avg"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if args.before is not None:
        before = int(str(result["before_bytes"]))
        print(f"bundle: {size / 1e6:.0f} MB in {files} files (before: {before / 1e6:.0f} MB)")
    else:
        print(f"bundle: {size / 1e6:.0f} MB in {files} files")
    print(f"load average: {result['load_avg']:.2f}, {args.rounds} rounds, medians")
    print("| measure | installed (baseline) | bundle | ratio |")
    print("|---|---:|---:|---:|")
    for key, label in MEASURES.items():
        a, b = medians["installed"][key], medians["bundle"][key]
        print(f"| {label} | {a * 1000:,.0f} ms | {b * 1000:,.0f} ms | {b / a:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
