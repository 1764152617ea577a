"""`levqor run`, `levqor jobs ...` and `levqor worker --burst` on a temporary home."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.cli.main import main
from levqor_desktop.resources import resource_path
from tests.reliability.jobs_support import NOOP

FAILING = {
    "name": "failing",
    "steps": [{"id": "boom", "uses": "core.fail", "with": {"message": "no"}}],
}


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    monkeypatch.setenv("LEVQOR_METRICS_PORT", "0")
    for var in ("DATABASE_URL", "REDIS_URL", "NEW_QUEUE_ENABLED", "PG_ENABLED"):
        monkeypatch.delenv(var, raising=False)
    return home


def _file(tmp_path: Path, doc: Mapping[str, Any]) -> str:
    path = tmp_path / f"{doc['name']}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return str(path)


def test_test_run_prints_each_step_and_fails_on_a_failed_step(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = resource_path("examples/offline-transform-demo.json")
    assert main(["run", str(example), "--test"]) == 0
    out = capsys.readouterr().out
    assert "summarise [core.transform]: succeeded" in out
    assert out.rstrip().endswith("test run of offline-transform-demo: succeeded")
    assert main(["run", _file(tmp_path, FAILING), "--test"]) == 1
    assert "test run of failing: failed at step boom: no" in capsys.readouterr().out
    assert main(["jobs", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0  # test runs record nothing


def test_run_enqueues_waits_and_jobs_commands_steer(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", _file(tmp_path, NOOP), "-i", "n=41", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)
    assert (job["status"], job["steps"][0]["output"]) == ("succeeded", {"value": 41})
    assert main(["run", _file(tmp_path, FAILING)]) == 1
    assert "job 2 failed: step boom: no" in capsys.readouterr().out
    assert main(["jobs", "why", "2"]) == 0
    assert "it failed at" in capsys.readouterr().out
    assert main(["jobs", "retry", "2", "--json"]) == 0
    retried = json.loads(capsys.readouterr().out)[0]
    assert retried["parent_job_id"] == 2
    assert main(["jobs", "cancel", str(retried["id"]), "--reason", "not now"]) == 0
    capsys.readouterr()
    # A bulk action with no terminal to ask on needs --yes.
    assert main(["jobs", "delete", "--state", "failed"]) == 1
    assert "1 job(s) match; add --yes" in capsys.readouterr().err
    assert main(["jobs", "delete", "--state", "failed", "--yes"]) == 0
    assert "delete: 1 job(s)" in capsys.readouterr().out
    assert main(["jobs", "list", "--json"]) == 0
    states = sorted(j["status"] for j in json.loads(capsys.readouterr().out)["jobs"])
    assert states == ["canceled", "succeeded"]


def test_worker_burst_drains_the_local_queue(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["jobs", "pause"]) == 0
    for n in range(3):
        assert main(["run", _file(tmp_path, NOOP), "-i", f"n={n}", "--timeout", "0.2"]) == 1
    assert "is still queued after 0.2 s" in capsys.readouterr().err
    assert main(["jobs", "resume"]) == 0
    assert main(["worker", "--burst", "--concurrency", "2"]) == 0
    capsys.readouterr()
    assert main(["jobs", "depth", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["default"]["succeeded"] == 3
