"""``levqor connectors``: secrets from stdin only, list, accounts, remove; errors as one line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from levqor_desktop.cli.main import main


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The opt-in encrypted file keyring: a real keyring backend with no D-Bus needed.
    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEVQOR_KEYRING", "file")
    monkeypatch.setenv("LEVQOR_KEYRING_PASSWORD", "test-keyring-password")
    for var in ("DATABASE_URL", "PG_ENABLED", "CONNECTORS_V2_ENABLED"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "home"


def test_set_from_stdin_then_list_and_remove(cli_env: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO("bot_token=xoxb-42-secretvalue\n"))
    assert main(["connectors", "set", "slack", "team-a"]) == 0
    assert "secrets in the keyring: bot_token" in capsys.readouterr().out
    assert main(["connectors", "accounts", "--json"]) == 0
    accounts = json.loads(capsys.readouterr().out)
    assert [(a["connector"], a["label"], a["secret_fields"]) for a in accounts] == [
        ("slack", "team-a", ["bot_token"])
    ]
    assert main(["connectors", "list", "--json"]) == 0
    board = {c["name"]: c for c in json.loads(capsys.readouterr().out)}
    assert {"slack", "email", "ai"} <= set(board)
    assert [a["label"] for a in board["slack"]["accounts"]] == ["team-a"]
    for path in cli_env.rglob("*"):
        if path.is_file():
            assert b"xoxb-42-secretvalue" not in path.read_bytes(), path
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["connectors", "remove", "slack", "team-a", "--yes"]) == 0
    capsys.readouterr()
    assert main(["connectors", "accounts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_secret_on_the_command_line_is_refused(cli_env: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["connectors", "set", "slack", "x", "--field", "bot_token=xoxb-1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("levqor: error: bot_token is a secret")
    assert err.count("\n") == 1


def test_unknown_connector_and_bad_stdin(cli_env: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["connectors", "check", "myspace"]) == 1
    assert "no connector named 'myspace'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("password: hunter2\n"))
    assert main(["connectors", "set", "slack", "x"]) == 1
    err = capsys.readouterr().err
    assert "standard input line 1: expected NAME=VALUE" in err
    assert "hunter2" not in err
