"""Which machine runs the jobs: the window on production runs none unless its profile
says ``--workers``; ``levqor worker`` on the same profile runs them as before."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from levqor_desktop.app import App, build_app
from levqor_desktop.cli.main import main
from levqor_desktop.core.jobs.runner import RunReport
from levqor_desktop.core.models.jobs import JobStatus
from levqor_desktop.ui.main_window import MainWindow
from tests.conftest import make_settings
from tests.helpers.memory_keyring import MemoryKeyring
from tests.reliability.jobs_support import NOOP

PROD = "acme-prod"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def prod_database(request: pytest.FixtureRequest, home: Path) -> str:
    """The production deployment's database: a SQLite file, or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'prod.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def cli_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEVQOR_HOME", str(home))
    monkeypatch.setenv("LEVQOR_METRICS_PORT", "0")
    for var in ("DATABASE_URL", "REDIS_URL", "NEW_QUEUE_ENABLED", "PG_ENABLED", "LEVQOR_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return home


def _add_profile(database_url: str, *workers: str) -> None:
    args = ["profiles", "add", PROD, "--database-url", database_url, "--env", "production"]
    assert main([*args, *workers]) == 0


def _status(app: App, job_id: int) -> JobStatus:
    assert app.actor is not None
    return app.jobs.get(app.actor, job_id).status


def test_the_window_on_production_runs_no_job_of_it(
    prod_database: str, cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_profile(prod_database)
    app = build_app(
        make_settings(cli_home, LEVQOR_METRICS_PORT="0"),
        profile=PROD,
        secret_backend=MemoryKeyring(),
    )
    try:
        window = SimpleNamespace(_app_factory=lambda profile: app)
        assert MainWindow._build_and_start(window, PROD) is app  # type: ignore[arg-type]
        kit = app.jobs_kit
        assert app.runs_job_workers is False
        for service in (kit.pool, kit.recovery, kit.retention):
            assert service not in app.started_background
        # The observers and the exactly-once services still run.
        for service in (app.sampler, kit.scheduler, kit.dispatcher, app.flag_flips):
            assert service in app.started_background
        assert app.actor is not None
        job = app.jobs.enqueue(app.actor, document=NOOP)
        kit.scheduler.tick()  # a service-driven round after the enqueue
        kit.dispatcher.tick()
        assert _status(app, job.id) is JobStatus.QUEUED
        status = app.status()
        assert status.workers_here is False
        assert "profile setting 'workers'" in status.workers_note and PROD in status.workers_note

        # The same profile's worker runs it, as servers run them.
        capsys.readouterr()
        assert main(["--profile", PROD, "worker", "--burst"]) == 0
        assert _status(app, job.id) is JobStatus.SUCCEEDED
    finally:
        app.close()


def test_with_workers_the_window_runs_them(
    prod_database: str, cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_profile(prod_database, "--workers")
    capsys.readouterr()
    assert main(["profiles", "show", PROD, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["workers"] == "run here"
    app = build_app(
        make_settings(cli_home, LEVQOR_METRICS_PORT="0"),
        profile=PROD,
        secret_backend=MemoryKeyring(),
    )
    try:
        finished = threading.Event()

        def on_report(report: RunReport) -> None:
            finished.set()

        app.jobs_kit.pool.listeners.append(on_report)
        window = SimpleNamespace(_app_factory=lambda profile: app)
        MainWindow._build_and_start(window, PROD)  # type: ignore[arg-type]
        assert app.runs_job_workers is True and app.jobs_kit.pool in app.started_background
        assert app.status().workers_here is True
        assert app.actor is not None
        job = app.jobs.enqueue(app.actor, document=NOOP)
        assert finished.wait(60)
        assert _status(app, job.id) is JobStatus.SUCCEEDED
    finally:
        app.close()


def test_profiles_cli_sets_and_shows_the_setting(
    cli_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{cli_home / 'p.db'}"
    _add_profile(db)
    assert "job workers: not run here (default)" in capsys.readouterr().out
    assert main(["profiles", "show", PROD]) == 0
    assert "not run here (default)" in capsys.readouterr().out
    _add_profile(db, "--replace", "--workers")
    capsys.readouterr()
    assert main(["profiles", "list", "--json"]) == 0
    listed = {p["name"]: p["workers"] for p in json.loads(capsys.readouterr().out)}
    assert listed == {"local": "run here (default)", PROD: "run here"}
    assert main(["profiles", "add", "lab", "--env", "local", "--no-workers"]) == 0
    path = make_settings(cli_home).config_dir / "profiles.json"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["profiles"]["lab"]["workers"] is False
    assert stored["profiles"][PROD]["workers"] is True
