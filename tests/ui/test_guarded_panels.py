"""The window's changes go through the production guard: on production a panel action
opens the GuardDialog (cancel: nothing changes, the attempt is audited as refused; the
name typed: it runs and leaves a ``confirmed`` row with ``source="window"``); on a local
profile nobody is asked for a name and the change is audited all the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.jobs.contracts import JobFilter
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.panels.flags import FlagsPanel
from levqor_desktop.ui.panels.queue import QueuePanel
from tests.reliability.jobs_support import NOOP
from tests.ui.guard_support import PROD, Seen, audited, never_asked, operator_at, prod_app
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui
__all__ = ["prod_app"]  # the fixture, imported for the tests below

BAND = "PRODUCTION · acme-prod"
CANCELED = JobFilter(states=(JobStatus.CANCELED,))


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


def no_question(*_args: Any) -> bool:
    raise AssertionError("the yes/no question was asked on production")


@pytest.fixture
def prod_queue(qtbot, prod_app: App) -> Iterator[tuple[QueuePanel, FakeWindow]]:
    prod_app.jobs.pause(me(prod_app))  # nothing runs: the jobs stay as the test made them
    try:
        with shown_panel(qtbot, QueuePanel, prod_app, size=(1200, 800), loads="jobs_model") as s:
            yield s
    finally:
        prod_app.jobs_kit.pool.stop()


@pytest.fixture
def local_queue(qtbot, app: App) -> Iterator[tuple[QueuePanel, FakeWindow]]:
    app.jobs.pause(me(app))
    try:
        with shown_panel(qtbot, QueuePanel, app, size=(1200, 800), loads="jobs_model") as s:
            yield s
    finally:
        app.jobs_kit.pool.stop()


def _select(qtbot, panel: QueuePanel, job_id: int) -> None:
    panel.refresh()
    qtbot.waitUntil(lambda: panel.jobs_model.row_of(job_id) is not None)
    row = panel.jobs_model.row_of(job_id)
    assert row is not None
    panel.jobs_view.selectRow(row)
    qtbot.waitUntil(lambda: panel.job_view.job is not None and panel.job_view.job.id == job_id)


def test_a_job_action_on_production_asks_for_the_name(qtbot, prod_queue, prod_app: App) -> None:
    panel, window = prod_queue
    app = prod_app
    job = app.jobs.enqueue(me(app), document=NOOP)
    _select(qtbot, panel, job.id)
    panel.ask_confirm = no_question
    operator = operator_at(panel.guarded, typed=None)

    panel.job_view.buttons["cancel"].click()  # Cancel in the dialog
    qtbot.waitUntil(lambda: len(audited(app, "jobs.cancel")) == 1)
    assert operator.seen == [
        Seen("jobs.cancel", f"jobs #{job.id}", 1, BAND, [f"#{job.id} noop (queued)"])
    ]
    qtbot.waitUntil(lambda: bool(window.messages))
    assert window.messages[-1] == "jobs.cancel canceled: nothing changed on acme-prod"
    operator.typed = "ACME-PROD"  # not the name: the confirm button stays disabled
    panel.job_view.buttons["cancel"].click()
    qtbot.waitUntil(lambda: len(audited(app, "jobs.cancel")) == 2)
    assert app.jobs.get(me(app), job.id).status is JobStatus.QUEUED

    operator.typed = PROD
    panel.job_view.buttons["cancel"].click()
    qtbot.waitUntil(lambda: app.jobs.get(me(app), job.id).status is JobStatus.CANCELED)
    rows = audited(app, "jobs.cancel")
    assert [r.outcome for r in rows] == ["confirmed", "refused", "refused"]
    done = rows[0]
    assert (done.profile, done.environment, done.count) == (PROD, "production", 1)
    assert done.details["confirmation"] == "typed"
    assert done.actor_name == me(app).display_name
    assert window.errors == []


def test_a_bulk_action_on_production_previews_the_jobs_first(
    qtbot, prod_queue, prod_app: App
) -> None:
    panel, window = prod_queue
    app = prod_app
    ids = app.jobs.enqueue_many(me(app), None, [{"n": n} for n in range(12)], document=NOOP)
    panel.state_combo.setCurrentIndex(panel.state_combo.findData(JobStatus.QUEUED))
    panel.apply_filter()
    panel.ask_confirm = no_question
    operator = operator_at(panel.guarded)
    panel.bulk("cancel")
    qtbot.waitUntil(lambda: app.jobs.count(me(app), CANCELED) == 12)
    (seen,) = operator.seen
    assert (seen.action, seen.target, seen.count, seen.band) == (
        "jobs.bulk_cancel",
        "states=queued",
        12,
        BAND,
    )
    assert seen.preview[0] == f"#{ids[-1]} noop (queued)"
    assert seen.preview[-1] == "and 4 more" and len(seen.preview) == 9
    (row,) = audited(app, "jobs.bulk_cancel")
    assert (row.outcome, row.count, row.target) == ("confirmed", 12, "states=queued")
    assert row.details["preview_total"] == 12
    # Nothing matches any more: no dialog, a message instead.
    panel.bulk("cancel")
    qtbot.waitUntil(lambda: "no job matches" in "".join(window.messages))
    assert len(operator.seen) == 1
    assert window.errors == []


def test_on_a_local_profile_no_name_is_asked_and_the_change_is_audited(
    qtbot, local_queue, app: App
) -> None:
    panel, window = local_queue
    job = app.jobs.enqueue(me(app), document=NOOP)
    _select(qtbot, panel, job.id)
    panel.guarded.ask_name = never_asked
    asked: list[str] = []
    panel.ask_confirm = lambda _title, text: asked.append(text) is None
    panel.job_view.buttons["cancel"].click()
    qtbot.waitUntil(lambda: app.jobs.get(me(app), job.id).status is JobStatus.CANCELED)
    assert asked == [f"Cancel job #{job.id}?"]
    (row,) = audited(app, "jobs.cancel")
    assert (row.outcome, row.profile, row.environment) == ("confirmed", "local", "local")
    assert row.details["confirmation"] == "not required"
    panel.bulk("delete")
    qtbot.waitUntil(lambda: app.jobs.count(me(app)) == 0)
    assert asked[-1] == "Delete 1 job(s) matching the filter?"
    assert [r.count for r in audited(app, "jobs.bulk_delete")] == [1]
    assert window.errors == []


# -- flags ----------------------------------------------------------------------------


def settle(qtbot, panel: FlagsPanel) -> None:
    """Let every snapshot in flight land (each resets the tables and their selection)."""
    qtbot.waitUntil(lambda: panel.bridge.in_flight == 0)


@pytest.fixture
def prod_flags(qtbot, prod_app: App) -> Iterator[tuple[FlagsPanel, FakeWindow]]:
    with shown_panel(qtbot, FlagsPanel, prod_app, size=(1200, 760), loads="flags_model") as s:
        yield s


def test_flag_changes_on_production_ask_for_the_name(qtbot, prod_flags, prod_app: App) -> None:
    panel, window = prod_flags
    app = prod_app
    panel.ask_confirm = no_question
    operator = operator_at(panel.guarded)
    panel.select_flag("BUILDER_ENABLED")
    panel.toggle_selected()
    qtbot.waitUntil(lambda: app.flags.enabled(FlagName.BUILDER_ENABLED), timeout=10_000)
    assert operator.seen[-1].target == "BUILDER_ENABLED -> on"
    assert operator.seen[-1].preview == ["BUILDER_ENABLED: off -> on"]
    assert [r.outcome for r in audited(app, "flags.set")] == ["confirmed"]

    # A risky flag: the reason is still asked, the yes/no question is the dialog's.
    operator.typed = None
    panel.ask_reason = lambda _title, _label: "watch the canary"
    panel.select_flag("CANARY_MODE")
    panel.toggle_selected()
    qtbot.waitUntil(lambda: len(audited(app, "flags.set")) == 2)
    refused = audited(app, "flags.set")[0]
    assert (refused.outcome, refused.target) == ("refused", "CANARY_MODE -> on")
    assert refused.details["reason"] == "watch the canary"
    assert not app.flags.enabled(FlagName.CANARY_MODE)

    # Undo from the history.
    operator.typed = PROD
    panel.refresh()
    qtbot.waitUntil(lambda: panel.audit_model.rowCount() == 1, timeout=10_000)
    settle(qtbot, panel)
    panel.audit_table.selectRow(0)
    panel.undo_selected()
    qtbot.waitUntil(lambda: not app.flags.enabled(FlagName.BUILDER_ENABLED), timeout=10_000)
    (undo,) = audited(app, "flags.undo")
    assert undo.outcome == "confirmed" and undo.target.startswith("flag change #")
    assert window.errors == []


def test_the_flag_tabs_on_production_ask_for_the_name(qtbot, prod_flags, prod_app: App) -> None:
    panel, window = prod_flags
    app = prod_app
    panel.ask_confirm = no_question
    operator = operator_at(panel.guarded)
    panel.select_flag("BUILDER_ENABLED")

    rollout = panel.rollout_tab
    rollout.percent.setValue(25.0)
    rollout.apply()
    qtbot.waitUntil(lambda: app.flag_rollouts.get(FlagName.BUILDER_ENABLED) is not None)
    assert operator.seen[-1].target == "BUILDER_ENABLED: orgs -, 25.0% by org"

    scheduled = panel.scheduled_tab
    scheduled.ask_when = lambda _title, _label: "+2h"
    scheduled.schedule()
    qtbot.waitUntil(lambda: len(app.flag_schedules.scheduled()) == 1, timeout=10_000)
    assert operator.seen[-1].action == "flags.schedule"
    panel.refresh()
    qtbot.waitUntil(lambda: scheduled.model.rowCount() == 1, timeout=10_000)
    settle(qtbot, panel)
    scheduled.table.selectRow(0)
    operator.typed = None
    scheduled.cancel()
    qtbot.waitUntil(lambda: len(audited(app, "flags.cancel_flip")) == 1)
    assert len(app.flag_schedules.scheduled()) == 1  # cancelled the dialog: still pending
    operator.typed = PROD
    settle(qtbot, panel)
    scheduled.table.selectRow(0)
    scheduled.cancel()
    qtbot.waitUntil(lambda: not app.flag_schedules.scheduled(), timeout=10_000)

    outcomes = {
        name: [r.outcome for r in audited(app, name)]
        for name in ("flags.rollout", "flags.schedule", "flags.cancel_flip")
    }
    assert outcomes == {
        "flags.rollout": ["confirmed"],
        "flags.schedule": ["confirmed"],
        "flags.cancel_flip": ["confirmed", "refused"],
    }
    assert window.errors == []
