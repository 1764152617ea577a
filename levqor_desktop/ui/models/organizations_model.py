"""Qt item models of the Organizations panel: organizations, and one's members."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from levqor_desktop.core.orgs import MemberView, OrgView
from levqor_desktop.ui.models.table_base import HeaderedTableModel

Index = QModelIndex | QPersistentModelIndex


class RowsModel(HeaderedTableModel):
    """A read-only table of items, one row each, its cells given by ``cells(item)``."""

    def __init__(self, headers: tuple[str, ...], cells: Callable[[Any], tuple[str, ...]]) -> None:
        super().__init__()
        self.HEADERS = headers
        self.cells = cells
        self.rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row())
        if item is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.cells(item)[index.column()]


def _org_cells(item: OrgView) -> tuple[str, ...]:
    return (item.name, item.slug, str(item.role or ""), str(item.members))


def _member_cells(item: MemberView) -> tuple[str, ...]:
    return (item.display_name, str(item.role), item.email_sha256[:16] + "…")


def orgs_model() -> RowsModel:
    return RowsModel(("Organization", "Slug", "Your role", "Members"), _org_cells)


def members_model() -> RowsModel:
    return RowsModel(("Name", "Role", "E-mail (SHA-256)"), _member_cells)
