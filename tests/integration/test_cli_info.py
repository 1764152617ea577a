"""``levqor --version``, ``info`` and ``db``: the facts an operator asks first, and errors
as one line with the right exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop import __version__
from levqor_desktop.cli.main import main
from levqor_desktop.core.schema import head_revisions


@pytest.fixture
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(tmp_path / "home"))
    for var in ("DATABASE_URL", "PG_ENABLED", "NEW_QUEUE_ENABLED", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path / "home"


def test_version(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"levqor {__version__}"


def test_db_current_then_upgrade_then_info_json(cli_home: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["db", "current", "--json"]) == 0
    current = json.loads(capsys.readouterr().out)
    assert current["current"] == []
    assert current["at_head"] is False
    assert main(["db", "upgrade"]) == 0
    assert "upgraded (empty) ->" in capsys.readouterr().out
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["database"]["backend"] == "sqlite"
    assert info["database"]["reachable"] is True
    assert info["schema_revisions"] == list(head_revisions())
    assert info["schema_at_head"] is True
    assert (info["organizations"], info["users"]) == (1, 1)
    assert info["data_dir"] == str(cli_home / "data")
    assert info["queue"]["backend"] == "local"


def test_bad_database_url_is_one_line(cli_home: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", "mysql://x/y")
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("levqor: error: invalid settings: database_url (DATABASE_URL)")
    assert err.count("\n") == 1


def test_unreachable_server_is_one_line_and_sqlite_untouched(
    cli_home: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    assert main(["db", "upgrade"]) == 0
    sqlite = cli_home / "data" / "levqor.db"
    before = sqlite.read_bytes()
    capsys.readouterr()
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:s3cret@127.0.0.1:9/levqor")
    monkeypatch.setenv("PG_ENABLED", "true")
    assert main(["info", "--json"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("levqor: error: cannot reach the database: PostgreSQL at 127.0.0.1:9")
    assert "s3cret" not in err
    assert sqlite.read_bytes() == before


def test_usage_error_exits_2(cli_home: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as done:
        main(["no-such-command"])
    assert done.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.postgres
def test_info_on_postgresql(cli_home: Path, pg_url: str, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("PG_ENABLED", "true")
    assert main(["db", "upgrade", "--json"]) == 0
    capsys.readouterr()
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["database"]["backend"] == "postgresql"
    assert info["schema_at_head"] is True
