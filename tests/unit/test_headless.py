"""The core is headless: importing all of it (and the connectors) loads no Qt."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import importlib, json, pkgutil, sys
import connectors, levqor_desktop.core
names = ["levqor_desktop.app", "levqor_desktop.settings", "levqor_desktop.cli.main"]
for pkg in (levqor_desktop.core, connectors):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if ".alembic" in info.name:
            continue
        names.append(info.name)
for name in names:
    importlib.import_module(name)
# Build the CLI parser too: it imports every command module.
from levqor_desktop.cli.main import build_parser
build_parser()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph")
                or m.startswith("levqor_desktop.ui"))
print(json.dumps({"modules": len(names), "qt": loaded}))
"""


def test_core_and_connectors_import_no_qt() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["modules"] > 10
    assert result["qt"] == []
