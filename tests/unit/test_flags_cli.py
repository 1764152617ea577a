"""``levqor flags ...`` and ``levqor metrics`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from levqor_desktop.cli.main import main


@pytest.fixture(autouse=True)
def _home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in (
        "PG_ENABLED",
        "NEW_QUEUE_ENABLED",
        "BUILDER_ENABLED",
        "MULTI_TENANT_ENABLED",
        "CONNECTORS_V2_ENABLED",
        "ADVANCED_METRICS_ENABLED",
        "CANARY_MODE",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_set_list_history_undo(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flags", "set", "builder_enabled", "on")
    assert code == 0 and "#1 BUILDER_ENABLED: unset -> on (now on, from file)" in out
    code, out, _ = run(capsys, "flags", "set", "BUILDER_ENABLED", "on")
    assert "already on: nothing changed" in out
    code, out, _ = run(capsys, "flags", "list", "--json")
    data = json.loads(out)
    builder = next(f for f in data["flags"] if f["name"] == "BUILDER_ENABLED")
    assert builder["enabled"] and builder["source"] == "file"
    assert builder["last_change"]["id"] == 1
    code, out, _ = run(capsys, "flags", "list")
    assert "BUILDER_ENABLED" in out and "#1" in out
    code, out, _ = run(capsys, "flags", "undo", "1")
    assert code == 0 and "#2 BUILDER_ENABLED: on -> unset (now off, from default)" in out
    code, out, _ = run(capsys, "flags", "history", "--json")
    history = json.loads(out)
    assert [h["id"] for h in history] == [2, 1]
    assert history[1]["undone_by"] == 2 and history[0]["reason"] == "undo of #1"


def test_risky_flag_without_reason_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "flags", "set", "PG_ENABLED", "on")
    assert code == 1
    assert err.strip() == (
        "levqor: error: PG_ENABLED is a risky flag: give a reason for the change (--reason)"
    )
    code, out, _ = run(capsys, "flags", "set", "PG_ENABLED", "on", "--reason", "migrated")
    assert code == 0 and "PG_ENABLED" in out
    code, out, _ = run(capsys, "flags", "unset", "PG_ENABLED", "--reason", "back")
    assert code == 0 and "on -> unset" in out


def test_bad_value_and_unknown_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "flags", "set", "CANARY_MODE", "maybe")
    assert code == 1 and "'maybe' is not on/off" in err
    code, _, err = run(capsys, "flags", "set", "NOPE", "on")
    assert code == 1 and "unknown flag 'NOPE'" in err


def test_environment_lock_shown_and_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANARY_MODE", "true")
    code, out, _ = run(capsys, "flags", "list")
    assert "environment (CANARY_MODE, locked)" in out
    code, _, err = run(capsys, "flags", "set", "CANARY_MODE", "off", "--reason", "quiet")
    assert code == 1 and "forced by the environment variable CANARY_MODE" in err


def test_broken_file_listed_with_error_then_reset(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    flags_file = home / "config" / "flags.json"
    flags_file.parent.mkdir(parents=True)
    flags_file.write_text("{oops")
    code, out, _ = run(capsys, "flags", "list")
    assert code == 0 and f"error: {flags_file} is not valid JSON" in out
    code, _, err = run(capsys, "flags", "set", "CANARY_MODE", "on", "--reason", "watch")
    assert code == 1 and "fix the file or reset the flags first" in err
    assert flags_file.read_text() == "{oops"
    code, out, _ = run(capsys, "flags", "reset-file")
    assert code == 0 and "flags.json.broken-1" in out
    assert (home / "config" / "flags.json.broken-1").read_text() == "{oops"
    code, _, _ = run(capsys, "flags", "set", "CANARY_MODE", "on", "--reason", "watch")
    assert code == 0


def test_levqor_metrics_prints_the_exposition(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "metrics")
    assert code == 0
    names = {f.name for f in text_string_to_metric_families(out)}
    assert {"levqor_jobs_run", "levqor_database_status", "levqor_api_version"} <= names
    assert 'levqor_database_status{backend="sqlite"} 1.0' in out
