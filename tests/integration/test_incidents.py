"""The incident timeline: a seeded window of every kind, exported without its secrets."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.redaction import hash_email
from levqor_desktop.app import App
from levqor_desktop.core.incidents import EventKind, Window
from levqor_desktop.core.models.jobs import Job, JobStatus
from levqor_desktop.core.models.usage import Enforcement, Metric, Period, UsageLimitHit
from levqor_desktop.errors import LimitExceeded, NotFoundError, SecretStoreError
from tests.integration.incident_support import EMAIL, FAILING, SECRET, actor_of, seed


def around_now(app: App) -> Window:
    now = app.incidents.now()
    return Window(now - dt.timedelta(hours=1), now + dt.timedelta(minutes=1), "test")


def test_a_seeded_window_exports_every_kind_and_no_planted_secret(db_app: App) -> None:
    seeded = seed(db_app)
    me, window = actor_of(db_app), around_now(db_app)
    md, js = io.StringIO(), io.StringIO()
    assert db_app.incidents.export(me, window, "md", md) == 6
    assert db_app.incidents.export(me, window, "json", js) == 6

    for text in (md.getvalue(), js.getvalue()):
        assert SECRET not in text
        assert EMAIL not in text and "jane.operator" not in text
        assert hash_email(EMAIL) in text  # redacted, not dropped
    data = json.loads(js.getvalue())
    events = data["events"]
    assert {e["kind"] for e in events} == {k.value for k in EventKind}
    assert data["counts"] == {k.value: 1 for k in EventKind} and data["total"] == 6
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    for e in events:
        assert set(e) >= {"kind", "time", "summary", "details"}

    by_kind = {e["kind"]: e for e in events}
    job = by_kind["job_failed"]
    assert job["details"]["job_id"] == seeded.job_id
    assert job["details"]["failed_step"]["step_id"] == "post"
    assert "invalid_auth" in job["details"]["failed_step"]["error"]
    assert job["details"]["inputs"] == {"contact": hash_email(EMAIL)}
    assert "at step 'post'" in job["summary"]
    assert by_kind["flag_change"]["details"]["flag"] == "BUILDER_ENABLED"
    canary = by_kind["canary_run"]
    assert canary["severity"] == "error" and "error_rate fail" in canary["summary"]
    assert by_kind["migration"]["details"]["uuid"] == seeded.migration_uuid
    assert by_kind["migration"]["details"]["status"] == "failed"
    hit = by_kind["limit_hit"]["details"]
    assert (hit["metric"], hit["outcome"], hit["stage"]) == ("job_runs", "refused", "enqueue")
    action = by_kind["operator_action"]["details"]
    assert action["environment"] == "production" and action["details"]["api_key"] == "[redacted]"
    for kind in ("failed job", "flag change", "canary run", "migration", "limit hit"):
        assert f"· {kind} ·" in md.getvalue()
    assert "| **total** | **6** |" in md.getvalue()


def test_the_timeline_streams_in_pages_and_filters_kinds(db_app: App) -> None:
    app = db_app
    seed(app)
    me, window = actor_of(app), around_now(app)
    # Two more failed jobs finishing at the same instant: the keyset must not lose one.
    with app.db.session() as session:
        first = session.get(Job, 1)
        assert first is not None and first.finished_at is not None
        for _ in range(2):
            session.add(
                Job(
                    org_id=me.org_id,
                    workflow_name="same-instant",
                    inputs={},
                    status=JobStatus.FAILED,
                    finished_at=first.finished_at,
                    error="boom",
                )
            )
    whole = list(app.incidents.timeline(me, window))
    paged = list(app.incidents.timeline(me, window, page_size=1))
    assert paged == whole and len(whole) == 8
    assert sum(e.kind is EventKind.JOB_FAILED for e in whole) == 3
    only = app.incidents.events(me, window, [EventKind.LIMIT_HIT, EventKind.MIGRATION])
    assert {e.kind for e in only} == {EventKind.LIMIT_HIT, EventKind.MIGRATION}
    later = Window(window.until, window.until + dt.timedelta(hours=1))
    assert app.incidents.events(me, later) == []


def test_last_failure_centres_on_the_newest_failed_job_or_canary(app: App) -> None:
    me = actor_of(app)
    with pytest.raises(NotFoundError, match="no failed job or failed canary run"):
        app.incidents.last_failure(me)
    seed(app)
    window = app.incidents.last_failure(me)
    assert "canary run" in window.label  # the canary was seeded after the job
    kinds = {e.kind for e in app.incidents.events(me, window)}
    assert {EventKind.JOB_FAILED, EventKind.CANARY_RUN} <= kinds


def test_repeated_refusals_fold_into_one_row_and_soft_limits_warn(app: App) -> None:
    me = actor_of(app)
    app.usage.limits.set(me, Metric.JOB_RUNS, Period.DAY, 0)
    for _ in range(3):
        with pytest.raises(LimitExceeded):
            app.jobs.enqueue(me, document=FAILING, inputs={"contact": "x"})
    app.usage.limits.set(me, Metric.JOB_RUNS, Period.DAY, 0, enforcement=Enforcement.SOFT)
    app.jobs.enqueue(me, document=FAILING, inputs={"contact": "x"})
    with app.db.session() as session:
        rows = session.scalars(select(UsageLimitHit).order_by(UsageLimitHit.id)).all()
        assert [(r.outcome, r.stage, r.hits) for r in rows] == [
            ("refused", "enqueue", 3),
            ("warned", "enqueue", 1),
        ]
        assert rows[0].last_at >= rows[0].at


def test_an_export_that_cannot_read_the_keyring_writes_nothing(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(app)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "incident.md"
    target.write_text("an earlier export\n")

    def locked(key: str) -> str:
        raise SecretStoreError(f"cannot read {key}: the keyring is locked")

    monkeypatch.setattr(app.secrets, "get", locked)
    with pytest.raises(SecretStoreError, match="locked"):
        app.incidents.export_file(actor_of(app), around_now(app), "md", target)
    assert target.read_text() == "an earlier export\n"
    assert list(folder.iterdir()) == [target]
