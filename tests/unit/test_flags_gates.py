"""Each flag gates what it names: a test per gate that exists in this code base."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import Connector
from connectors.registry import ConnectorRegistry
from levqor_desktop.app import App, build_app, resolve_database_url
from levqor_desktop.core.flags import FlagName, FlagStore
from levqor_desktop.core.metrics import AGGREGATE
from tests.conftest import make_settings


def _actor(app: App):
    assert app.actor is not None
    return app.actor


def test_pg_enabled_gates_the_postgresql_database(home: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/levqor"
    off = make_settings(home, DATABASE_URL=url)
    chosen, notes = resolve_database_url(off, FlagStore(home / "f.json", off.environ))
    assert chosen.startswith("sqlite:///")
    assert "PG_ENABLED is off" in notes[0]
    on = make_settings(home, DATABASE_URL=url, PG_ENABLED="true")
    chosen, _ = resolve_database_url(on, FlagStore(home / "f.json", on.environ))
    assert chosen == url


def test_new_queue_enabled_selects_the_rq_backend(app: App) -> None:
    assert app.queue_backend == "local"
    app.flag_service.set(_actor(app), FlagName.NEW_QUEUE_ENABLED, True, "scale out")
    assert app.queue_backend == "rq"


def test_multi_tenant_enabled_gates_organizations(app: App) -> None:
    assert not app.orgs.multi_tenant
    app.flag_service.set(_actor(app), FlagName.MULTI_TENANT_ENABLED, True, "teams")
    assert app.orgs.multi_tenant


def test_connectors_v2_enabled_gates_the_extra_connectors(app: App) -> None:
    extra = type("ExtraV2", (Connector,), {"name": "extra_v2", "tier": "v2"})
    registry = ConnectorRegistry([*ConnectorRegistry.default(plugins=[]).all(), extra])

    def offered() -> set[str]:
        enabled = app.flags.enabled(FlagName.CONNECTORS_V2_ENABLED)
        return {c.name for c in registry.visible(enabled)}

    assert "extra_v2" not in offered()
    app.flag_service.set(_actor(app), FlagName.CONNECTORS_V2_ENABLED, True)
    assert "extra_v2" in offered()


def test_advanced_metrics_enabled_gates_per_workflow_and_connector_series(app: App) -> None:
    app.metrics.observe_job("succeeded", "nightly-report", 1.0)
    app.metrics.observe_connector_call("slack", "post_message", "ok", 0.2)
    text = app.metrics.exposition().decode()
    assert "nightly-report" not in text and "slack" not in text
    assert f'levqor_jobs_run_total{{status="succeeded",workflow="{AGGREGATE}"}} 1.0' in text
    app.flag_service.set(_actor(app), FlagName.ADVANCED_METRICS_ENABLED, True)
    app.metrics.observe_job("succeeded", "nightly-report", 1.0)
    app.metrics.observe_connector_call("slack", "post_message", "ok", 0.2)
    text = app.metrics.exposition().decode()
    assert 'levqor_jobs_run_total{status="succeeded",workflow="nightly-report"} 1.0' in text
    assert 'levqor_connector_call_duration_seconds_count{connector="slack"} 1.0' in text


@pytest.mark.parametrize("flag", [FlagName.BUILDER_ENABLED, FlagName.CANARY_MODE])
def test_flags_read_by_other_parts_are_exposed_through_the_app(app: App, flag: FlagName) -> None:
    # The builder (ui) and the canary read these through app.flags.enabled(...).
    assert not app.flags.enabled(flag)
    app.flag_service.set(_actor(app), flag, True, "try it")
    assert app.flags.enabled(flag)
    again = build_app(app.settings)
    assert again.flags.enabled(flag)
    again.close()
