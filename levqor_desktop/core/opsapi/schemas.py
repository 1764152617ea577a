"""Request and response bodies of the ops API (its OpenAPI schemas).

The canary's reports (:mod:`levqor_desktop.core.canary.reports`) are the bodies of the
ops endpoints; these are the rest.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class ErrorBody(BaseModel):
    error: str = Field(description="what is wrong, for a person")
    field: str | None = Field(default=None, description="the parameter at fault, if one is")
    hint: str | None = Field(default=None, description="how to fix it, when known")


class FlagChangeOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    source: str
    reason: str | None


class FlagOut(BaseModel):
    name: str
    description: str
    value: bool = Field(description="the effective value")
    default: bool
    risky: bool
    source: str = Field(description="default, file or environment")
    locked: bool = Field(description="forced by an environment variable: cannot be changed")
    last_change: FlagChangeOut | None


class FlagList(BaseModel):
    flags: list[FlagOut]


class FlagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: StrictBool | None = Field(description="true, false, or null to remove the setting")
    reason: str | None = Field(
        default=None, max_length=2000, description="why; required for risky flags"
    )


class FlagUpdateOut(BaseModel):
    changed: bool
    audit_id: int | None
    flag: FlagOut


class UserRef(BaseModel):
    id: int
    display_name: str
    role: str


class UsageOut(BaseModel):
    user: UserRef
    period: str
    since: dt.date
    totals: dict[str, int] = Field(description="metric -> amount (cost_usd in micro-dollars)")


class LimitOut(BaseModel):
    id: int
    scope: str = Field(description="organization or user")
    metric: str
    period: str
    enforcement: str
    value: int
    used: int
    reserved: int
    remaining: int
    level: int = Field(description="highest alert level reached: 0, 50, 75 or 100")
    resets_at: dt.datetime


class LimitsOut(BaseModel):
    user: UserRef
    limits: list[LimitOut]


class JobSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: str | None = Field(
        default=None, max_length=200, description="a stored workflow's name or id"
    )
    document: dict[str, Any] | None = Field(
        default=None, description="or an ad hoc workflow document (as `levqor run` takes)"
    )
    inputs: dict[str, Any] = Field(default_factory=dict, description="the run's inputs")
    priority: int = Field(default=0, ge=-100, le=100, description="higher runs first")


class JobOut(BaseModel):
    id: int
    workflow: str
    status: str = Field(description="queued, running, succeeded, failed or canceled")
    backend: str = Field(description="local or rq")
    queue: str
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
