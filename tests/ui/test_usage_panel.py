"""The Usage and Organizations panels and the actor selector (offscreen)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.models import Role
from levqor_desktop.core.models.usage import Enforcement, Metric, Period
from levqor_desktop.ui.actor_selector import ActorSelector, install_actor_selector
from levqor_desktop.ui.bridge import Bridge
from levqor_desktop.ui.panels.organizations import NewMember, OrganizationsPanel
from levqor_desktop.ui.panels.usage import UsagePanel
from levqor_desktop.ui.theme import FAIL, WARN
from levqor_desktop.ui.widgets.usage_limit_dialog import LimitRequest
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui


@pytest.fixture
def team(app: App) -> App:
    """The default org with an admin and a viewer, some usage and three limits."""
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    owner = app.actor
    assert owner is not None
    app.orgs.add_member(owner, "ann@example.com", "Ann", Role.ADMIN)
    app.orgs.add_member(owner, "vic@example.com", "Vic", Role.VIEWER)
    usage = app.usage
    usage.record(owner, Metric.CONNECTOR_CALLS, 80, connector="slack", workflow="digest")
    usage.record(owner, Metric.COST_USD, 2_000_000, connector="ai", workflow="digest")
    usage.record(owner, Metric.JOB_RUNS, 3, workflow="digest")
    usage.limits.set(owner, Metric.CONNECTOR_CALLS, Period.MONTH, 100)  # 80 %: amber
    usage.limits.set(owner, Metric.COST_USD, Period.MONTH, 1_000_000)  # 200 %: red
    usage.limits.set(owner, Metric.JOB_RUNS, Period.DAY, 100, enforcement=Enforcement.SOFT)
    return app


@pytest.fixture
def usage_panel(qtbot, team: App) -> Iterator[tuple[UsagePanel, FakeWindow]]:
    with shown_panel(qtbot, UsagePanel, team, size=(1300, 800), loads="limits_model") as shown:
        yield shown


def _reload(qtbot, panel: UsagePanel) -> None:
    with qtbot.waitSignal(panel.limits_model.modelReset, timeout=10_000):
        panel.refresh()


def test_usage_against_limits_turns_amber_and_red(usage_panel, tmp_path: Path) -> None:
    panel, window = usage_panel
    assert panel.totals[Metric.CONNECTOR_CALLS].text() == "80"
    assert panel.totals[Metric.COST_USD].text() == "$2.00"
    levels = {b.format(): b.property("level") for b in panel.bars.bars}
    assert levels == {"80%": 75, "200%": 100, "3%": 0}
    styles = [b.styleSheet() for b in panel.bars.bars]
    assert WARN in styles[0] and FAIL in styles[1]
    assert [e.key for e in panel.connectors_model.entries] == ["slack", "ai"]
    assert panel.workflows_model.entries[0].amount == 3
    assert sum(v for _, v in panel.graph.points) == 80
    assert window.errors == []
    assert panel.grab().save(str(tmp_path / "usage.png"))


def test_a_viewer_cannot_edit_limits_and_is_told_why(qtbot, usage_panel, team: App) -> None:
    panel, _ = usage_panel
    assert panel.add_button.isEnabled()
    team.actor = team.orgs.actor_for("vic@example.com")
    _reload(qtbot, panel)
    assert not panel.add_button.isEnabled()
    assert panel.add_button.toolTip() == "Needs the admin role (you act as viewer)"
    assert not panel.remove_button.isEnabled()


def test_an_admin_adds_a_limit_and_exports_csv(
    qtbot, usage_panel, team: App, tmp_path: Path
) -> None:
    panel, window = usage_panel
    team.actor = team.orgs.actor_for("ann@example.com")
    panel.ask_limit = lambda _dialog: LimitRequest(
        Metric.AI_PROMPT_TOKENS, Period.DAY, 5000, Enforcement.HARD, None
    )
    with qtbot.waitSignal(panel.limits_model.modelReset, timeout=10_000):
        panel.add_limit()
    metrics = [s.limit.metric for s in panel.limits_model.statuses]
    assert Metric.AI_PROMPT_TOKENS in metrics
    target = tmp_path / "usage.csv"
    panel.ask_save_path = lambda: str(target)
    panel.export_csv()
    qtbot.waitUntil(lambda: any("Exported" in m for m in window.messages), timeout=10_000)
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert {r["metric"] for r in rows} == {"connector_calls", "cost_usd", "job_runs"}
    assert next(r for r in rows if r["metric"] == "cost_usd")["amount_usd"] == "2.000000"


@pytest.fixture
def orgs_panel(qtbot, team: App) -> Iterator[tuple[OrganizationsPanel, FakeWindow]]:
    with shown_panel(
        qtbot, OrganizationsPanel, team, size=(1100, 600), loads="members_model"
    ) as shown:
        yield shown


def test_owners_manage_members(qtbot, orgs_panel, tmp_path: Path) -> None:
    panel, window = orgs_panel
    assert [m.display_name for m in panel.members_model.rows] == ["Ann", "Operator", "Vic"]
    panel.ask_member = lambda: NewMember("bo@example.com", "Bo", Role.OPERATOR)
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.add_member()
    qtbot.waitUntil(lambda: len(panel.members_model.rows) == 4, timeout=10_000)
    panel.members_table.selectRow(0)  # Ann
    panel.ask_role = lambda _current: Role.VIEWER
    with qtbot.waitSignal(panel.changed, timeout=10_000):
        panel.change_role()
    qtbot.waitUntil(
        lambda: (
            [m.role for m in panel.members_model.rows if m.display_name == "Ann"] == [Role.VIEWER]
        ),
        timeout=10_000,
    )
    assert window.errors == []
    assert panel.grab().save(str(tmp_path / "orgs.png"))


def test_non_owners_see_disabled_buttons_naming_the_owner_role(
    qtbot, orgs_panel, team: App
) -> None:
    panel, _ = orgs_panel
    team.actor = team.orgs.actor_for("ann@example.com")
    with qtbot.waitSignal(panel.members_model.modelReset, timeout=10_000):
        panel.refresh()
    for button in (panel.add_button, panel.create_button, panel.rename_button):
        assert not button.isEnabled()
        assert button.toolTip() == "Needs the owner role (you act as admin)"


def test_flag_off_disables_changes_with_the_reason(qtbot, orgs_panel, team: App) -> None:
    panel, _ = orgs_panel
    team.flags.set(FlagName.MULTI_TENANT_ENABLED, False)
    with qtbot.waitSignal(panel.members_model.modelReset, timeout=10_000):
        panel.refresh()
    assert panel.flag_note.isVisibleTo(panel)
    assert not panel.add_button.isEnabled()
    assert "MULTI_TENANT_ENABLED is off" in panel.add_button.toolTip()


def test_the_actor_selector_switches_who_acts(qtbot, team: App) -> None:
    owner = team.actor
    assert owner is not None
    acme = team.orgs.create(owner, "acme", "Acme")
    holder = QWidget()  # owns the bridge, so Qt destroys it with the widgets
    qtbot.addWidget(holder)
    bridge = Bridge(holder)
    selector = ActorSelector(bridge, holder)
    selector.attach(team)
    qtbot.waitUntil(lambda: selector.org_box.count() == 2, timeout=10_000)
    assert [selector.user_box.itemText(i) for i in range(selector.user_box.count())] == [
        "Ann (admin)",
        "Operator (owner)",
        "Vic (viewer)",
    ]
    vic = team.orgs.actor_for("vic@example.com")
    with qtbot.waitSignal(selector.actor_changed, timeout=10_000) as caught:
        selector.choose(vic.org_id, vic.user_id)
    assert caught.args == [vic]
    assert team.actor == vic
    assert selector.role_label.text() == "· viewer"
    with qtbot.waitSignal(selector.actor_changed, timeout=10_000):
        selector.choose(acme.id, owner.user_id)
    assert team.actor is not None
    assert (team.actor.org_id, team.actor.role) == (acme.id, Role.OWNER)
    bridge.close()


def test_crossing_a_threshold_notifies_once(qtbot, usage_panel, team: App) -> None:
    panel, window = usage_panel
    owner = team.actor
    assert owner is not None
    team.usage.record(owner, Metric.CONNECTOR_CALLS, 5)  # 85 %: still the 75 % band
    _reload(qtbot, panel)
    assert not any("Usage alert" in m for m in window.messages)
    team.usage.record(owner, Metric.CONNECTOR_CALLS, 15)  # 100 %
    _reload(qtbot, panel)
    _reload(qtbot, panel)
    alerts = [m for m in window.messages if m.startswith("Usage alert")]
    assert alerts == [
        "Usage alert: the hard limit of 100 connector calls per month for organization "
        "'Default organization' is at 100%"
    ]


def test_the_selector_in_the_main_window_regates_the_visible_panel(
    qtbot, window, tmp_path: Path
) -> None:
    app = window.app
    app.flags.set(FlagName.MULTI_TENANT_ENABLED, True)
    owner = app.actor
    app.orgs.add_member(owner, "vic@example.com", "Vic", Role.VIEWER)
    selector = install_actor_selector(window)
    qtbot.waitUntil(lambda: selector.user_box.count() == 2, timeout=10_000)
    with qtbot.waitSignal(window.panel_created, timeout=10_000):
        window.show_panel("usage")
    panel = window.panel("usage")
    assert isinstance(panel, UsagePanel)
    qtbot.waitUntil(lambda: panel.snapshot is not None, timeout=10_000)
    assert panel.add_button.isEnabled()
    vic = app.orgs.actor_for("vic@example.com")
    with qtbot.waitSignal(selector.actor_changed, timeout=10_000):
        selector.choose(vic.org_id, vic.user_id)
    qtbot.waitUntil(
        lambda: panel.snapshot is not None and panel.snapshot.actor == vic, timeout=10_000
    )
    assert not panel.add_button.isEnabled()
    assert "Needs the admin role" in panel.add_button.toolTip()
    window.resize(1400, 850)
    assert window.grab().save(str(tmp_path / "window.png"))
