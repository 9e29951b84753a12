"""Column mapping editor: canonical field → the file's header (or "date + time" headers)."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QStyledItemDelegate, QTableView

from workbench.ingest.formats.base import CANONICAL_FIELDS, REQUIRED_FIELDS

FIELDS = list(CANONICAL_FIELDS) + ["verstat"]
TIPS = {"start": "When the call started (INVITE or answer); a date and a time column can be "
                 "joined: pick 'date + time'",
        "calling": "Calling number (ANI, CLI, From)", "called": "Called number (DNIS, To)",
        "ingress": "Where the call came in: trunk, IP, account — mapped to upstreams/customers",
        "egress": "Where the call went out", "duration": "Seconds (or H:MM:SS)"}


def as_text(value) -> str:
    if isinstance(value, list):
        return " + ".join(value)
    return value or ""


def from_text(text: str) -> str | list[str]:
    parts = [p.strip() for p in text.split(" + ") if p.strip()]
    return parts if len(parts) > 1 else (parts[0] if parts else "")


class MappingModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.mapping: dict = {}
        self.headers: list[str] = []
        self.enabled = True

    def load(self, mapping: dict, headers: list[str], enabled: bool) -> None:
        self.beginResetModel()
        self.mapping, self.headers, self.enabled = mapping, headers, enabled
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(FIELDS)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 2

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        name = FIELDS[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == 0:
                return name + (" *" if name in REQUIRED_FIELDS else "")
            return as_text(self.mapping.get(name)) or (
                "" if role == Qt.ItemDataRole.EditRole else "— not in file —")
        if role == Qt.ItemDataRole.ToolTipRole:
            return TIPS.get(name, name) + (" (required)" if name in REQUIRED_FIELDS else "")
        return None

    def flags(self, index):
        f = super().flags(index)
        if index.column() == 1 and self.enabled:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        name = FIELDS[index.row()]
        v = from_text(str(value))
        if v:
            self.mapping[name] = v
        else:
            self.mapping.pop(name, None)
        self.dataChanged.emit(index, index)
        return True

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return ["Field", "Column in the file"][section]
        return None


class _HeaderDelegate(QStyledItemDelegate):
    def __init__(self, model: MappingModel, parent=None):
        super().__init__(parent)
        self.model = model

    def createEditor(self, parent, option, index):  # noqa: N802
        box = QComboBox(parent, editable=True)
        box.addItem("")
        box.addItems(self.model.headers)
        h = self.model.headers
        dates = [x for x in h if "date" in x.lower()]
        times = [x for x in h if "time" in x.lower() and x not in dates]
        for d in dates:
            for t in times:
                box.addItem(f"{d} + {t}")
        return box

    def setEditorData(self, editor, index):  # noqa: N802
        editor.setCurrentText(index.data(Qt.ItemDataRole.EditRole) or "")

    def setModelData(self, editor, model, index):  # noqa: N802
        model.setData(index, editor.currentText())


def mapping_view(model: MappingModel) -> QTableView:
    v = QTableView()
    v.setModel(model)
    v.setItemDelegateForColumn(1, _HeaderDelegate(model, v))
    v.verticalHeader().setVisible(False)
    v.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    v.horizontalHeader().setStretchLastSection(True)
    return v
