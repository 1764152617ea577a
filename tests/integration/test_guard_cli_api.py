"""The production guard from the command line and the ops API, with the audit trail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from levqor_desktop.app import App, build_app
from levqor_desktop.cli.main import main
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.opsapi import create_ops_app
from levqor_desktop.core.tenancy import DEFAULT_OPERATOR_NAME
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.test_jobs_cli import FAILING, _file

PROD = "acme-prod"


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    monkeypatch.setenv("LEVQOR_METRICS_PORT", "0")
    for var in ("DATABASE_URL", "REDIS_URL", "NEW_QUEUE_ENABLED", "PG_ENABLED", "LEVQOR_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def prod_cli(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A production profile on its own SQLite file (no password: no keyring needed)."""
    db = cli_home / "prod.db"
    args = ["profiles", "add", PROD, "--database-url", f"sqlite:///{db}", "--env", "production"]
    assert main(args) == 0
    capsys.readouterr()
    return db


def _audit(capsys: pytest.CaptureFixture[str], *profile: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert main([*profile, "audit", "list", "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_profiles_cli_lists_and_marks_the_active_one(
    prod_cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--profile", PROD, "profiles", "list", "--json"]) == 0
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["local"]["active"] is False and listed[PROD]["active"] is True
    assert listed[PROD]["environment"] == "production" and listed[PROD]["colour"] == "#c62828"
    assert main(["profiles", "show", PROD]) == 0
    assert "production" in capsys.readouterr().out
    assert main(["--profile", "nope", "jobs", "list"]) == 1
    assert "no deployment profile named 'nope'" in capsys.readouterr().err


def test_cli_refuses_on_production_without_yes_and_the_name(
    prod_cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_prod = ["--profile", PROD]
    flag = ["flags", "set", "BUILDER_ENABLED", "on"]
    assert main([*on_prod, *flag]) == 1
    err = capsys.readouterr().err
    assert "refused: flags.set on BUILDER_ENABLED -> on" in err
    assert f"add --yes --confirm {PROD}" in err
    assert main([*on_prod, *flag, "--confirm", PROD]) == 1  # the name without --yes
    assert main([*on_prod, *flag, "--yes", "--confirm", "acme"]) == 1
    assert "'acme' does not match" in capsys.readouterr().err
    assert main([*on_prod, *flag, "--yes", "--confirm", PROD]) == 0
    rows = _audit(capsys, *on_prod)
    assert [r["outcome"] for r in rows] == ["confirmed", "refused", "refused", "refused"]
    assert {(r["action"], r["profile"], r["environment"], r["source"]) for r in rows} == {
        ("flags.set", PROD, "production", "cli")
    }
    assert rows[0]["actor_name"] == DEFAULT_OPERATOR_NAME


def test_bulk_retry_shows_the_preview_and_profile_picks_the_database(
    prod_cli: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_prod = ["--profile", PROD]
    assert main([*on_prod, "run", _file(tmp_path, FAILING)]) == 1
    assert prod_cli.exists()
    capsys.readouterr()
    assert main(["jobs", "list", "--json"]) == 0  # the local profile has its own database
    assert json.loads(capsys.readouterr().out)["total"] == 0
    assert main([*on_prod, "jobs", "retry", "--state", "failed"]) == 1
    err = capsys.readouterr().err
    assert "would change 1:\n  #1 failing (failed)" in err and "1 affected" in err
    assert main([*on_prod, "jobs", "retry", "--state", "failed", "--yes", "--confirm", PROD]) == 0
    assert "retry: 1 job(s)" in capsys.readouterr().out
    done = _audit(capsys, *on_prod)[0]
    assert (done["action"], done["target"], done["count"]) == (
        "jobs.bulk_retry",
        "states=failed",
        1,
    )
    assert done["details"]["preview"] == ["#1 failing (failed)"]  # type: ignore[index]


def test_cli_on_local_needs_no_name_and_is_audited(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["flags", "set", "BUILDER_ENABLED", "on"]) == 0
    assert main(["limits", "set", "job_runs", "100", "--period", "day"]) == 0
    rows = _audit(capsys)
    assert [(r["action"], r["outcome"], r["profile"]) for r in rows] == [
        ("limits.set", "confirmed", "local"),
        ("flags.set", "confirmed", "local"),
    ]


@pytest.fixture
def prod_app(home: Path) -> Iterator[App]:
    keyring = MemoryKeyring()
    settings = make_settings(home, LEVQOR_METRICS_PORT="0")
    with build_app(settings, secret_backend=keyring) as local:
        local.profiles.add(PROD, database_url=f"sqlite:///{home}/prod.db", environment="production")
    app = build_app(settings, profile=PROD, secret_backend=keyring).start()
    try:
        yield app
    finally:
        app.close()


def test_api_refuses_a_change_on_production_without_the_header(prod_app: App) -> None:
    assert prod_app.actor is not None
    key = prod_app.api_keys.create(prod_app.actor, name="ops").key
    url, body = "/api/v1/ops/flags/BUILDER_ENABLED", {"value": True}
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_ops_app(prod_app), raise_server_exceptions=False) as client:
        refused = client.put(url, headers=headers, json=body)
        assert refused.status_code == 428
        assert refused.json()["field"] == "X-Levqor-Confirm"
        assert refused.json()["hint"] == f"send the header X-Levqor-Confirm: {PROD}"
        wrong = client.put(url, headers={**headers, "X-Levqor-Confirm": "prod"}, json=body)
        assert wrong.status_code == 428
        assert not prod_app.flags.enabled(FlagName.BUILDER_ENABLED)
        done = client.put(url, headers={**headers, "X-Levqor-Confirm": PROD}, json=body)
        assert done.status_code == 200, done.text
    assert prod_app.flags.enabled(FlagName.BUILDER_ENABLED)
    rows = prod_app.guard.history()
    assert [(r.outcome, r.source) for r in rows] == [("confirmed", "api")] + [
        ("refused", "api")
    ] * 2
    assert rows[0].actor_name.startswith(f"{prod_app.actor.display_name} (key ")


def test_safe_flag_changes_are_guarded_on_production(
    prod_cli: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_prod = ["--profile", PROD]
    changes = [
        ["flags", "request", "BUILDER_ENABLED", "on"],
        ["flags", "schedule", "BUILDER_ENABLED", "off", "--at", "+1h"],
        ["flags", "rollout", "BUILDER_ENABLED", "--percent", "10"],
    ]
    for change in changes:
        assert main([*on_prod, *change]) == 1, change
        assert f"add --yes --confirm {PROD}" in capsys.readouterr().err
    capsys.readouterr()
    assert main([*on_prod, "flags", "scheduled", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing was scheduled
    for change in changes:
        assert main([*on_prod, *change, "--yes", "--confirm", PROD]) == 0, change
    rows = _audit(capsys, *on_prod)
    outcomes = {(r["action"], r["outcome"]) for r in rows}
    for action in ("flags.request", "flags.schedule", "flags.rollout"):
        assert (action, "refused") in outcomes and (action, "confirmed") in outcomes
