"""Qt item models for the Flags panel: the seven flags, and the audit trail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.flags import FlagName, Source
from levqor_desktop.core.flags.rollout import Rollout
from levqor_desktop.core.flags.service import AuditEntry, FlagView, describe_value
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import MUTED, OK

Index = QModelIndex | QPersistentModelIndex


def describe_change(entry: AuditEntry | None) -> str:
    if entry is None:
        return "never changed here"
    who = f"{entry.actor_name} via {entry.source}"
    why = f" — {entry.reason}" if entry.reason else ""
    return (
        f"#{entry.id} {entry.at:%Y-%m-%d %H:%M} UTC: {describe_value(entry.old_value)} → "
        f"{describe_value(entry.new_value)} by {who}{why}"
    )


def describe_source(view: FlagView) -> str:
    state = view.state
    if state.source is Source.ENVIRONMENT:
        return f"locked: environment variable {view.env_var}"
    if state.source is Source.FILE:
        # Every profile's flags file has this name (local's in the config folder, any
        # other's in profiles/<name>/), so the label is true on each.
        return "flags.json"
    return "default"


class FlagsModel(HeaderedTableModel):
    HEADERS = ("Flag", "State", "Source", "What it gates", "Last change")

    def __init__(self) -> None:
        super().__init__()
        self.views: list[FlagView] = []
        #: Each flag's rollout, if any (its share is shown with the state).
        self.rollouts: Mapping[FlagName, Rollout] = {}

    def set_views(self, views: list[FlagView]) -> None:
        if [v.definition.name for v in views] == [v.definition.name for v in self.views]:
            # Same rows: update in place (keeps the selection).
            self.views = views
            if views:
                self.dataChanged.emit(self.index(0, 0), self.index(len(views) - 1, 4))
            return
        self.beginResetModel()
        self.views = views
        self.endResetModel()

    def describe_state(self, view: FlagView) -> str:
        if view.state.value:
            return "on"
        rollout = self.rollouts.get(view.definition.name)
        return f"off · on for {rollout.describe()}" if rollout else "off"

    def view_at(self, row: int) -> FlagView | None:
        return self.views[row] if 0 <= row < len(self.views) else None

    def row_count(self) -> int:
        return len(self.views)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        view = self.view_at(index.row())
        if view is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            risky = " ⚠" if view.definition.risky else ""
            return (
                f"{view.definition.name}{risky}",
                self.describe_state(view),
                describe_source(view),
                view.definition.description,
                describe_change(view.last_change),
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 1:
            return QColor(OK if view.state.value else MUTED)
        if role == Qt.ItemDataRole.ToolTipRole:
            if view.state.locked:
                return (
                    f"Forced by the environment variable {view.env_var}; unset it to change "
                    "the flag here."
                )
            if view.definition.risky:
                return "Risky: changing it asks for confirmation and a reason."
            return view.definition.description
        return None


class FlagAuditModel(HeaderedTableModel):
    HEADERS = ("#", "When (UTC)", "Flag", "Change", "Who", "Via", "Reason")

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[AuditEntry] = []

    def set_entries(self, entries: list[AuditEntry]) -> None:
        if entries == self.entries:
            return
        self.beginResetModel()
        self.entries = entries
        self.endResetModel()

    def entry_at(self, row: int) -> AuditEntry | None:
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def row_count(self) -> int:
        return len(self.entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        e = self.entry_at(index.row())
        if e is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            reason = e.reason or ""
            if e.undone_by:
                reason += f" (undone by #{e.undone_by})"
            return (
                str(e.id),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                str(e.flag),
                (
                    f"{describe_value(e.old_value)} → {describe_value(e.new_value)}"
                    if e.old_value != e.new_value
                    else "— (event)"  # a request, flip or rollout event: no value changed
                ),
                e.actor_name,
                e.source,
                reason,
            )[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and e.undone_by:
            return QColor(MUTED)
        return None
