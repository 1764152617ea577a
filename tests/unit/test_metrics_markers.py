"""Graph markers from the audit tables: flag changes, canary runs, migrations, workflow versions."""

from __future__ import annotations

import datetime as dt
import json

from levqor_desktop.app import App
from levqor_desktop.core.flags import FlagName
from levqor_desktop.core.metrics.markers import markers
from levqor_desktop.core.models.canary import CanaryRun
from levqor_desktop.core.models.migrations import MigrationRun
from levqor_desktop.resources import resource_path


def test_markers_from_every_audit_table(app: App) -> None:
    actor = app.actor
    assert actor is not None
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    app.flag_service.set(actor, FlagName.BUILDER_ENABLED, True)
    document = json.loads(resource_path("examples", "offline-transform-demo.json").read_text())
    app.workflows.save(actor, document)
    now = dt.datetime.now(dt.UTC)
    with app.db.session() as session:
        session.add(
            CanaryRun(
                org_id=actor.org_id,
                target="local",
                target_label="this app",
                verdict="pass",
                trigger="flag",
                started_at=now,
                finished_at=now,
            )
        )
        session.add(
            MigrationRun(
                uuid="a" * 32,
                kind="migrate",
                status="succeeded",
                source="sqlite",
                target="postgresql",
                started_at=now,
            )
        )
    found = markers(app.db, start)
    assert {(m.kind, m.label) for m in found} == {
        ("flag", "BUILDER_ENABLED on (Operator)"),
        ("workflow", "offline-transform-demo v1"),
        ("canary", "canary pass (flag)"),
        ("migration", "migrate succeeded"),
    }
    assert [m.at for m in found] == sorted(m.at for m in found)
    assert all(m.at.tzinfo is not None for m in found)
    assert markers(app.db, now + dt.timedelta(minutes=1)) == []
    assert markers(app.db, start, until=start) == []
