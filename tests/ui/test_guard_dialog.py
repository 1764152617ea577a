"""The production guard's dialog: the exact name unlocks it; Esc and Cancel change nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from levqor_desktop.core.safety import Environment, Profile
from levqor_desktop.ui.guard_dialog import GuardDialog, preview_lines
from levqor_desktop.ui.guarded import window_action

pytestmark = pytest.mark.ui

PROD = Profile("acme-prod", "postgresql://ops@db/levqor", environment=Environment.PRODUCTION)
#: Set to a folder to keep the screenshot (docs/screenshots/guard-dialog.png was made so).
SCREENSHOTS_ENV = "LEVQOR_SCREENSHOTS"


def _bulk_retry(count: int = 12) -> GuardDialog:
    action = window_action(
        "jobs.bulk_retry",
        "states=failed workflow=digest",
        count=count,
        preview=[f"#{n} digest (failed)" for n in range(count, 0, -1)],
    )
    return GuardDialog(action, PROD, "Operator")


def test_the_preview_is_cut_with_and_k_more() -> None:
    assert preview_lines(["a", "b"], 2) == ["a", "b"]
    assert preview_lines(["a", "b", "c"], 3, shown=2) == ["a", "b", "and 1 more"]
    # The count can be larger than the preview the query returned.
    assert preview_lines(["a", "b"], 1_500, shown=8) == ["a", "b", "and 1,498 more"]
    assert preview_lines([], 0) == []


def test_ok_stays_disabled_until_the_exact_name_is_typed(qtbot) -> None:
    dialog = _bulk_retry()
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.band_label.text() == "PRODUCTION · acme-prod"
    assert "12 will change" in dialog.count_label.text()
    shown = [dialog.preview.item(i).text() for i in range(dialog.preview.count())]
    assert shown[0] == "#12 digest (failed)" and shown[-1] == "and 4 more" and len(shown) == 9
    assert "jobs.bulk_retry" in dialog.what_label.text()
    assert dialog.name_edit.hasFocus() or dialog.focusWidget() is dialog.name_edit
    assert not dialog.ok_button.isEnabled()
    for wrong in ("acme", "acme-pro", "ACME-PROD", "Acme-Prod", " acme-prod", "acme-prod ", "x"):
        dialog.name_edit.setText(wrong)
        assert not dialog.ok_button.isEnabled(), wrong
    # Enter with a wrong name does not accept.
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() != GuardDialog.DialogCode.Accepted
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, "acme-prod")
    assert dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    assert dialog.result() == GuardDialog.DialogCode.Accepted
    assert dialog.typed() == "acme-prod"


def test_escape_cancels(qtbot) -> None:
    dialog = _bulk_retry(1)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "and" not in dialog.preview.item(dialog.preview.count() - 1).text()
    qtbot.keyClicks(dialog.name_edit, "acme-prod")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == GuardDialog.DialogCode.Rejected


def test_screenshot(qtbot, tmp_path: Path) -> None:
    dialog = _bulk_retry()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.name_edit, "acme-pr")
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    assert dialog.grab().save(str(folder / "guard-dialog.png"))
