"""An editable table of a file's ingress ids: who each one is (upstream provider or customer).

Shared by the New-case wizard and the mapping editor of an open case.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QTableView,
)

KINDS = ["", "upstream", "customer"]
KIND_TEXT = {"": "— not set —", "upstream": "Upstream provider", "customer": "Own customer"}
HEADERS = ["Ingress id", "Calls", "Is", "Name"]


@dataclass
class IngressRow:
    ingress: str
    count: int
    kind: str = ""  # "", "upstream", "customer"
    name: str = ""


class IngressMapModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[IngressRow] = []

    def set_rows(self, counts: list[tuple[str, int]], upstreams: dict, customers: dict) -> None:
        self.beginResetModel()
        seen = set()
        self.rows = []
        for ingress, n in counts:
            seen.add(ingress)
            self.rows.append(_row(ingress, n, upstreams, customers))
        for ingress in list(upstreams) + list(customers):
            if ingress not in seen:
                seen.add(ingress)
                self.rows.append(_row(ingress, 0, upstreams, customers))
        self.endResetModel()

    def tables(self) -> tuple[dict[str, str], dict[str, str]]:
        """(upstreams, customers) as case.toml writes them."""
        def table(kind: str) -> dict[str, str]:
            return {r.ingress: r.name.strip() for r in self.rows
                    if r.kind == kind and r.name.strip()}
        return table("upstream"), table("customer")

    def set_entry(self, ingress: str, kind: str, name: str) -> bool:
        for i, r in enumerate(self.rows):
            if r.ingress == ingress:
                r.kind, r.name = kind, name
                self.dataChanged.emit(self.index(i, 2), self.index(i, 3))
                return True
        return False

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 4

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return [r.ingress, f"{r.count:,}" if r.count else "not in file",
                    KIND_TEXT[r.kind] if role == Qt.ItemDataRole.DisplayRole else r.kind,
                    r.name][c]
        if role == Qt.ItemDataRole.TextAlignmentRole and c == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and c in (2, 3):
            return ("Upstream provider: the provider that handed calls over on this ingress.\n"
                    "Own customer: the calling party is this provider's customer (origin).")
        return None

    def flags(self, index):
        f = super().flags(index)
        return f | Qt.ItemFlag.ItemIsEditable if index.column() in (2, 3) else f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        r = self.rows[index.row()]
        if index.column() == 2:
            r.kind = value if value in KINDS else ""
        elif index.column() == 3:
            r.name = str(value)
            if r.name.strip() and not r.kind:
                r.kind = "upstream"
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 2), self.index(index.row(), 3))
        return True

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


def _row(ingress: str, n: int, upstreams: dict, customers: dict) -> IngressRow:
    if ingress in upstreams:
        return IngressRow(ingress, n, "upstream", upstreams[ingress])
    if ingress in customers:
        return IngressRow(ingress, n, "customer", customers[ingress])
    return IngressRow(ingress, n)


class _KindDelegate(QStyledItemDelegate):
    def createEditor(self, parent, option, index):  # noqa: N802
        box = QComboBox(parent)
        for k in KINDS:
            box.addItem(KIND_TEXT[k], k)
        return box

    def setEditorData(self, editor, index):  # noqa: N802
        editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole)), 0))

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentData())


class _NameDelegate(QStyledItemDelegate):
    def __init__(self, names: list[str], parent=None):
        super().__init__(parent)
        self.names = names

    def createEditor(self, parent, option, index):  # noqa: N802
        edit = QLineEdit(parent)
        comp = QCompleter(self.names, edit)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        edit.setCompleter(comp)
        return edit


def ingress_view(model: IngressMapModel, provider_names: list[str]) -> QTableView:
    v = QTableView()
    v.setModel(model)
    v.setItemDelegateForColumn(2, _KindDelegate(v))
    v.setItemDelegateForColumn(3, _NameDelegate(provider_names, v))
    v.verticalHeader().setVisible(False)
    v.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
    hh = v.horizontalHeader()
    hh.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    hh.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    v.setColumnWidth(2, 150)
    hh.setStretchLastSection(True)
    return v
