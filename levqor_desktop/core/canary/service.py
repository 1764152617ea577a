"""``app.canary``: run the canary against this app or a saved deployment, keep its history.

The composition root wires it (:func:`levqor_desktop.wiring.canary.build_canary`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Protocol

import httpx

from levqor_desktop.core.canary.auto import AutoCanary, Recorder, RiskyChange
from levqor_desktop.core.canary.reports import ConnectorCheck
from levqor_desktop.core.canary.results import Thresholds
from levqor_desktop.core.canary.runner import CanaryMetrics, CanaryRunner, CheckListener
from levqor_desktop.core.canary.sources import (
    LocalSources,
)
from levqor_desktop.core.canary.store import CanaryStore, Deployment, RunReport
from levqor_desktop.core.canary.targets import CanaryTarget, InProcessTarget, RemoteTarget
from levqor_desktop.core.db import Database
from levqor_desktop.core.models import utcnow
from levqor_desktop.core.permissions import Permission, require
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.errors import ConfigError, ValidationError

#: Keyring entries of saved deployments' API keys: ``canary:deployment:<name>``.
SECRET_PREFIX = "canary:deployment:"


class CanaryService:
    def __init__(
        self,
        sources: LocalSources,
        store: CanaryStore,
        *,
        canary_mode: Callable[[], bool],
        default_actor: Callable[[], Actor | None],
        environ: Mapping[str, str],
        secrets: Callable[[], Any] = lambda: None,
        metrics: CanaryMetrics | None = None,
        thresholds: Thresholds | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.sources = sources
        self.store = store
        self.runner = CanaryRunner(store, thresholds=thresholds, metrics=metrics, clock=clock)
        self._environ = environ
        self._secrets = secrets
        self._default_actor = default_actor
        self.auto = AutoCanary(
            self._auto_run,
            enabled=canary_mode,
            record_rollback=self.runner.record_rollback,
            default_actor=default_actor,
        )

    # -- targets -----------------------------------------------------------------------

    def local_target(self) -> InProcessTarget:
        return InProcessTarget(self.sources)

    def remote_target(
        self,
        url: str,
        api_key: str | None,
        *,
        label: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> RemoteTarget:
        return RemoteTarget(url, api_key, label=label, transport=transport)

    def deployment_target(self, actor: Actor, name: str) -> RemoteTarget:
        deployment = self.store.deployment(actor.org_id, name)
        return RemoteTarget(deployment.url, self._key_of(deployment), label=deployment.name)

    def _key_of(self, deployment: Deployment) -> str | None:
        if deployment.api_key_env:
            key = self._environ.get(deployment.api_key_env)
            if not key:
                raise ConfigError(
                    f"the API key of {deployment.name!r} is read from "
                    f"${deployment.api_key_env}, which is not set"
                )
            return key
        if deployment.api_key_secret and self._secrets() is not None:
            value = self._secrets().get(deployment.api_key_secret)
            return None if value is None else str(value)
        return None

    # -- runs --------------------------------------------------------------------------

    def run(
        self,
        actor: Actor,
        target: CanaryTarget | None = None,
        *,
        trigger: str = "manual",
        change: str | None = None,
        on_check: CheckListener | None = None,
    ) -> RunReport:
        """Run every check against ``target`` (this app by default) and store the run."""
        require(actor, Permission.RUN_CANARY)
        target = target or self.local_target()
        try:
            return self.runner.run(
                target, org_id=actor.org_id, trigger=trigger, change=change, on_check=on_check
            )
        finally:
            close = getattr(target, "close", None)
            if callable(close):
                close()

    def _auto_run(self, change: RiskyChange) -> RunReport:
        actor = change.actor or self._default_actor()
        return self.runner.run(
            self.local_target(),
            org_id=actor.org_id if actor else None,
            trigger="auto",
            change=change.description,
        )

    @contextmanager
    def switch_check(
        self, migrations: Any, change: RiskyChange
    ) -> Iterator[tuple[Callable[[], RunReport], Recorder]]:
        """A canary run against the database a switch just made current.

        The running App still uses the old database until its next start, so the checks
        get sources over the new one, and the run is stored there: after a switch the new
        database is the record, and a rollback carries rows written since back to SQLite.
        """
        target = migrations.target()
        db = Database(str(target.sqlalchemy_url))
        runner = CanaryRunner(
            CanaryStore(db), thresholds=self.runner.thresholds, metrics=self.runner.metrics
        )
        actor = change.actor or self._default_actor()

        def run() -> RunReport:
            return runner.run(
                InProcessTarget(
                    replace(self.sources, db=db), label=f"this app on {target.display}"
                ),
                org_id=actor.org_id if actor else None,
                trigger="auto",
                change=change.description,
            )

        try:
            yield run, runner.record_rollback
        finally:
            db.dispose()

    def history(
        self, actor: Actor, *, limit: int = 50, target: str | None = None
    ) -> list[RunReport]:
        require(actor, Permission.READ)
        return self.store.history(actor.org_id, limit=limit, target=target)

    def get(self, actor: Actor, run_id: int) -> RunReport:
        require(actor, Permission.READ)
        return self.store.get(actor.org_id, run_id)

    # -- saved deployments -------------------------------------------------------------

    def deployments(self, actor: Actor) -> list[Deployment]:
        require(actor, Permission.READ)
        return self.store.deployments(actor.org_id)

    def add_deployment(
        self,
        actor: Actor,
        name: str,
        url: str,
        *,
        api_key_env: str | None = None,
        api_key: str | None = None,
    ) -> Deployment:
        """Save a deployment; its key is read from ``$api_key_env`` or kept in the keyring."""
        require(actor, Permission.MANAGE_CREDENTIALS)
        if api_key_env and api_key:
            raise ValidationError("give the key's environment variable or the key, not both")
        secret_name = None
        if api_key:
            if self._secrets() is None:
                raise ConfigError("no keyring to keep the deployment's API key in")
            secret_name = f"{SECRET_PREFIX}{name.strip()}"
        deployment = self.store.add_deployment(
            actor.org_id, name, url, api_key_env=api_key_env, api_key_secret=secret_name
        )
        if api_key and secret_name:
            try:
                self._secrets().set(secret_name, api_key)
            except Exception:
                self.store.remove_deployment(actor.org_id, deployment.name)
                raise
        return deployment

    def remove_deployment(self, actor: Actor, name: str) -> None:
        require(actor, Permission.MANAGE_CREDENTIALS)
        deployment = self.store.deployment(actor.org_id, name)
        self.store.remove_deployment(actor.org_id, name)
        if deployment.api_key_secret and self._secrets() is not None:
            self._secrets().delete(deployment.api_key_secret)

    def close(self) -> None:
        self.auto.stop()


class ConnectorAccounts(Protocol):
    """``app.connectors``: the organization's accounts, and ``check()`` of one."""

    def accounts(self, actor: Actor) -> Sequence[Any]: ...

    def check(self, actor: Actor, connector: str, label: str = ...) -> Any: ...


class AccountChecks:
    """Every configured account's ``check()``, as the operator of this installation."""

    def __init__(self, service: ConnectorAccounts, actor: Callable[[], Actor | None]) -> None:
        self._service = service
        self._actor = actor

    def check_accounts(self) -> list[ConnectorCheck]:
        actor = self._actor()
        if actor is None:
            return []
        out: list[ConnectorCheck] = []
        for account in self._service.accounts(actor):
            connector, label = str(account.connector), str(account.label)
            try:
                result = self._service.check(actor, connector, label)
                ok, detail = bool(result.ok), str(result.detail)
            except Exception as exc:  # a missing secret, an unknown connector, a bug
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            out.append(ConnectorCheck(connector=connector, account=label, ok=ok, detail=detail))
        return out
