"""A virtual table over the case's normalized CDRs: formats only the cells asked for.

On the embedded store every matching row is known at once (``CallRows``); on a store that
pages (a lake on DuckDB or Spark) the model holds a ``CallsPager`` and grows page by page
as the view scrolls (``canFetchMore``/``fetchMore``): the page is asked for off the GUI
thread (``sig_more_wanted``, run by the dock) and inserted when it arrives."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from workbench.present.calls_query import COLUMNS, CallRows, CallsPager
from workbench.store.normalize import F_REJECTED

KEYS = [k for k, _ in COLUMNS]
NUMERIC = {"line", "duration"}


class CallsTableModel(QAbstractTableModel):
    """Rows are (source, row) pairs of a ``CallRows`` result; nothing is copied."""

    sig_sort_requested = Signal(str, bool)  # column key, descending
    sig_more_wanted = Signal(object)  # the CallsPager whose next page the view needs

    def __init__(self, parent=None):
        super().__init__(parent)
        self.frames: list = []
        self.rows: CallRows | CallsPager = CallRows(np.zeros(0, np.int32),
                                                    np.zeros(0, np.int64))
        self.sort_key, self.descending = "start", False
        self.fetching = False  # a page was asked for and has not arrived

    def set_frames(self, frames: list) -> None:
        self.beginResetModel()
        self.frames = frames
        self.rows = CallRows(np.zeros(0, np.int32), np.zeros(0, np.int64))
        self.endResetModel()

    def set_rows(self, rows: CallRows | CallsPager) -> None:
        self.beginResetModel()
        self.rows = rows
        self.fetching = False
        self.endResetModel()

    @property
    def paged(self) -> bool:
        return isinstance(self.rows, CallsPager)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        if parent.isValid():
            return 0
        return self.rows.loaded if isinstance(self.rows, CallsPager) else len(self.rows)

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802
        return (not parent.isValid() and isinstance(self.rows, CallsPager)
                and self.rows.more and not self.fetching)

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        """Ask for the next page (the dock runs it in a worker and calls ``add_page``)."""
        if self.canFetchMore(parent):
            self.fetching = True
            self.sig_more_wanted.emit(self.rows)

    def add_page(self, pager: CallsPager, page) -> None:
        """Insert a page fetched for ``pager`` (dropped if another query replaced it)."""
        if pager is not self.rows:
            return
        self.fetching = False
        n0, k = pager.loaded, page.rows.num_rows
        if k == 0:
            pager.add(page)  # the end: nothing more to fetch
            return
        self.beginInsertRows(QModelIndex(), n0, n0 + k - 1)
        pager.add(page)
        self.endInsertRows()

    def page_failed(self, pager: CallsPager) -> None:
        """A page could not be read: allow asking again."""
        if pager is self.rows:
            self.fetching = False

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def locate(self, r: int) -> tuple[int, int]:
        """(source index, row in that source) of displayed row ``r``."""
        return int(self.rows.source[r]), int(self.rows.row[r])

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            s, row = self.locate(r)
            return self.frames[s].display(KEYS[c], row)
        if role == Qt.ItemDataRole.TextAlignmentRole and KEYS[c] in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            s, row = self.locate(r)
            if int(self.frames[s].flags[row]) & F_REJECTED:
                col = QColor(QApplication.palette().color(QPalette.ColorRole.Text))
                col.setAlpha(120)
                return col
        if role == Qt.ItemDataRole.ToolTipRole:
            s, row = self.locate(r)
            f = self.frames[s]
            return (f"{f.provider} — {f.sid.path}, line {int(f.line[row])}\n"
                    f"{KEYS[c]}: {f.display(KEYS[c], row)}")
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][1]
            if role == Qt.ItemDataRole.ToolTipRole:
                return _HEADER_TIPS.get(KEYS[section], "Click to sort")
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sorting runs in the core (argsort) off the GUI thread; ask for it."""
        self.sort_key = KEYS[column]
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.sig_sort_requested.emit(self.sort_key, self.descending)


_HEADER_TIPS = {
    "provider": "Provider whose CDR this is",
    "line": "Line (or sheet row) in the original file",
    "start": "Start time normalized to UTC (source clock, not skew-corrected)",
    "start_corrected": "Start minus the source's estimated clock skew, on the traceback "
                       "records' clock (blank until the skew is estimated, or if it cannot be)",
    "calling": "Calling number normalized to E.164 (raw value if it would not normalize)",
    "called": "Called number normalized to E.164",
    "upstream": "What the case's [sources.upstreams] / [sources.customers] say the ingress is",
    "flags": "Problems found while normalizing this row",
}
