"""``levqor migrate --mode ...`` end to end against a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from levqor_desktop.cli.main import main

pytestmark = pytest.mark.postgres


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    for var in ("DATABASE_URL", "PG_ENABLED", "CANARY_MODE", "LEVQOR_TARGET_PASSWORD"):
        monkeypatch.delenv(var, raising=False)
    # The CLI's own App uses the keyring: an in-memory one here.
    monkeypatch.setenv("LEVQOR_KEYRING", "file")
    monkeypatch.setenv("LEVQOR_KEYRING_PASSWORD", "test-keyring-password")
    return home


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, Any]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_every_mode_from_the_command_line(
    cli_home: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, backup = _json(capsys, ["migrate", "--mode", "backup", "--json"])
    assert code == 0 and str(backup["name"]).startswith("levqor-")
    code, report = _json(capsys, ["migrate", "--mode", "preflight", "--target", pg_url, "--json"])
    assert code == 0 and report["ok"] is True and report["target_state"] == "empty"
    code, result = _json(capsys, ["migrate", "--mode", "migrate", "--target", pg_url, "--json"])
    # The copy holds one row more than the preflight saw: the guard's audit row of this
    # very migration (operator_actions), written before the copy starts.
    assert code == 0 and result["rows"] == report["total_rows"] + 1
    code, parity = _json(capsys, ["migrate", "--mode", "verify", "--target", pg_url, "--json"])
    assert code == 0 and parity["ok"] is True
    # Replacing data asks first; without a terminal it is refused without --yes.
    assert main(["migrate", "--mode", "switch", "--target", pg_url]) == 1
    assert "add --yes" in capsys.readouterr().err
    code, switched = _json(
        capsys, ["migrate", "--mode", "switch", "--target", pg_url, "--yes", "--json"]
    )
    assert code == 0 and switched["rolled_back"] is False
    # The configured target is used from now on.
    code, back = _json(capsys, ["migrate", "--mode", "rollback", "--yes", "--json"])
    assert code == 0 and back["parity"]["ok"] is True
    code, runs = _json(capsys, ["migrate", "--mode", "runs", "--json"])
    kinds = [r["kind"] for r in runs]
    # The switch's audit row changed the source after the copy, so the switch took its
    # final-sync path (verify, migrate, verify) before switching.
    assert kinds[:5] == ["rollback", "switch", "verify", "migrate", "verify"]
    code, listed = _json(capsys, ["migrate", "--mode", "backups", "--json"])
    assert len(listed) == 3  # the explicit one, before-migrate, before-rollback
    code, pruned = _json(capsys, ["migrate", "--mode", "prune", "--keep", "1", "--json"])
    assert len(pruned["removed"]) == 2


def test_bad_target_is_one_clear_line(cli_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--mode", "preflight", "--target", "postgresql://u@127.0.0.1:9/x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("levqor: error: cannot reach PostgreSQL at 127.0.0.1:9/x")
    assert "Traceback" not in err
    assert main(["migrate", "--mode", "preflight", "--target", "mysql://u@h/x"]) == 1
    assert "must be a PostgreSQL URL" in capsys.readouterr().err
