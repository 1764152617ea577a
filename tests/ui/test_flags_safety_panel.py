"""The Flags panel's safe-change tabs: requests, scheduled flips, rollout, restore.

``LEVQOR_SHOTS=DIR`` also saves each tab's picture there (for the README).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Role
from levqor_desktop.ui.panels.flags import FlagsPanel
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui


@pytest.fixture
def shown(qtbot, app: App) -> Iterator[tuple[FlagsPanel, FakeWindow]]:
    with shown_panel(qtbot, FlagsPanel, app, size=(1200, 760), loads="flags_model") as shown:
        yield shown


def shot(panel: FlagsPanel, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("LEVQOR_SHOTS") or tmp_path)
    assert panel.grab().save(str(folder / name))


def refresh_until(qtbot, panel: FlagsPanel, condition) -> None:
    panel.refresh()
    qtbot.waitUntil(condition, timeout=10_000)


def test_a_risky_toggle_becomes_a_request_the_second_admin_approves(
    qtbot, shown, app: App, tmp_path: Path
) -> None:
    panel, window = shown
    owner = app.actor
    assert owner is not None
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    app.orgs.add_member(owner, "bea@example.com", "Bea", Role.ADMIN)
    panel.ask_confirm = lambda title, text: True
    panel.ask_reason = lambda title, label: "move to the shared queue"

    panel.select_flag("NEW_QUEUE_ENABLED")
    panel.toggle_selected()
    tab = panel.requests_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
    assert "change request #1 is proposed" in window.messages[-1]
    assert not app.flags.enabled(FlagName.NEW_QUEUE_ENABLED)
    assert panel.tabs.currentWidget() is tab
    assert panel.tabs.tabText(1) == "Change requests (1)"
    tab.table.selectRow(0)
    assert not tab.approve_button.isEnabled() and tab.withdraw_button.isEnabled()
    assert "You proposed it" in tab.approve_button.toolTip()
    shot(panel, tmp_path, "flags-requests.png")

    app.actor = app.orgs.actor_for("bea@example.com")  # the actor selector does this
    tab.update_buttons()
    assert tab.approve_button.isEnabled() and not tab.withdraw_button.isEnabled()
    tab.approve()
    qtbot.waitUntil(lambda: app.flags.enabled(FlagName.NEW_QUEUE_ENABLED), timeout=10_000)
    refresh_until(qtbot, panel, lambda: tab.model.index(0, 3).data() == "applied")
    assert tab.model.index(0, 6).data() == "Bea"
    assert window.errors == []


def test_schedule_and_cancel_a_flip(qtbot, shown, app: App, tmp_path: Path) -> None:
    panel, window = shown
    panel.ask_confirm = lambda title, text: True
    tab = panel.scheduled_tab
    tab.ask_when = lambda title, label: "+2h"
    panel.select_flag("BUILDER_ENABLED")
    assert tab.schedule_button.isEnabled()
    tab.schedule()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
    assert tab.model.index(0, 2).data() == "BUILDER_ENABLED"
    assert (tab.model.index(0, 3).data(), tab.model.index(0, 4).data()) == ("on", "pending")
    assert panel.tabs.tabText(2) == "Scheduled flips (1)"
    panel.tabs.setCurrentWidget(tab)
    tab.table.selectRow(0)
    shot(panel, tmp_path, "flags-scheduled.png")
    assert tab.cancel_button.isEnabled()
    tab.cancel()
    refresh_until(qtbot, panel, lambda: tab.model.index(0, 4).data() == "canceled")
    assert not app.flag_schedules.scheduled()
    assert window.errors == []


def test_rollout_editor_shows_the_share_and_refuses_risky_flags(
    qtbot, shown, app: App, tmp_path: Path
) -> None:
    panel, window = shown
    tab = panel.rollout_tab
    panel.tabs.setCurrentWidget(tab)
    panel.select_flag("PG_ENABLED")
    assert not tab.apply_button.isEnabled() and "never rolled out" in tab.share_label.text()

    panel.select_flag("CONNECTORS_V2_ENABLED")
    assert tab.apply_button.isEnabled() and "no rollout" in tab.share_label.text()
    tab.orgs_edit.setText("default")
    tab.percent.setValue(25.0)
    tab.apply()
    qtbot.waitUntil(lambda: app.flag_rollouts.get("CONNECTORS_V2_ENABLED") is not None)
    refresh_until(qtbot, panel, lambda: "25% of orgs" in tab.share_label.text())
    assert "organizations 1" in tab.share_label.text()
    row = next(
        r for r in range(7) if panel.flags_model.index(r, 0).data() == "CONNECTORS_V2_ENABLED"
    )
    assert panel.flags_model.index(row, 1).data() == "off · on for 25% of orgs + organizations 1"
    assert app.flags.enabled(FlagName.CONNECTORS_V2_ENABLED, org_id=app.actor.org_id)
    shot(panel, tmp_path, "flags-rollout.png")
    assert window.errors == []


def test_restore_an_earlier_value_from_the_history(qtbot, shown, app: App, tmp_path: Path) -> None:
    panel, window = shown
    actor = app.actor
    assert actor is not None
    first = app.flag_service.set(actor, FlagName.BUILDER_ENABLED, True)
    app.flag_service.set(actor, FlagName.BUILDER_ENABLED, False)
    assert first is not None
    refresh_until(qtbot, panel, lambda: panel.audit_model.rowCount() == 2)
    panel.ask_confirm = lambda title, text: True
    panel.audit_table.selectRow(1)  # newest first: row 1 is the first change
    assert panel.selected_entry() == first.entry and panel.restore_button.isEnabled()
    shot(panel, tmp_path, "flags-history.png")
    panel.restore_selected()
    qtbot.waitUntil(lambda: app.flags.enabled(FlagName.BUILDER_ENABLED), timeout=10_000)
    refresh_until(qtbot, panel, lambda: panel.audit_model.rowCount() == 3)
    assert panel.audit_model.index(0, 5).data() == "restore:window"
    assert window.errors == []


def test_a_viewer_cannot_approve(qtbot, shown, app: App) -> None:
    panel, window = shown
    owner = app.actor
    assert owner is not None
    request = app.flag_requests.propose(owner, FlagName.CANARY_MODE, True, "watch")
    refresh_until(qtbot, panel, lambda: panel.requests_tab.model.rowCount() == 1)
    # A real member: the guard records who tried (its audit row names the user).
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    viewer = app.orgs.add_member(owner, "vic@example.com", "Vic", Role.VIEWER)
    app.actor = app.orgs.actor_for(viewer.user_id)
    panel.requests_tab.table.selectRow(0)
    panel.requests_tab.approve_button.setEnabled(True)
    panel.requests_tab.host.ask_confirm = lambda title, text: True
    panel.requests_tab.approve()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=10_000)
    assert "may not manage flags" in str(window.errors[0])
    assert app.flag_requests.get(request.id).status == "proposed"
