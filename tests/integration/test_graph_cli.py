"""`levqor run --test` on graphs (steps in run order with states and durations) and
`levqor jobs retry --from-step`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from levqor_desktop.cli.main import main
from levqor_desktop.resources import resource_path
from tests.integration.test_jobs_cli import _file, cli_home  # noqa: F401 (a fixture)
from tests.integration.test_jobs_graph import FAILING_BRANCH


def test_a_test_run_prints_the_graph_in_run_order_with_states_and_durations(
    cli_home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = resource_path("examples/parallel-fan-out-demo.json")
    assert main(["run", str(example), "--test", "-i", "work_s=0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = [re.match(r"  (\w+) \[([\w.]+)\]: (\w+)  \((\d+) ms\)", line) for line in lines[:-1]]
    assert all(shown), lines
    order = [m.group(1) for m in shown if m]
    assert order == [
        "load", "by_team", "hours", "urgent", "work_a", "work_b", "work_c", "page", "page_log",
        "report",
    ]  # fmt: skip
    states = {m.group(1): m.group(3) for m in shown if m}
    assert states["page"] == states["page_log"] == "skipped"
    assert lines[order.index("page_log")].endswith("every step it needs was skipped")
    assert lines[-1] == "test run of parallel-fan-out-demo: succeeded"

    assert main(["run", _file(tmp_path, FAILING_BRANCH), "--test", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(s["step"], s["status"]) for s in report["steps"]] == [
        ("root", "succeeded"), ("boom", "failed"), ("after_boom", "skipped"),
        ("other", "succeeded"), ("other_next", "succeeded"),
    ]  # fmt: skip
    assert report["steps"][2]["detail"] == "upstream failed: step boom failed"
    assert report["steps"][4]["needs"] == ["other"]
    assert "duration_s" in report["steps"][3] and "duration_s" not in report["steps"][2]


def test_jobs_retry_from_step_copies_what_is_not_downstream(
    cli_home: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", _file(tmp_path, FAILING_BRANCH)]) == 1
    first = capsys.readouterr().out
    job_id = int(re.search(r"job (\d+) failed", first).group(1))  # type: ignore[union-attr]
    assert main(["jobs", "retry", str(job_id), "--from-step", "boom", "--json"]) == 0
    [new] = json.loads(capsys.readouterr().out)
    assert new["parent_job_id"] == job_id
    assert {s["step_id"] for s in new["steps"]} == {"root", "other", "other_next"}
    assert main(["jobs", "retry", str(job_id), "--from-step", "after_boom"]) == 1
    assert "step after_boom needs step boom, which did not succeed" in capsys.readouterr().err
