"""``levqor workflows ...`` end to end on a temporary SQLite home."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from levqor_desktop.cli.main import main
from levqor_desktop.resources import resource_path

DEMO = resource_path("examples", "offline-transform-demo.json")


@pytest.fixture(autouse=True)
def levqor_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    for variable in ("DATABASE_URL", "LEVQOR_DATABASE_URL", "PG_ENABLED"):
        monkeypatch.delenv(variable, raising=False)
    return home


def test_validate_ok_and_every_fault_with_file_and_line(tmp_path: Path, capsys):
    assert main(["workflows", "validate", str(DEMO)]) == 0
    assert capsys.readouterr().out.strip().endswith("ok (offline-transform-demo, 4 steps)")

    bad = tmp_path / "bad.json"
    bad.write_text(
        '{\n  "name": "bad",\n  "steps": [\n'
        '    {"id": "a", "uses": "core.lgo"},\n'
        '    {"id": "b", "uses": "core.log", "with": {"message": "{{ steps.c.output }}"}}\n'
        "  ]\n}\n",
        encoding="utf-8",
    )
    assert main(["workflows", "validate", str(bad)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{bad}:4: $.steps[0].uses: unknown action 'core.lgo' (did you mean 'core.log'?)",
        f"{bad}:5: $.steps[1].with.message: refers to step 'c', which does not exist",
        f"{bad}: 2 faults",
    ]


def test_validate_json_and_a_syntax_error(tmp_path: Path, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"name": "x",\n "steps": [}', encoding="utf-8")
    assert main(["workflows", "validate", "--json", str(broken)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    [fault] = report["faults"]
    assert (fault["line"], fault["path"]) == (2, "$")
    assert fault["message"].startswith("invalid JSON")


def test_validate_a_missing_file_is_one_clear_line(capsys):
    assert main(["workflows", "validate", "nope.json"]) == 1
    assert capsys.readouterr().err.strip() == "levqor: error: no such file: nope.json"


def test_import_list_export_history_restore_delete(tmp_path: Path, capsys):
    assert main(["workflows", "import", str(DEMO), "--name", "demo"]) == 0
    assert capsys.readouterr().out.strip() == "demo: version 1 is current"

    edited = json.loads(DEMO.read_text(encoding="utf-8"))
    edited["inputs"]["team"]["default"] = "Data"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(edited), encoding="utf-8")
    assert main(["workflows", "import", str(changed), "--name", "demo", "--note", "team"]) == 0
    assert capsys.readouterr().out.strip() == "demo: version 2 is current"

    assert main(["workflows", "list", "--json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["current_version"]) == ("demo", 2)

    assert main(["workflows", "history", "demo"]) == 0
    out = capsys.readouterr().out
    assert "2 *" in out and "team" in out and "imported from offline-transform-demo.json" in out

    target = tmp_path / "out.json"
    assert main(["workflows", "export", "demo", "--version", "1", "-o", str(target)]) == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert exported["inputs"]["team"]["default"] == "Platform"
    assert exported["version"] == 1
    capsys.readouterr()

    assert main(["workflows", "restore", "demo", "1"]) == 0
    assert capsys.readouterr().out.strip() == "demo: version 1 restored as version 3"
    assert main(["workflows", "export", "demo"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"]["team"]["default"] == "Platform"

    assert main(["workflows", "delete", "demo"]) == 1
    assert "add --yes to confirm" in capsys.readouterr().err
    assert main(["workflows", "delete", "demo", "--yes"]) == 0
    capsys.readouterr()
    assert main(["workflows", "history", "demo"]) == 1
    assert (
        capsys.readouterr().err.strip() == "levqor: error: no workflow 'demo' in this organization"
    )


def test_import_of_an_invalid_file_prints_faults_and_stores_nothing(tmp_path: Path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x", "steps": [{"id": "a", "uses": "core.nope"}]}', encoding="utf-8")
    assert main(["workflows", "import", str(bad)]) == 1
    assert f"{bad}:1: $.steps[0].uses: unknown action 'core.nope'" in capsys.readouterr().err
    assert main(["workflows", "list"]) == 0
    assert "no workflows yet" in capsys.readouterr().out
