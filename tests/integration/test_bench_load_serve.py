"""``bench/load_serve.py --smoke`` still runs: both servers, the generator, the report.

The benchmark itself is never a test (its figures depend on the machine); this only
keeps it from rotting: every kind of request answers as the plan expects on both the
bare Starlette app and ``levqor serve``, and the report carries the ratios.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_load_bench_smoke_run_answers_every_request() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_serve.py"), "--smoke", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    sqlite = out["settings"]["sqlite"]
    for server in ("baseline", "levqor"):
        (run,) = sqlite["rounds"][server]
        # Each route answered its expected status in the warm-up (or the run fails);
        # under load, not one request failed.
        assert run["errors"] == 0, (server, run["error_kinds"])
        assert set(run["kinds"]) == {"health", "metrics", "read", "write"}
        assert run["ok"] > 0
        assert run["rss_after_mb"] > 0 and run["server_cpu_share"] > 0
    summary = sqlite["summary"]
    assert summary["ratio"]["per_s"] > 0
    assert summary["errors_total"] == {"baseline": 0, "levqor": 0}
