"""A small read-only table model for short lists (sources, tracebacks, providers, hops)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QColor


class RowsModel(QAbstractTableModel):
    """Rows of already-formatted text with optional tooltips, colours and a key per row."""

    def __init__(self, headers: list[str], parent=None, header_tips: dict[int, str] | None = None):
        super().__init__(parent)
        self.headers = headers
        self.header_tips = header_tips or {}
        self.rows: list[list[str]] = []
        self.keys: list = []
        self.tips: list[str | None] = []
        self.colours: list[QColor | None] = []
        self.cell_tips: dict[tuple[int, int], str] = {}

    def set_rows(self, rows: list[list[str]], keys: list | None = None,
                 tips: list[str | None] | None = None,
                 colours: list[QColor | None] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.keys = keys if keys is not None else list(range(len(rows)))
        self.tips = tips if tips is not None else [None] * len(rows)
        self.colours = colours if colours is not None else [None] * len(rows)
        self.cell_tips = {}
        self.endResetModel()

    def set_cell(self, row: int, col: int, text: str) -> None:
        self.rows[row][col] = text
        ix = self.index(row, col)
        self.dataChanged.emit(ix, ix)

    def cell(self, row: int, col: int) -> str:
        return self.rows[row][col]

    def set_tooltip(self, row: int, col: int, text: str) -> None:
        """A tooltip for one cell (the row's tooltip elsewhere)."""
        self.cell_tips[(row, col)] = text
        ix = self.index(row, col)
        self.dataChanged.emit(ix, ix)

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[r][c]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.cell_tips.get((r, c)) or self.tips[r] or self.rows[r][c]
        if role == Qt.ItemDataRole.DecorationRole and c == 0 and self.colours[r] is not None:
            return self.colours[r]
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tips.get(section)
        return None

    def key(self, row: int):
        return self.keys[row] if 0 <= row < len(self.keys) else None

    def row_of(self, key) -> int:
        try:
            return self.keys.index(key)
        except ValueError:
            return -1
