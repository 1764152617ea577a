"""The Queue panel: live depth and workers, the paged jobs table at 100,000 jobs, the job
view with steps and "why", confirmed actions, pool size, suspend/resume."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert

from levqor_desktop.app import App
from levqor_desktop.core.models.base import utcnow
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.ui.panels.queue import QueuePanel
from tests.reliability.jobs_support import NOOP, TWO_STEPS, Finished, TestActions
from tests.ui.panel_support import FakeWindow, shown_panel

pytestmark = pytest.mark.ui


def me(app: App) -> Actor:
    assert app.actor is not None
    return app.actor


@pytest.fixture
def shown(qtbot, app: App) -> Iterator[tuple[QueuePanel, FakeWindow]]:
    try:
        with shown_panel(qtbot, QueuePanel, app, size=(1400, 850), loads="jobs_model") as shown:
            yield shown
    finally:
        app.jobs_kit.pool.stop()


def _select(qtbot, panel: QueuePanel, job_id: int) -> None:
    row = panel.jobs_model.row_of(job_id)
    assert row is not None
    panel.jobs_view.selectRow(row)
    qtbot.waitUntil(lambda: panel.job_view.job is not None and panel.job_view.job.id == job_id)


def test_live_depth_workers_jobs_and_job_view(qtbot, shown, app: App, tmp_path: Path) -> None:
    panel, _ = shown
    actions = TestActions()
    actions.fail_kind = "fail"
    app.actions.add(actions)
    finished = Finished(app.jobs_kit.pool)
    app.jobs_kit.pool.start()
    ids = app.jobs.enqueue_many(me(app), None, [{"n": n} for n in range(20)], document=NOOP)
    bad = app.jobs.enqueue(me(app), document=TWO_STEPS, inputs={"fail": True})
    assert finished.wait(lambda: len(finished.reports) == 21)
    app.jobs.pause(me(app))
    waiting = app.jobs.enqueue(me(app), document=NOOP)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.depth_model.rowCount() == 1 and panel.jobs_model.total == 22)
    qtbot.waitUntil(lambda: panel.depth_model.rows[0][1:] == (1, 0, 20, 1, 0))
    assert panel.depth_model.rows[0][0] == "default (paused)"
    assert panel.suspend_button.text() == "Resume"
    qtbot.waitUntil(lambda: panel.workers_model.rowCount() == 4)
    assert {r[2] for r in panel.workers_model.rows} == {"idle"}
    _select(qtbot, panel, bad.id)
    view = panel.job_view
    assert [r[1:3] for r in view.steps_model.rows] == [("first", "succeeded"), ("second", "failed")]
    assert "flaky says no" in view.summary.text()
    assert view.buttons["retry_step"].isEnabled() and not view.buttons["cancel"].isEnabled()
    _select(qtbot, panel, waiting.id)
    assert "queue 'default' is paused" in panel.job_view.why.text()
    panel.state_combo.setCurrentIndex(panel.state_combo.findData(JobStatus.FAILED))
    qtbot.waitUntil(lambda: panel.jobs_model.total == 1)
    assert panel.jobs_model.job_at(0) is not None and panel.jobs_model.job_at(0).id == bad.id
    panel.state_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: panel.jobs_model.total == 22)
    _select(qtbot, panel, bad.id)
    shot = Path(os.environ.get("LEVQOR_SCREENSHOT_DIR", tmp_path)) / "queue-panel.png"
    assert panel.grab().save(str(shot))
    assert ids[0] in {panel.jobs_model.job_at(r).id for r in range(22)}


def test_actions_ask_first_and_pool_size_applies(qtbot, shown, app: App) -> None:
    panel, window = shown
    app.jobs.pause(me(app))
    job = app.jobs.enqueue(me(app), document=NOOP)
    panel.refresh()
    qtbot.waitUntil(lambda: panel.jobs_model.total == 1)
    _select(qtbot, panel, job.id)
    asked: list[str] = []

    def answer(yes: bool):
        def ask(title: str, text: str) -> bool:
            asked.append(text)
            return yes

        return ask

    panel.ask_confirm = answer(False)
    panel.job_view.buttons["cancel"].click()
    assert asked == [f"Cancel job #{job.id}?"]
    assert app.jobs.get(me(app), job.id).status is JobStatus.QUEUED
    panel.ask_confirm = answer(True)
    panel.job_view.buttons["cancel"].click()
    qtbot.waitUntil(lambda: app.jobs.get(me(app), job.id).status is JobStatus.CANCELED)
    panel.bulk("delete")
    qtbot.waitUntil(lambda: app.jobs.count(me(app)) == 0)
    assert asked[-1] == "Delete 1 job(s) matching the filter?"
    panel.pool_spin.setValue(3)
    panel.pool_spin.editingFinished.emit()
    qtbot.waitUntil(lambda: app.jobs_kit.pool.size == 3)
    panel.toggle_suspend()
    qtbot.waitUntil(lambda: app.jobs.paused_queues() == [])
    assert window.errors == []


@pytest.mark.slow
def test_the_jobs_table_pages_through_100_000_jobs(qtbot, shown, app: App) -> None:
    panel, _ = shown
    now, actor = utcnow(), me(app)
    row = {
        "org_id": actor.org_id,
        "user_id": actor.user_id,
        "workflow_name": "bulk",
        "inputs": {},
        "status": JobStatus.SUCCEEDED,
        "backend": "local",
        "queue": "default",
        "priority": 0,
        "attempts": 1,
        "max_attempts": 3,
        "dispatched": False,
        "cancel_requested": False,
        "created_at": now,
        "finished_at": now,
    }
    with app.db.session() as session:
        for _ in range(10):
            session.execute(insert(Job), [row] * 10_000)
    with qtbot.waitSignal(panel.jobs_model.modelReset, timeout=30_000):
        panel.jobs_model.reload()
    model = panel.jobs_model
    assert model.rowCount() == 100_000 and list(model.pages) == [0]
    panel.jobs_view.scrollToBottom()
    panel.jobs_view.viewport().repaint()
    qtbot.waitUntil(lambda: 499 in model.pages, timeout=30_000)
    assert model.job_at(99_999) is not None and model.job_at(99_999).id == 1
    assert len(model.pages) <= 3  # never all rows
    with qtbot.waitSignal(model.modelReset, timeout=30_000):
        panel.jobs_view.sortByColumn(0, Qt_Ascending())
    assert model.job_at(0).id == 1


def Qt_Ascending():
    from PySide6.QtCore import Qt

    return Qt.SortOrder.AscendingOrder
