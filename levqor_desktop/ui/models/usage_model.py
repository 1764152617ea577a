"""Data of the Usage panel: one snapshot read off the UI thread, and its table models."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.models.usage import Metric, Period
from levqor_desktop.core.orgs import MemberView
from levqor_desktop.core.tenancy import Actor
from levqor_desktop.core.usage import LimitStatus, TopEntry
from levqor_desktop.core.usage.formatting import LABELS, format_amount, format_usd
from levqor_desktop.core.usage.periods import describe_reset
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, WARN

if TYPE_CHECKING:
    from levqor_desktop.app import App

Index = QModelIndex | QPersistentModelIndex
GRAPH_DAYS = 30


@dataclass(frozen=True)
class UsageSnapshot:
    actor: Actor
    org_name: str
    user_id: int | None  # None: the whole organization
    period: Period
    totals: dict[Metric, int]
    statuses: list[LimitStatus]
    series: dict[Metric, list[tuple[dt.date, int]]]
    top_connectors: list[TopEntry]
    top_workflows: list[TopEntry]
    top_users: list[TopEntry]
    members: list[MemberView]


def load_usage(app: App, actor: Actor, user_id: int | None, period: Period) -> UsageSnapshot:
    """Everything the panel shows, for one actor (runs off the UI thread)."""
    usage = app.usage
    org_name = next(
        (o.name for o in app.orgs.organizations(actor) if o.id == actor.org_id), "organization"
    )
    return UsageSnapshot(
        actor=actor,
        org_name=org_name,
        user_id=user_id,
        period=period,
        totals=usage.totals(actor, period, user_id=user_id),
        statuses=usage.limits.statuses(actor, user_id=user_id),
        series={m: usage.series(actor, m, GRAPH_DAYS, user_id=user_id) for m in Metric},
        top_connectors=usage.top_connectors(actor, period),
        top_workflows=usage.top_workflows(actor, period),
        top_users=usage.top_users(actor, Metric.CONNECTOR_CALLS, period),
        members=app.orgs.members(actor),
    )


def level_colour(level: int) -> str | None:
    """Amber from 75 %, red at 100 % (the 50 % threshold is an alert, not a colour)."""
    if level >= 100:
        return FAIL
    if level >= 75:
        return WARN
    return None


class LimitsModel(HeaderedTableModel):
    HEADERS = ("For", "Metric", "Per", "Kind", "Limit", "Used", "%", "Resets")

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[LimitStatus] = []

    def set_statuses(self, statuses: list[LimitStatus]) -> None:
        self.beginResetModel()
        self.statuses = statuses
        self.endResetModel()

    def status_at(self, row: int) -> LimitStatus | None:
        return self.statuses[row] if 0 <= row < len(self.statuses) else None

    def row_count(self) -> int:
        return len(self.statuses)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        status = self.status_at(index.row())
        if status is None:
            return None
        limit = status.limit
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{'org' if limit.user_id is None else 'user'}: {limit.scope_name}",
                LABELS[limit.metric],
                str(limit.period),
                str(limit.enforcement),
                format_amount(limit.metric, limit.value),
                format_amount(limit.metric, status.used + status.reserved),
                f"{status.fraction * 100:.0f}%",
                describe_reset(status.resets_at),
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 6:
            colour = level_colour(status.level)
            return QColor(colour) if colour else None
        return None


class TopModel(HeaderedTableModel):
    """A ranking: name, amount of the ranked metric, and cost."""

    def __init__(self, what: str, amount_label: str, *, with_cost: bool = True) -> None:
        super().__init__()
        self.HEADERS = (what, amount_label, "Cost") if with_cost else (what, amount_label)
        self.entries: list[TopEntry] = []

    def set_entries(self, entries: list[TopEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not (0 <= index.row() < len(self.entries)):
            return None
        entry = self.entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (entry.label, f"{entry.amount:,}", format_usd(entry.cost_micro_usd))[
                index.column()
            ]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
