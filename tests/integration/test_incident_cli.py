"""``levqor incident export|show`` on a seeded installation."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from connectors.redaction import hash_email
from levqor_desktop.app import build_app
from levqor_desktop.cli import context
from levqor_desktop.cli.main import main
from levqor_desktop.settings import Settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.integration.incident_support import EMAIL, SECRET, seed


@pytest.fixture
def levqor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    home = tmp_path / "home"
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    keyring = MemoryKeyring()
    # The command reads the same keyring the seeding wrote the credential to.
    monkeypatch.setattr(context, "build_app", functools.partial(build_app, secret_backend=keyring))
    with build_app(Settings.from_env({}, home=home), secret_backend=keyring) as app:
        app.start()
        seed(app)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_export_json_and_markdown_to_stdout_and_a_file(levqor, tmp_path: Path) -> None:
    code, out, _ = levqor("incident", "export", "--since", "2h", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 6 and data["window"]["label"] == "since 2h"
    target = tmp_path / "incident.md"
    code, _, err = levqor(
        "incident", "export", "--last-failure", "--format", "md", "-o", str(target)
    )
    assert code == 0 and f"wrote 6 events to {target}" in err
    text = target.read_text()
    assert text.startswith("# Incident timeline") and "the last failure" in text
    for written in (out, text):
        assert SECRET not in written and EMAIL not in written
        assert hash_email(EMAIL) in written


def test_show_lists_the_timeline_and_filters_kinds(levqor) -> None:
    code, out, _ = levqor("incident", "show", "--since", "1h")
    assert code == 0
    lines = out.splitlines()
    assert lines[2].split() == ["time", "(UTC)", "kind", "severity", "summary"]
    assert sum("failed job" in line for line in lines) == 1
    assert SECRET not in out and EMAIL not in out
    code, out, _ = levqor("incident", "show", "--since", "1h", "--kind", "migration")
    assert code == 0 and "migration" in out and "failed job" not in out
    code, out, _ = levqor("incident", "show", "--since", "1h", "--limit", "2")
    assert "(more events follow" in out


def test_bad_windows_are_refused_with_a_hint(levqor) -> None:
    code, _, err = levqor("incident", "export", "--since", "soon")
    assert code == 1 and "'soon' is neither a duration nor a time" in err
    code, _, err = levqor("incident", "show")
    assert code == 1 and "say which window" in err
    code, _, err = levqor("incident", "show", "--last-failure", "--since", "1h")
    assert code == 1 and "--last-failure picks its own window" in err
    code, _, err = levqor("incident", "show", "--since", "1h", "--until", "2h")
    assert code == 1 and "ends" in err and "before it starts" in err
