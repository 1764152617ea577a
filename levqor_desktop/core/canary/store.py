"""Canary runs and saved deployments in the database."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from levqor_desktop.core.canary.results import CheckResult, Status
from levqor_desktop.core.canary.targets import normalize_url
from levqor_desktop.core.canary.verdict import Verdict
from levqor_desktop.core.db import Database
from levqor_desktop.core.models.canary import CanaryDeployment, CanaryResult, CanaryRun
from levqor_desktop.errors import NotFoundError, ValidationError

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
_ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")


@dataclass
class RunReport:
    """One canary run: what ran against what, each check's result, and the verdict."""

    target: str
    target_label: str
    verdict: Verdict
    results: list[CheckResult]
    started_at: dt.datetime
    finished_at: dt.datetime
    trigger: str = "manual"
    change: str | None = None
    rollback: str | None = None
    baseline_run_id: int | None = None
    id: int | None = None
    org_id: int | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "target": self.target,
            "target_label": self.target_label,
            "verdict": self.verdict.value,
            "trigger": self.trigger,
            "change": self.change,
            "rollback": self.rollback,
            "baseline_run_id": self.baseline_run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "checks": [r.to_dict() for r in self.results],
        }


@dataclass(frozen=True)
class Deployment:
    id: int
    name: str
    url: str
    api_key_env: str | None
    api_key_secret: str | None


class CanaryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- runs -------------------------------------------------------------------------

    def save(self, report: RunReport, org_id: int) -> int:
        with self._db.write_session() as session:
            run = CanaryRun(
                org_id=org_id,
                target=report.target,
                target_label=report.target_label[:200],
                verdict=report.verdict.value,
                trigger=report.trigger,
                change=report.change,
                rollback=report.rollback,
                baseline_run_id=report.baseline_run_id,
                started_at=report.started_at,
                finished_at=report.finished_at,
            )
            run.results = [
                CanaryResult(
                    position=n,
                    check_name=r.name,
                    status=r.status.value,
                    value=r.value,
                    unit=r.unit,
                    threshold=r.threshold,
                    summary=r.summary,
                    advice=r.advice,
                    baseline=r.baseline,
                    details=r.details,
                )
                for n, r in enumerate(report.results)
            ]
            session.add(run)
            session.flush()
            report.id, report.org_id = run.id, org_id
            return run.id

    def set_rollback(self, run_id: int, text: str) -> None:
        with self._db.write_session() as session:
            run = session.get(CanaryRun, run_id)
            if run is None:
                raise NotFoundError(f"no canary run {run_id}")
            run.rollback = text

    def last_passing(self, org_id: int, target: str) -> RunReport | None:
        with self._db.session() as session:
            run = session.scalar(
                select(CanaryRun)
                .options(selectinload(CanaryRun.results))
                .where(
                    CanaryRun.org_id == org_id,
                    CanaryRun.target == target,
                    CanaryRun.verdict == Verdict.PASS.value,
                )
                .order_by(CanaryRun.id.desc())
                .limit(1)
            )
            return None if run is None else _report(run)

    def history(
        self, org_id: int, *, limit: int = 50, target: str | None = None
    ) -> list[RunReport]:
        with self._db.session() as session:
            query = (
                select(CanaryRun)
                .options(selectinload(CanaryRun.results))
                .where(CanaryRun.org_id == org_id)
                .order_by(CanaryRun.id.desc())
                .limit(limit)
            )
            if target is not None:
                query = query.where(CanaryRun.target == target)
            return [_report(run) for run in session.scalars(query)]

    def get(self, org_id: int, run_id: int) -> RunReport:
        with self._db.session() as session:
            run = session.scalar(
                select(CanaryRun)
                .options(selectinload(CanaryRun.results))
                .where(CanaryRun.org_id == org_id, CanaryRun.id == run_id)
            )
            if run is None:
                raise NotFoundError(f"no canary run {run_id}")
            return _report(run)

    # -- deployments ------------------------------------------------------------------

    def add_deployment(
        self,
        org_id: int,
        name: str,
        url: str,
        *,
        api_key_env: str | None = None,
        api_key_secret: str | None = None,
    ) -> Deployment:
        name = name.strip()
        if not _NAME_RE.match(name):
            raise ValidationError(
                f"deployment name {name!r}: use 1-100 letters, digits, spaces, . _ -"
            )
        if api_key_env is not None and not _ENV_RE.match(api_key_env):
            raise ValidationError(f"{api_key_env!r} is not an environment variable name")
        normalized = normalize_url(url)
        with self._db.write_session() as session:
            exists = session.scalar(
                select(CanaryDeployment.id).where(
                    CanaryDeployment.org_id == org_id, CanaryDeployment.name == name
                )
            )
            if exists is not None:
                raise ValidationError(f"a deployment named {name!r} exists already")
            row = CanaryDeployment(
                org_id=org_id,
                name=name,
                url=normalized,
                api_key_env=api_key_env,
                api_key_secret=api_key_secret,
            )
            session.add(row)
            session.flush()
            return _deployment(row)

    def deployments(self, org_id: int) -> list[Deployment]:
        with self._db.session() as session:
            rows = session.scalars(
                select(CanaryDeployment)
                .where(CanaryDeployment.org_id == org_id)
                .order_by(CanaryDeployment.name)
            )
            return [_deployment(r) for r in rows]

    def deployment(self, org_id: int, name: str) -> Deployment:
        for d in self.deployments(org_id):
            if d.name == name:
                return d
        raise NotFoundError(f"no saved deployment named {name!r}")

    def remove_deployment(self, org_id: int, name: str) -> None:
        with self._db.write_session() as session:
            gone = session.execute(
                delete(CanaryDeployment).where(
                    CanaryDeployment.org_id == org_id, CanaryDeployment.name == name
                )
            )
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise NotFoundError(f"no saved deployment named {name!r}")


def _report(run: CanaryRun) -> RunReport:
    return RunReport(
        id=run.id,
        org_id=run.org_id,
        target=run.target,
        target_label=run.target_label,
        verdict=Verdict(run.verdict),
        trigger=run.trigger,
        change=run.change,
        rollback=run.rollback,
        baseline_run_id=run.baseline_run_id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        results=[
            CheckResult(
                name=r.check_name,
                status=Status(r.status),
                value=r.value,
                unit=r.unit,
                threshold=r.threshold,
                summary=r.summary,
                advice=r.advice,
                baseline=r.baseline,
                details=dict(r.details or {}),
            )
            for r in run.results
        ],
    )


def _deployment(row: CanaryDeployment) -> Deployment:
    return Deployment(row.id, row.name, row.url, row.api_key_env, row.api_key_secret)
