"""The workflow document: typed models, and :func:`parse_workflow` that reports every fault.

A workflow is a JSON object::

    {
      "name": "daily-digest", "version": 1, "description": "...",
      "trigger": {"type": "schedule", "cron": "0 8 * * 1-5", "timezone": "Europe/London"},
      "inputs": {"repo": {"type": "string", "required": true}},
      "steps": [
        {"id": "fetch", "uses": "core.http_request", "with": {"url": "..."},
         "retry": {"attempts": 3, "backoff_s": 2}, "timeout_s": 30},
        {"id": "post", "uses": "slack.post_message", "if": "steps.fetch.output.json",
         "with": {"channel": "#ops", "text": "{{ steps.fetch.output.json | length }} new"}}
      ]
    }

:func:`parse_workflow` never stops at the first problem: it collects structural faults
(pydantic) and semantic ones (:mod:`.checks`) and raises :class:`WorkflowInvalid` with
all of them, each with its JSON path and, when parsed from text, its line.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from levqor_desktop.core.workflows.actions import ActionCatalog
from levqor_desktop.core.workflows.checks import check_semantics
from levqor_desktop.core.workflows.jsonpos import Path, PositionMap, format_path, scan_positions
from levqor_desktop.core.workflows.templates import TemplateEngine, shared_engine
from levqor_desktop.errors import ValidationError

__all__ = [
    "Fault",
    "InputParam",
    "InputType",
    "ManualTrigger",
    "NodePosition",
    "RetryPolicy",
    "ScheduleTrigger",
    "Step",
    "Workflow",
    "WorkflowInvalid",
    "parse_workflow",
]

STEP_ID = r"^[A-Za-z_][A-Za-z0-9_]*$"
USES = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
InputType = Literal["string", "number", "integer", "boolean", "object", "array"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RetryPolicy(_Model):
    """Attempts of one step and the exponential backoff between them."""

    attempts: int = Field(1, ge=1, le=10)
    backoff_s: float = Field(1.0, ge=0, le=3600)
    max_backoff_s: float = Field(60.0, ge=0, le=86400)
    #: Up to this fraction of each delay is taken off at random, so retries spread out.
    jitter: float = Field(0.1, ge=0, le=1)

    def delay(self, failed_attempt: int, rng: random.Random) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1-based) failed."""
        base = min(self.max_backoff_s, self.backoff_s * 2.0 ** (failed_attempt - 1))
        return float(base) * (1 - self.jitter * rng.random())


class ManualTrigger(_Model):
    type: Literal["manual"] = "manual"


class ScheduleTrigger(_Model):
    """Run on a cron expression (5 fields) in an IANA time zone."""

    type: Literal["schedule"] = "schedule"
    cron: str
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(
                f"{value!r} is not a cron expression (5 fields: minute hour day month weekday)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/London)") from None
        return value

    def next_run_after(self, after: dt.datetime) -> dt.datetime:
        """The first run strictly after ``after`` (aware), in UTC."""
        if after.tzinfo is None:
            raise ValueError("next_run_after needs a time-zone aware datetime")
        local = after.astimezone(zoneinfo.ZoneInfo(self.timezone))
        nxt: dt.datetime = croniter(self.cron, local).get_next(dt.datetime)
        return nxt.astimezone(dt.UTC)


Trigger = Annotated[ManualTrigger | ScheduleTrigger, Field(discriminator="type")]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def type_matches(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind in ("number", "integer"):
        return False
    return isinstance(value, _PY_TYPES[kind])


class InputParam(_Model):
    type: InputType = "string"
    required: bool = False
    default: Any = None
    description: str = ""

    @model_validator(mode="after")
    def _default_fits(self) -> InputParam:
        if self.default is not None and not type_matches(self.type, self.default):
            raise ValueError(f"default {self.default!r} is not of type {self.type}")
        return self


class NodePosition(_Model):
    """Where the canvas draws a step; the runner ignores it."""

    x: float = 0.0
    y: float = 0.0


class Step(_Model):
    id: str = Field(pattern=STEP_ID, max_length=64)
    uses: str = Field(pattern=USES, max_length=128)
    description: str = ""
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    if_: str | None = Field(None, alias="if", min_length=1)
    retry: RetryPolicy = RetryPolicy()
    timeout_s: float | None = Field(None, gt=0, le=86400)
    #: Ids of the steps this one waits for. ``None`` (absent) means "the previous step"
    #: (today's list order); ``[]`` makes it a root that starts at once.
    needs: list[str] | None = None
    #: Canvas layout (position); never read by the runner.
    ui: NodePosition | None = None


class Workflow(_Model):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.\-]*$")
    version: int = Field(1, ge=1)
    description: str = ""
    trigger: Trigger = ManualTrigger()
    inputs: dict[str, InputParam] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    #: When a step fails: ``stop`` cancels the steps not yet started, ``continue`` lets
    #: the branches that do not depend on it finish. The job fails either way.
    on_failure: Literal["stop", "continue"] = "stop"
    #: Steps of one job that may run at the same time.
    max_parallel: int = Field(4, ge=1, le=64)
    #: Canvas view state (zoom, centre); never read by the runner.
    ui: dict[str, Any] | None = None

    @field_validator("inputs")
    @classmethod
    def _input_names(cls, value: dict[str, InputParam]) -> dict[str, InputParam]:
        for name in value:
            if not re.match(STEP_ID, name):
                raise ValueError(f"input name {name!r} must be an identifier (letters, digits, _)")
        return value

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def to_document(self) -> dict[str, Any]:
        """The JSON form (with ``with``/``if`` spelled as in the file)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class Fault:
    """One problem of a workflow document: where (JSON path, line) and what."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        return (
            f"{self.line}: {self.path}: {self.message}"
            if self.line
            else f"{self.path}: {self.message}"
        )


class WorkflowInvalid(ValidationError):
    """The document does not describe a valid workflow; ``faults`` lists every problem."""

    def __init__(self, faults: list[Fault]) -> None:
        count = len(faults)
        first = f": {faults[0]}" if faults else ""
        more = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(f"the workflow has {count} fault{'s' * (count != 1)}{first}{more}")
        self.faults = faults


def _friendly(error: Mapping[str, Any]) -> str:
    kind, msg = error["type"], str(error["msg"])
    if kind == "missing":
        return f"required field {error['loc'][-1]!r} is missing"
    if kind == "extra_forbidden":
        return f"unknown field {error['loc'][-1]!r}"
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "uses":
        return "'uses' must look like connector.action or core.<name>"
    if kind == "string_pattern_mismatch" and error["loc"][-1] == "id":
        return "a step id must be an identifier (letters, digits, _; not starting with a digit)"
    return msg.removeprefix("Value error, ")


def _loc_to_path(loc: tuple[Any, ...], data: Any) -> Path:
    """Pydantic's error location as a path into ``data`` (discriminator tags dropped)."""
    path: list[str | int] = []
    node = data
    for n, part in enumerate(loc):
        if isinstance(node, dict) and isinstance(part, str) and part not in node:
            if n < len(loc) - 1:
                continue  # a union tag such as "schedule" in ("trigger", "schedule", "cron")
            path.append(part)
            break
        path.append(part)
        node = node[part] if isinstance(node, dict | list) else None
    return tuple(path)


def parse_workflow(
    source: str | bytes | Mapping[str, Any],
    *,
    catalog: ActionCatalog | None = None,
    engine: TemplateEngine | None = None,
) -> Workflow:
    """Validate ``source`` (JSON text or already-decoded data) into a :class:`Workflow`.

    With a ``catalog``, each step's ``uses`` must name a known action and carry the
    action's required inputs; without one those two checks are skipped.
    Raises :class:`WorkflowInvalid` listing every fault.
    """
    positions: PositionMap | None = None
    if isinstance(source, str | bytes):
        text = source.decode("utf-8") if isinstance(source, bytes) else source
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise WorkflowInvalid(
                [Fault("$", f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)]
            ) from None
        positions = scan_positions(text)
    else:
        data = source
    found: list[tuple[Path, str]] = []
    if positions is not None:
        found += [(path, f"key {path[-1]!r} is given twice") for path, _ in positions.duplicates]
    workflow: Workflow | None = None
    if not isinstance(data, Mapping):
        found.append(((), "a workflow must be a JSON object"))
    else:
        data = dict(data)
        try:
            workflow = Workflow.model_validate(data)
        except PydanticValidationError as exc:
            found += [(_loc_to_path(e["loc"], data), _friendly(e)) for e in exc.errors()]
        found += check_semantics(data, catalog, engine or shared_engine())
    if found or workflow is None:
        raise WorkflowInvalid(_to_faults(found, positions))
    return workflow


def _to_faults(found: list[tuple[Path, str]], positions: PositionMap | None) -> list[Fault]:
    faults: list[Fault] = []
    seen: set[tuple[str, str]] = set()
    for path, message in found:
        key = (format_path(path), message)
        if key in seen:
            continue
        seen.add(key)
        where = positions.locate(path) if positions else None
        line, column = where if where else (None, None)
        faults.append(Fault(key[0], message, line, column))
    if positions is not None:
        faults.sort(key=lambda f: (f.line or 0, f.column or 0))
    return faults
