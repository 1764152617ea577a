"""CLI start-up benchmark: wall time of ``levqor --version``, ``--help``, ``flags list`` and
``jobs list``, from spawning the process to its exit.

Baselines, measured in the same run: ``python -c pass`` (the interpreter alone) and
``python -c "import levqor_desktop"`` (the package, nothing else). Each command runs as
``python -m levqor_desktop.cli.main`` with ``PYTHONPATH`` set to a source tree: this one,
and with ``--before TREE`` also another checkout (e.g. ``git archive main | tar -x -C
/tmp/before``) for a before/after in the same run. Every round gives each tree a fresh
``LEVQOR_HOME`` (SQLite; schema upgraded before timing, so ``flags list`` and ``jobs list``
time a normal invocation, not the first one); rounds alternate the order of the variants;
the table gives medians.

    python bench/cli_startup.py [--rounds 7] [--before /tmp/before] [--json]
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

HERE = Path(__file__).resolve().parent.parent
COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--version",),
    ("--help",),
    ("flags", "list"),
    ("jobs", "list"),
)
BASELINES: dict[str, tuple[str, ...]] = {
    "python -c pass": ("-c", "pass"),
    'python -c "import levqor_desktop"': ("-c", "import levqor_desktop"),
}


def _env(tree: Path, home: Path) -> dict[str, str]:
    # A clean environment: no flags, profile or database of the caller's shell.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVQOR_")}
    for name in ("DATABASE_URL", "PG_ENABLED", "NEW_QUEUE_ENABLED", "CANARY_MODE"):
        env.pop(name, None)
    env["PYTHONPATH"] = str(tree)
    env["LEVQOR_HOME"] = str(home)
    return env


def _timed(args: tuple[str, ...], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed * 1000


def run(rounds: int, trees: dict[str, Path]) -> dict[str, dict[str, float]]:
    samples: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="levqor-cli-bench-") as tmp:
        work = Path(tmp)
        for n in range(rounds):
            homes = {label: work / f"home-{label}-{n}" for label in trees}
            for label, tree in trees.items():
                env = _env(tree, homes[label])
                _timed(("-m", "levqor_desktop.cli.main", "db", "upgrade"), env, work)
            variants: list[tuple[str, str, tuple[str, ...], dict[str, str]]] = []
            for name, args in BASELINES.items():
                variants.append((name, "baseline", args, _env(HERE, work / "unused")))
            for command in COMMANDS:
                for label, tree in trees.items():
                    args = ("-m", "levqor_desktop.cli.main", *command)
                    variants.append(
                        ("levqor " + " ".join(command), label, args, _env(tree, homes[label]))
                    )
            if n % 2:
                variants.reverse()
            for name, label, args, env in variants:
                ms = _timed(args, env, work)
                samples.setdefault(name, {}).setdefault(label, []).append(ms)
    return {
        name: {label: statistics.median(v) for label, v in by_label.items()}
        for name, by_label in samples.items()
    }


def table(medians: dict[str, dict[str, float]], labels: list[str]) -> str:
    head = "| measure | " + " | ".join(labels)
    rule = "|---|" + "---:|" * len(labels)
    if "before" in labels:
        head += " | after / before"
        rule += "---:|"
    lines = [head + " |", rule]
    for name, by_label in medians.items():
        cells = [f"{by_label[label]:,.0f} ms" if label in by_label else "" for label in labels]
        row = f"| `{name}` | " + " | ".join(cells)
        if "before" in labels:
            ratio = f"{by_label['after'] / by_label['before']:.2f}x" if "before" in by_label else ""
            row += f" | {ratio}"
        lines.append(row + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--before", type=Path, help="another source tree to time alongside")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    trees: dict[str, Path] = {}
    if args.before:
        if not (args.before / "levqor_desktop" / "cli" / "main.py").is_file():
            parser.error(f"--before {args.before}: not a Levqor source tree")
        trees["before"] = args.before.resolve()
    trees["after"] = HERE
    medians = run(args.rounds, trees)
    if args.json:
        print(json.dumps(medians, indent=2))
    else:
        print(f"load average {os.getloadavg()[0]:.1f}, {args.rounds} rounds")
        print(table(medians, ["baseline", *trees]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
