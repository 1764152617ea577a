"""The flag audit trail's rows as values: an entry, a change, a flag's view."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from levqor_desktop.core.flags.definitions import FLAGS, Flag, FlagName
from levqor_desktop.core.flags.store import FlagState
from levqor_desktop.core.models.observability import FlagAudit
from levqor_desktop.errors import ValidationError


@dataclass(frozen=True)
class AuditEntry:
    """One row of the flag audit trail."""

    id: int
    at: dt.datetime
    flag: FlagName
    #: Stored (file) values; None means "not set": the default applied.
    old_value: bool | None
    new_value: bool | None
    old_effective: bool
    new_effective: bool
    source: str
    reason: str | None
    actor_name: str
    user_id: int | None
    org_id: int | None
    undoes_id: int | None
    #: The id of the change that undid this one, if any.
    undone_by: int | None = None


@dataclass(frozen=True)
class FlagChange:
    """A change that was made: its audit row and the states around it."""

    entry: AuditEntry
    old: FlagState
    new: FlagState

    @property
    def flag(self) -> FlagName:
        return self.entry.flag

    @property
    def risky(self) -> bool:
        return FLAGS[self.entry.flag].risky


@dataclass(frozen=True)
class FlagView:
    """What the Flags panel and ``levqor flags list`` show for one flag."""

    definition: Flag
    state: FlagState
    last_change: AuditEntry | None

    @property
    def env_var(self) -> str:
        return str(self.definition.name)


def describe_value(value: bool | None) -> str:
    return "unset" if value is None else ("on" if value else "off")


def flag_name(name: FlagName | str) -> FlagName:
    try:
        return FlagName(str(name).upper())
    except ValueError:
        raise ValidationError(f"unknown flag {name!r}; the flags are {', '.join(FLAGS)}") from None


def audit_entry(row: FlagAudit, undone_by: int | None) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.created_at,
        flag=FlagName(row.flag),
        old_value=row.old_value,
        new_value=row.new_value,
        old_effective=row.old_effective,
        new_effective=row.new_effective,
        source=row.source,
        reason=row.reason,
        actor_name=row.actor_name,
        user_id=row.user_id,
        org_id=row.org_id,
        undoes_id=row.undoes_id,
        undone_by=undone_by,
    )
