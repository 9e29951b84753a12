"""Told when an export, packet or reply draft is written: where it is, with Open buttons.

A status message vanishes after seconds; a packet is something the investigator sends on,
so the window says where it went and opens it (or its folder) in the desktop's own app.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout


def open_url(url: QUrl) -> bool:
    """Hand ``url`` to the desktop (one place, so tests can record it instead)."""
    return QDesktopServices.openUrl(url)


class WrittenDialog(QDialog):
    """``what`` was written to ``path``: Open file, Open folder, Close (non-modal)."""

    def __init__(self, what: str, path: Path, parent=None, detail: str = ""):
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle(f"{what} written")
        self.setObjectName("dialog.written")
        text = (f"<b>{html.escape(what)}</b> written to<br><code>{html.escape(str(self.path))}"
                "</code>" + (f"<p>{html.escape(detail)}</p>" if detail else ""))
        self.label = label = QLabel(text, wordWrap=True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_file = QPushButton("Open file")
        self.open_folder = QPushButton("Open folder")
        self.open_file.setToolTip("Open it in the program your desktop uses for it")
        self.open_folder.setToolTip(f"Show {self.path.parent} in the file manager")
        buttons.addButton(self.open_file, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.open_file.clicked.connect(lambda: self._open(self.path))
        self.open_folder.clicked.connect(lambda: self._open(self.path.parent))
        lay = QVBoxLayout(self)
        lay.addWidget(label)
        lay.addWidget(buttons)
        self.resize(max(460, self.sizeHint().width()), self.sizeHint().height())

    def _open(self, path: Path) -> None:
        open_url(QUrl.fromLocalFile(str(path)))
        self.accept()

