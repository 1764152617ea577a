"""``levqor`` starts cheaply: the command table matches the modules, and ``--version``,
``--help`` and a command import only what they need (behaviour, not timing; the timing is
``bench/cli_startup.py``)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from levqor_desktop import __version__
from levqor_desktop.cli.commands import COMMAND_MODULES, COMMANDS
from levqor_desktop.cli.main import build_parser, main

HEAVY = ("sqlalchemy", "httpx", "pydantic", "rq", "redis", "PySide6", "prometheus_client")
QT = ("PySide6", "shiboken6", "pyqtgraph", "levqor_desktop.ui")

# Runs ``levqor ARGV`` in a fresh interpreter and prints which watched packages it loaded.
PROBE = r"""
import contextlib, io, json, sys
watched = json.loads(sys.argv[1])
from levqor_desktop.cli.main import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        code = main(sys.argv[2:])
    except SystemExit as exc:
        code = exc.code
loaded = sorted({w for w in watched for m in sys.modules if m == w or m.startswith(w + ".")})
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": loaded}))
"""


def _probe(home: Path, watched: tuple[str, ...], *argv: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEVQOR_")}
    env["LEVQOR_HOME"] = str(home)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(watched), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def test_table_agrees_with_each_modules_parser() -> None:
    """Each module's register() adds exactly its table rows, in table order, same help."""
    registered: list[tuple[str, str, str]] = []
    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        short = module.rsplit(".", 1)[1]
        registered += [(a.dest, str(a.help), short) for a in sub._choices_actions]
    assert registered == [(c.name, c.help, c.module) for c in COMMANDS]


def test_top_level_help_is_the_same_without_the_command_modules() -> None:
    assert build_parser(load=()).format_help() == build_parser().format_help()
    assert build_parser(load=()).format_usage() == build_parser().format_usage()


@pytest.mark.parametrize(
    "argv",
    [["jobs", "list", "--help"], ["prices", "--help"], ["members", "--help"], ["info", "-h"]],
)
def test_a_commands_help_is_its_modules_help(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as lazy:
        main(argv)
    lazy_out = capsys.readouterr().out
    with pytest.raises(SystemExit) as full:
        build_parser().parse_args(argv)
    assert (lazy.value.code, lazy_out) == (full.value.code, capsys.readouterr().out)
    assert lazy.value.code == 0 and lazy_out.startswith(f"usage: levqor {argv[0]}")


def test_an_unknown_command_is_refused_naming_every_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bogus"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    choices = ", ".join(f"'{c.name}'" for c in COMMANDS)
    expected = f"argument COMMAND: invalid choice: 'bogus' (choose from {choices})"
    assert f"levqor: error: {expected}" in err


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["--profile", "staging", "-h"]])
def test_version_and_help_import_no_heavy_library(tmp_path: Path, argv: list[str]) -> None:
    result = _probe(tmp_path, HEAVY, *argv)
    assert result["code"] == 0
    assert result["loaded"] == []
    if argv == ["--version"]:
        assert result["out"] == f"levqor {__version__}\n"


def test_a_cli_command_never_loads_qt(tmp_path: Path) -> None:
    """``levqor info`` builds and starts the App (fresh SQLite home) and still loads no Qt
    and no connector's own module; SQLAlchemy, which it does need, shows the probe sees."""
    result = _probe(tmp_path, (*QT, "connectors.slack", "connectors.github", "sqlalchemy"), "info")
    assert result["code"] == 0
    assert result["loaded"] == ["sqlalchemy"]


# Built by the App on first use only (app.incidents, the rq backend and its dispatcher).
LAZY = ("rq", "redis", "levqor_desktop.core.jobs.rq_backend", "levqor_desktop.core.incidents")


@pytest.mark.parametrize("argv", [["flags", "list"], ["jobs", "list"]])
def test_a_command_on_the_local_backend_loads_neither_rq_nor_incidents(
    tmp_path: Path, argv: list[str]
) -> None:
    """The App is built and started (fresh SQLite home, local backend) and the command
    runs; SQLAlchemy, which it needs, shows the probe sees what the App loads."""
    result = _probe(tmp_path, (*LAZY, "sqlalchemy"), *argv)
    assert result["code"] == 0
    assert result["loaded"] == ["sqlalchemy"]
