"""Screenshots of the production guard's dialog (README), in the window's themes.

    xvfb-run -a python scripts/guard_screenshots.py docs/screenshots

Writes ``guard-dialog.png`` (light) and ``guard-dialog-dark.png``: the dialog a bulk
retry of twelve failed jobs opens on the production profile ``acme-prod``, with the name
half typed (the confirm button still disabled).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from levqor_desktop.core.safety import Environment, Profile
from levqor_desktop.ui.guard_dialog import GuardDialog
from levqor_desktop.ui.guarded import window_action
from levqor_desktop.ui.theme import apply_theme

PROD = Profile("acme-prod", "postgresql://ops@db/levqor", environment=Environment.PRODUCTION)


def settle(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def shoot(app: QApplication, folder: Path, dark: bool) -> Path:
    apply_theme(app, dark)
    action = window_action(
        "jobs.bulk_retry",
        "states=failed workflow=digest",
        count=12,
        preview=[f"#{n} digest (failed)" for n in range(112, 100, -1)],
        details={"reason": "bulk, from the Queue panel"},
    )
    dialog = GuardDialog(action, PROD, "Operator")
    dialog.show()
    dialog.name_edit.setText("acme-pr")
    settle(200)
    path = folder / ("guard-dialog-dark.png" if dark else "guard-dialog.png")
    dialog.grab().save(str(path))
    dialog.close()
    return path


def main(folder: Path) -> int:
    app = QApplication(sys.argv[:1])
    folder.mkdir(parents=True, exist_ok=True)
    for dark in (False, True):
        print(shoot(app, folder, dark))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
