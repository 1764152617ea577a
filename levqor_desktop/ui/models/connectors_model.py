"""The Connectors board as a Qt table model."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from levqor_desktop.core.integrations import ConnectorInfo
from levqor_desktop.ui.models.table_base import HeaderedTableModel
from levqor_desktop.ui.theme import FAIL, OK

COLUMNS = (
    "Connector",
    "Category",
    "Tier",
    "Accounts",
    "Last check",
    "Calls today",
    "Errors",
    "Latency",
)

Index = QModelIndex | QPersistentModelIndex


def last_check(card: ConnectorInfo) -> tuple[str, bool | None]:
    """The board's summary of a card's checks: text and ok (None: never checked)."""
    checked = [a for a in card.accounts if a.last_check_ok is not None]
    if not card.accounts:
        return "no account", None
    if not checked:
        return "not checked", None
    if card.failing:
        failed = [a.label for a in checked if a.last_check_ok is False]
        return f"failed: {', '.join(failed)}", False
    newest = max(a.last_check_at for a in checked if a.last_check_at is not None)
    return f"ok {newest:%H:%M}Z", True


class ConnectorsModel(HeaderedTableModel):
    HEADERS = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.cards: list[ConnectorInfo] = []

    def set_cards(self, cards: list[ConnectorInfo]) -> None:
        self.beginResetModel()
        self.cards = list(cards)
        self.endResetModel()

    def card(self, row: int) -> ConnectorInfo | None:
        return self.cards[row] if 0 <= row < len(self.cards) else None

    def row_count(self) -> int:
        return len(self.cards)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        card = self.cards[index.row()]
        col = index.column()
        check_text, check_ok = last_check(card)
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                card.title,
                card.category,
                card.tier,
                len(card.accounts),
                check_text,
                card.calls_today,
                card.errors_today,
                "—" if card.avg_latency_ms_today is None else f"{card.avg_latency_ms_today:.0f} ms",
            )[col]
        if role == Qt.ItemDataRole.UserRole:
            # Sort keys: numbers as numbers.
            return (
                card.title,
                card.category,
                card.tier,
                len(card.accounts),
                check_text,
                card.calls_today,
                card.errors_today,
                card.avg_latency_ms_today or 0.0,
            )[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == 4 and check_ok is not None:
            return QColor(OK if check_ok else FAIL)
        if role == Qt.ItemDataRole.ForegroundRole and col == 6 and card.errors_today:
            return QColor(FAIL)
        if role == Qt.ItemDataRole.ToolTipRole:
            return card.description
        return None
