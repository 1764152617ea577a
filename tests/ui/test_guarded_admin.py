"""The production guard in the Migrations and Usage panels and the API keys dialog: each
asks for the deployment's name, runs nothing when cancelled, and audits with
``source="window"``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt

from levqor_desktop.app import App
from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.canary_dialogs import ApiKeysDialog
from levqor_desktop.ui.panels.migrations import MigrationsPanel
from levqor_desktop.ui.panels.usage import UsagePanel
from levqor_desktop.ui.widgets.usage_limit_dialog import LimitRequest
from tests.ui.guard_support import PROD, audited, operator_at, prod_app
from tests.ui.panel_support import FakeWindow, panel_context, shown_panel

pytestmark = pytest.mark.ui
__all__ = ["prod_app"]  # the fixture, imported for the tests below


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def no_question(*_args: Any) -> bool:
    raise AssertionError("the yes/no question was asked on production")


def test_a_migration_on_production_asks_for_the_name(qtbot, prod_app: App) -> None:
    ctx, _window = panel_context(prod_app)
    panel = MigrationsPanel(ctx)
    qtbot.addWidget(panel)
    try:
        panel.confirm = no_question  # type: ignore[method-assign]
        operator = operator_at(panel.guarded, typed=None)
        panel.url.setText("postgresql://nobody@127.0.0.1:9/levqor")
        finished: list[tuple[str, object]] = []
        panel.step_done.connect(lambda step, outcome: finished.append((step, outcome)))
        panel.migrate()
        qtbot.waitUntil(lambda: len(audited(prod_app, "migrate.migrate")) == 1)
        assert finished == [] and not panel.busy
        assert operator.seen[0].target == "postgresql://nobody@127.0.0.1:9/levqor"

        operator.typed = PROD
        with qtbot.waitSignal(panel.step_done, timeout=60_000):
            panel.migrate()
        step, outcome = finished[0]
        assert step == "migrate" and isinstance(outcome, Exception)  # nobody listens on :9
        assert panel.message.text().startswith("✗")
        rows = audited(prod_app, "migrate.migrate")
        # Confirmed first, then marked failed when the copy could not reach the target.
        assert [r.outcome for r in rows] == ["failed", "refused"]
        assert rows[0].details["confirmation"] == "typed"
    finally:
        ctx.bridge.close()


@pytest.fixture
def prod_usage(qtbot, prod_app: App) -> Iterator[tuple[UsagePanel, FakeWindow]]:
    with shown_panel(qtbot, UsagePanel, prod_app, size=(1200, 760)) as s:
        yield s


def select_the_limit(qtbot, panel: UsagePanel) -> None:
    # A snapshot arriving later resets the table (and its selection): let them land first.
    qtbot.waitUntil(lambda: panel.bridge.in_flight == 0)
    panel.limits_table.selectRow(0)
    assert panel.limits_table.selectionModel().selectedRows()


def test_limit_changes_on_production_ask_for_the_name(qtbot, prod_usage, prod_app: App) -> None:
    panel, window = prod_usage
    app = prod_app
    panel.ask_confirm = no_question
    operator = operator_at(panel.guarded)
    panel.ask_limit = lambda _dialog: LimitRequest(
        Metric.JOB_RUNS, Period.DAY, 50, Enforcement.HARD, None
    )
    panel.add_limit()
    qtbot.waitUntil(lambda: bool(window.errors) or len(app.usage.limits.all(me(app))) == 1)
    assert window.errors == []
    assert operator.seen[-1].target == "job_runs per day = 50 (hard)"
    panel.refresh()
    qtbot.waitUntil(lambda: panel.limits_model.rowCount() == 1, timeout=10_000)
    operator.typed = None
    select_the_limit(qtbot, panel)
    panel.remove_limit()
    qtbot.waitUntil(lambda: len(audited(app, "limits.unset")) == 1)
    assert len(app.usage.limits.all(me(app))) == 1
    operator.typed = PROD
    select_the_limit(qtbot, panel)
    panel.remove_limit()
    qtbot.waitUntil(lambda: not app.usage.limits.all(me(app)), timeout=10_000)
    assert [r.outcome for r in audited(app, "limits.set")] == ["confirmed"]
    assert [r.outcome for r in audited(app, "limits.unset")] == ["confirmed", "refused"]
    assert window.errors == []


def test_api_keys_on_production_ask_for_the_name(qtbot, prod_app: App) -> None:
    ctx, _window = panel_context(prod_app)
    dialog = ApiKeysDialog(ctx)
    qtbot.addWidget(dialog)
    try:
        operator = operator_at(dialog.guarded, typed="acme")  # half the name: stays disabled
        dialog.name.setText("prometheus")
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(audited(prod_app, "apikeys.create")) == 1)
        assert prod_app.api_keys.list(me(prod_app)) == []
        assert operator.seen[0].target == "key 'prometheus' (viewer)"

        operator.typed = PROD
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.shown_key.text().startswith("lvq_"), timeout=10_000)
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
        dialog.table.selectRow(0)
        qtbot.mouseClick(dialog.revoke_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.message.text().startswith("Revoked"), timeout=10_000)
        assert prod_app.api_keys.authenticate(dialog.shown_key.text()) is None
        assert [r.outcome for r in audited(prod_app, "apikeys.create")] == ["confirmed", "refused"]
        (revoked,) = audited(prod_app, "apikeys.revoke")
        (key,) = prod_app.api_keys.list(me(prod_app), include_revoked=True)
        assert (revoked.outcome, revoked.target) == ("confirmed", f"key {key.prefix}")
    finally:
        ctx.bridge.close()
