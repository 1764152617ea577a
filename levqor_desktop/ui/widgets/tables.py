"""The read-only row tables of the panels, set up alike."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def row_table(
    model: QAbstractItemModel,
    *,
    fit: bool = True,
    stretch: int | Literal["last"] | None = None,
    alternate: bool = False,
    row_height: int | None = None,
) -> QTableView:
    """A table that shows ``model`` as rows: one whole row selected at a time, nothing
    edited in place, no row numbers, no wrapped cells.

    ``fit``: columns sized to their contents; ``stretch``: the column (or the last one)
    that takes the width left over; ``row_height``: a fixed height for dense lists.
    """
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setWordWrap(False)
    view.setAlternatingRowColors(alternate)
    view.verticalHeader().hide()
    if row_height is not None:
        view.verticalHeader().setDefaultSectionSize(row_height)
    header = view.horizontalHeader()
    if fit:
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch == "last":
        header.setStretchLastSection(True)
    elif stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view
