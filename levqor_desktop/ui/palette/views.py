"""Saved views on the Qt side: read a panel's filter widgets and sort, and put them back.

Which widgets count is declared per panel (``view_widgets``, ``view_table`` in
:mod:`levqor_desktop.ui.panels.offers`); this module knows the widget kinds. Combo boxes
are kept by their item text, so a saved view survives items being added or reordered.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QSpinBox, QTableView

from levqor_desktop.core.saved_views import SavedView
from levqor_desktop.ui.panels.base import Panel


def capture(panel: Panel, name: str) -> SavedView:
    """The panel's current filters and sort as a view called ``name``."""
    offer = panel.offer()
    filters: dict[str, Any] = {}
    for attr in offer.view_widgets:
        value = _read(getattr(panel, attr))
        if value is not None:
            filters[attr] = value
    sort = None
    if offer.view_table is not None:
        header = _table(panel, offer.view_table).horizontalHeader()
        if header.isSortIndicatorShown():
            descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
            sort = (header.sortIndicatorSection(), "desc" if descending else "asc")
    return SavedView(name, filters, sort)


def apply(panel: Panel, view: SavedView) -> list[str]:
    """Put ``view`` back on the panel; returns what could not be restored (by name)."""
    offer = panel.offer()
    missed: list[str] = []
    for attr in offer.view_widgets:
        if attr in view.filters and not _write(getattr(panel, attr), view.filters[attr]):
            missed.append(attr)
    if view.sort is not None and offer.view_table is not None:
        column, order = view.sort
        table = _table(panel, offer.view_table)
        if 0 <= column < table.model().columnCount():
            qt_order = (
                Qt.SortOrder.DescendingOrder if order == "desc" else Qt.SortOrder.AscendingOrder
            )
            table.sortByColumn(column, qt_order)
        else:
            missed.append("sort")
    return missed


def supports_views(panel: Panel) -> bool:
    offer = panel.offer()
    return bool(offer.view_widgets or offer.view_table)


def _table(panel: Panel, attr: str) -> QTableView:
    table = getattr(panel, attr)
    assert isinstance(table, QTableView), attr
    return table


def _read(widget: object) -> Any:
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QAbstractButton):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    return None


def _write(widget: object, value: Any) -> bool:
    if isinstance(widget, QLineEdit) and isinstance(value, str):
        widget.setText(value)
    elif isinstance(widget, QComboBox) and isinstance(value, str):
        index = widget.findText(value)
        if index < 0:
            return False
        widget.setCurrentIndex(index)
    elif isinstance(widget, QAbstractButton) and isinstance(value, bool):
        widget.setChecked(value)
    elif isinstance(widget, QSpinBox) and isinstance(value, int):
        widget.setValue(value)
    else:
        return False
    return True
