"""The Migrations wizard against a real PostgreSQL: preflight, migrate, verify, switch, back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.migrate import Progress
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.base import PanelContext
from levqor_desktop.ui.panels.migrations import MigrationsPanel
from tests.integration.migrate_rows import populate
from tests.ui.panel_support import FakeWindow

pytestmark = [pytest.mark.ui, pytest.mark.postgres]

#: Set to a folder to keep the screenshot (docs/screenshots/migrations-panel.png was made so).
SCREENSHOTS_ENV = "LEVQOR_SCREENSHOTS"


@pytest.fixture
def panel(qtbot: Any, app: App) -> Any:
    populate(app.db)
    bridge = Bridge()
    panel = MigrationsPanel(PanelContext(app, bridge, FakeWindow()))
    panel.confirm = lambda question: True  # type: ignore[method-assign]
    qtbot.addWidget(panel)
    panel.resize(1280, 820)
    panel.show()
    yield panel
    bridge.close()


def _step(qtbot: Any, panel: MigrationsPanel, key: str) -> tuple[str, object]:
    with qtbot.waitSignal(panel.step_done, timeout=120_000) as blocker:
        qtbot.mouseClick(panel.buttons[key], Qt.MouseButton.LeftButton)
    step, outcome = blocker.args
    assert step == key
    return step, outcome


def test_the_wizard_moves_the_data_and_back(
    qtbot: Any, panel: MigrationsPanel, pg_url: str, app: App, tmp_path: Path
) -> None:
    panel.url.setText(pg_url)
    panel.password.setText("pw-for-the-keyring")
    _step(qtbot, panel, "preflight")
    assert "Ready to migrate." in panel.report.toPlainText()
    # The password went to the keyring as soon as the target answered.
    target = app.migrations.target(pg_url)
    assert target.password == "pw-for-the-keyring"

    seen: list[Progress] = []
    panel.progress.connect(seen.append)
    _, result = _step(qtbot, panel, "migrate")
    assert isinstance(result, dict), result
    assert panel.message.text().startswith("✓ copied")
    # Progress arrived on the UI thread, per table, up to the overall total.
    assert {p.table for p in seen if p.phase == "copy"} >= {"jobs", "usage_events"}
    assert panel.overall.value() == panel.overall.maximum() == result["rows"]
    model = panel.tables
    percents = [model.index(r, 2).data(model.PROGRESS_ROLE) for r in range(model.rowCount())]
    assert percents and all(p == 100 for p in percents)

    _step(qtbot, panel, "verify")
    parity = panel.parity
    assert parity.rowCount() > 20
    assert all(parity.index(r, 5).data() == "identical" for r in range(parity.rowCount()))
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(folder / "migrations-panel.png"))

    _step(qtbot, panel, "switch")
    assert "reconnecting to PostgreSQL" in panel.message.text()
    # The window is asked to reconnect to the new database (one click, no restart).
    window = panel.ctx.window
    qtbot.waitUntil(lambda: window.reloads == 1, timeout=5000)
    assert app.flags.enabled(FlagName.PG_ENABLED)
    assert panel.buttons["rollback"].isEnabled()
    _step(qtbot, panel, "rollback")
    assert panel.message.text().startswith("✓ rolled back")
    qtbot.waitUntil(lambda: window.reloads == 2, timeout=5000)
    assert not app.flags.enabled(FlagName.PG_ENABLED)
    # Past runs are reloaded after each step, newest first, with their outcome.
    qtbot.waitUntil(lambda: panel.runs.index(0, 1).data() == "rollback", timeout=20_000)
    kinds = [panel.runs.index(r, 1).data() for r in range(panel.runs.rowCount())]
    # The window's switch is audited (an operator_actions row written before it runs),
    # so the source changed since the copy: the switch takes its final-sync path.
    assert kinds == ["rollback", "switch", "verify", "migrate", "verify", "verify", "migrate"]
    assert panel.runs.index(0, 2).data() == "succeeded"


def test_cancel_and_bad_target_show_a_clear_message(
    qtbot: Any, panel: MigrationsPanel, pg_url: str
) -> None:
    panel.url.setText("postgresql://nobody@127.0.0.1:9/levqor")
    _, outcome = _step(qtbot, panel, "preflight")
    assert isinstance(outcome, Exception)
    assert panel.message.text().startswith("✗ cannot reach PostgreSQL at 127.0.0.1:9/levqor")

    panel.url.setText(pg_url)

    def cancel_in_the_middle(p: Progress) -> None:
        if p.phase == "copy" and p.table_rows > 0:
            panel.buttons["cancel"].click()

    panel.progress.connect(cancel_in_the_middle)
    _, outcome = _step(qtbot, panel, "migrate")
    assert "canceled" in str(outcome)
    assert panel.message.text().startswith("✗ canceled by the operator")
    assert panel.buttons["migrate"].isEnabled() and not panel.buttons["cancel"].isEnabled()
