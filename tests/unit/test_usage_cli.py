"""``levqor usage|limits|prices|orgs|members`` and ``--as``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop.cli.main import main


@pytest.fixture
def levqor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MULTI_TENANT_ENABLED", "1")
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_limits_set_list_and_usage_json(levqor) -> None:
    assert levqor("limits", "set", "cost_usd", "25.50")[0] == 0
    assert levqor("limits", "set", "connector_calls", "100", "--period", "day", "--soft")[0] == 0
    code, out, _ = levqor("limits", "list", "--json")
    rows = json.loads(out)
    assert {(r["metric"], r["value"], r["enforcement"]) for r in rows} == {
        ("cost_usd", 25_500_000, "hard"),
        ("connector_calls", 100, "soft"),
    }
    code, out, _ = levqor("usage", "--period", "day", "--json")
    data = json.loads(out)
    assert data["org"]["slug"] == "default"
    assert data["totals"]["connector_calls"] == 0
    assert levqor("limits", "unset", "cost_usd")[0] == 0
    code, _, err = levqor("limits", "unset", "cost_usd")
    assert code == 1
    assert "there is no limit on cost_usd per month" in err


def test_prices_set_and_list(levqor) -> None:
    code, out, _ = levqor("prices", "set", "gpt-4o-mini", "0.15", "$0.60")
    assert code == 0
    assert "$0.15 per million prompt tokens, $0.60 per million completion" in out
    code, out, _ = levqor("prices", "list", "--json")
    assert json.loads(out)[0]["completion_per_million"] == 600_000
    code, _, err = levqor("prices", "set", "m", "cheap", "1")
    assert (code, err.strip()) == (
        1,
        "levqor: error: the prompt price 'cheap' is not a dollar amount",
    )


def test_orgs_members_and_acting_as_another_user(levqor) -> None:
    assert levqor("orgs", "create", "acme", "Acme")[0] == 0
    assert (
        levqor("members", "add", "--org", "acme", "ann@example.com", "Ann", "--role", "viewer")[0]
        == 0
    )
    code, out, _ = levqor("--as", "ann@example.com", "orgs", "list", "--json")
    assert [(o["slug"], o["role"]) for o in json.loads(out)] == [("acme", "viewer")]
    code, _, err = levqor("--as", "ann@example.com", "limits", "set", "job_runs", "5")
    assert code == 1
    assert "Ann (viewer) may not manage limits: it needs the admin role" in err
    assert levqor("members", "role", "--org", "acme", "ann@example.com", "admin")[0] == 0
    assert levqor("--as", "ann@example.com", "limits", "set", "job_runs", "5")[0] == 0
    code, out, _ = levqor("--as", "ann@example.com", "usage", "--json")
    assert json.loads(out)["limits"][0]["scope_name"] == "Acme"
    assert levqor("orgs", "rename", "acme", "Acme Inc")[0] == 0
    code, out, _ = levqor("members", "list", "--org", "acme", "--json")
    assert sorted(m["display_name"] for m in json.loads(out)) == ["Ann", "Operator"]
    assert levqor("members", "remove", "--org", "acme", "ann@example.com")[0] == 0
    code, _, err = levqor("--as", "ann@example.com", "usage")
    assert code == 1
    assert "Ann is not a member of any organization" in err


def test_the_flag_off_refuses_org_creation(levqor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MULTI_TENANT_ENABLED", "0")
    code, _, err = levqor("orgs", "create", "acme", "Acme")
    assert code == 1
    assert "MULTI_TENANT_ENABLED is off" in err


def test_usage_table_override_and_viewer_refusal(levqor) -> None:
    assert levqor("limits", "set", "connector_calls", "10", "--period", "day")[0] == 0
    code, out, _ = levqor("usage", "--period", "day")
    assert code == 0
    assert "Usage of 'Default organization' today" in out
    assert "0 of 10" in out
    code, out, _ = levqor("limits", "override", "42", "--reason", "quarter-end close")
    assert code == 0
    assert "job 42 may run past the hard limits" in out
    assert levqor("members", "add", "vic@example.com", "Vic", "--role", "viewer")[0] == 0
    code, _, err = levqor(
        "--as", "vic@example.com", "limits", "override", "43", "--reason", "x y z"
    )
    assert code == 1
    assert "Vic (viewer) may not override limits: it needs the admin role" in err
