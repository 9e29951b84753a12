"""A table model over ranked analytics records (suspicious ingresses, provider dossiers).

The core hands over a ranked list of plain records; the model shows them through column
specs, formats only the cell asked for, and sorts through an index (the records and their
rank stay as the core ranked them, so "#" always tells where a row stood).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    """One column: its title, how a record reads in it, and how it sorts."""

    title: str
    text: Callable[[Any], str]
    key: Callable[[Any], float | str] | None = None  # sort key; the text when None
    tip: str = ""  # header tooltip: what the figure means
    cell_tip: Callable[[Any], str] | None = None  # tooltip of a cell (the full text if None)
    numeric: bool = False  # right-aligned
    bold: Callable[[Any], bool] | None = None  # stand-out cells (a high score, say)


def share(value: float | None) -> str:
    """A fraction as a percentage, "—" when there is nothing to divide."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{100 * value:.0f} %" if value >= 0.01 or value == 0 else "<1 %"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def number_key(value: float | None) -> float:
    """Missing figures sort below every real one."""
    return -np.inf if value is None or not np.isfinite(value) else float(value)


class RecordsTableModel(QAbstractTableModel):
    """Read-only rows of ranked records; a "#" column keeps the core's rank."""

    sig_records_changed = Signal(int)  # rows now shown

    def __init__(self, columns: Sequence[Column], parent: Any = None):
        super().__init__(parent)
        rank = Column("#", lambda r: "", tip="Rank as the analysis ordered the rows "
                      "(most concerning first)", numeric=True)
        self.columns: list[Column] = [rank, *columns]
        self.records: list[Any] = []
        self.order = np.zeros(0, np.int64)  # display row -> record index (= rank - 1)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.order = np.arange(len(self.records), dtype=np.int64)
        self.endResetModel()
        self.sig_records_changed.emit(len(self.records))

    def record(self, row: int) -> Any:
        """The record shown on display row ``row`` (None off the table)."""
        return self.records[int(self.order[row])] if 0 <= row < len(self.order) else None

    def row_of(self, record: Any) -> int:
        for row, i in enumerate(self.order):
            if self.records[int(i)] is record:
                return row
        return -1

    # -- Qt ------------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        i = int(self.order[index.row()])
        rec, col = self.records[i], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return str(i + 1) if index.column() == 0 else col.text(rec)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.cell_tip(rec) if col.cell_tip else (col.text(rec) or None)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and col.bold is not None and col.bold(rec):
            return self._bold
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.columns[section].tip or None
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder the display index (stable: ties keep the core's rank)."""
        n = len(self.records)
        if column == 0 or n == 0:
            keys = np.arange(n, dtype=np.float64)
        else:
            col = self.columns[column]
            raw = [col.key(r) if col.key else col.text(r).casefold() for r in self.records]
            keys = np.asarray(raw)
        order_ = np.argsort(keys, kind="stable")
        if order == Qt.SortOrder.DescendingOrder:  # descending, ties still in rank order
            _, inverse = np.unique(keys, return_inverse=True)
            order_ = np.lexsort((np.arange(n), -inverse.reshape(-1)))
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        held = [int(self.order[ix.row()]) for ix in before]
        self.order = order_.astype(np.int64)
        row_of = np.empty(n, np.int64)
        row_of[self.order] = np.arange(n)
        self.changePersistentIndexList(
            before, [self.index(int(row_of[i]), ix.column()) for i, ix in zip(held, before)])
        self.layoutChanged.emit()


__all__ = ["Column", "RecordsTableModel", "count", "number_key", "share"]
