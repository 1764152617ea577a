"""``levqor flags request|approve|reject|requests|schedule|scheduled|cancel|rollout|restore``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from levqor_desktop.cli.main import main
from levqor_desktop.core.flags.schedules import parse_when
from levqor_desktop.errors import ValidationError

FLAG_VARS = (
    "PG_ENABLED",
    "NEW_QUEUE_ENABLED",
    "BUILDER_ENABLED",
    "MULTI_TENANT_ENABLED",
    "CONNECTORS_V2_ENABLED",
    "ADVANCED_METRICS_ENABLED",
    "CANARY_MODE",
    "DATABASE_URL",
)


@pytest.fixture(autouse=True)
def _home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in FLAG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_request_is_approved_by_the_second_admin_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "flags", "request", "CANARY_MODE", "on", "--reason", "watch")
    assert code == 0 and "applied directly: no second admin needed" in out
    assert run(capsys, "flags", "set", "MULTI_TENANT_ENABLED", "on", "--reason", "teams")[0] == 0
    code, _, err = run(capsys, "members", "add", "bea@example.com", "Bea", "--role", "admin")
    assert code == 0, err

    code, _, err = run(capsys, "flags", "set", "PG_ENABLED", "on", "--reason", "pg")
    assert code == 1 and "needs a second admin's approval" in err
    code, out, _ = run(capsys, "flags", "request", "PG_ENABLED", "on", "--reason", "pg", "--json")
    request = json.loads(out)["request"]
    assert request["status"] == "proposed"
    rid = str(request["id"])
    code, out, _ = run(capsys, "flags", "requests")
    assert f"#{rid}" in out and "proposed" in out

    code, _, err = run(capsys, "flags", "approve", rid)
    assert code == 1 and "a second admin must approve it" in err
    code, out, err = run(capsys, "--as", "bea@example.com", "flags", "approve", rid, "--note", "ok")
    assert code == 0 and f"#{rid} PG_ENABLED → on: applied" in out, err
    code, out, _ = run(capsys, "flags", "list", "--json")
    flags = {f["name"]: f for f in json.loads(out)["flags"]}
    assert flags["PG_ENABLED"]["enabled"] is True
    code, out, _ = run(capsys, "flags", "requests", "--all", "--json")
    assert [(r["status"], r["decider"]) for r in json.loads(out)] == [("applied", "Bea")]

    code, _, err = run(capsys, "--as", "bea@example.com", "flags", "reject", rid)
    assert code == 1 and "is applied: only a proposed request can be rejected" in err


def test_schedule_list_cancel_and_bad_times(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flags", "schedule", "BUILDER_ENABLED", "on", "--at", "+2h")
    assert code == 0 and out.startswith("flip #1: BUILDER_ENABLED → on at ")
    code, out, _ = run(capsys, "flags", "scheduled", "--json")
    [flip] = json.loads(out)
    assert (flip["id"], flip["status"], flip["value"]) == (1, "pending", True)
    code, out, _ = run(capsys, "flags", "cancel", "1")
    assert code == 0 and "(canceled)" in out
    code, _, err = run(capsys, "flags", "cancel", "1")
    assert code == 1 and "only a pending flip can be canceled" in err
    code, _, err = run(capsys, "flags", "schedule", "BUILDER_ENABLED", "on", "--at", "soon")
    assert code == 1 and "is not a time" in err
    code, _, err = run(capsys, "flags", "cancel", "99")
    assert code == 1 and "no scheduled flip #99" in err
    code, out, _ = run(capsys, "flags", "scheduled")
    assert "#1" not in out


def test_rollout_show_set_clear_and_restore(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "flags", "rollout", "BUILDER_ENABLED")
    assert code == 0 and "has no rollout" in out
    code, out, _ = run(
        capsys, "flags", "rollout", "BUILDER_ENABLED", "--orgs", "default", "--percent", "12.5"
    )
    assert code == 0 and "on for 12.5% of orgs + organizations 1" in out
    code, _, err = run(capsys, "flags", "rollout", "PG_ENABLED", "--percent", "5")
    assert code == 1 and "cannot be rolled out" in err
    assert "rollout removed" in run(capsys, "flags", "rollout", "BUILDER_ENABLED", "--clear")[1]

    run(capsys, "flags", "set", "BUILDER_ENABLED", "on")
    run(capsys, "flags", "set", "BUILDER_ENABLED", "off")
    code, out, _ = run(capsys, "flags", "history", "--flag", "BUILDER_ENABLED", "--json")
    first_on = next(e["id"] for e in json.loads(out) if e["new"] is True)
    code, out, _ = run(capsys, "flags", "restore", str(first_on))
    assert code == 0 and "off -> on (applied directly" in out
    code, _, err = run(capsys, "flags", "restore", "999")
    assert code == 1 and "no flag change #999" in err


def test_parse_when() -> None:
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
    assert parse_when("+30m", now) == now + dt.timedelta(minutes=30)
    assert parse_when("2h", now) == now + dt.timedelta(hours=2)
    assert parse_when("2026-12-24T18:00Z", now) == dt.datetime(2026, 12, 24, 18, tzinfo=dt.UTC)
    assert parse_when("2026-12-24T18:00", now).tzinfo is dt.UTC
    with pytest.raises(ValidationError, match="is not a time"):
        parse_when("tomorrow", now)
