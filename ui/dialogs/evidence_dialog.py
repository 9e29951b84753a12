"""Options of an evidence packet and of a reply draft."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from .. import settings

REDACT = (("none", "None — full numbers and names (for enforcement)"),
          ("consumer", "Consumer — called numbers masked to their last four digits"),
          ("training", "Training — consumer, plus customer names replaced"))


def _path_row(edit: QLineEdit, title: str, filt: str, parent) -> QHBoxLayout:
    def pick():
        f, _ = QFileDialog.getSaveFileName(parent, title, edit.text(), filt)
        if f:
            edit.setText(f)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    b = QPushButton("Browse…")
    b.clicked.connect(pick)
    row.addWidget(b)
    return row


def _buttons(dlg: QDialog, ok: str) -> QDialogButtonBox:
    sb = QDialogButtonBox.StandardButton
    b = QDialogButtonBox(sb.Ok | sb.Cancel)
    b.button(QDialogButtonBox.StandardButton.Ok).setText(ok)
    b.accepted.connect(dlg.accept)
    b.rejected.connect(dlg.reject)
    return b


class EvidenceDialog(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export evidence packet")
        r = session.result
        name = f"{r.traceback_id or 'trace'}-evidence.zip"
        self.out = QLineEdit(str(Path(settings.last_dir()) / name))
        self.investigator = QLineEdit(settings.investigator(),
                                      placeholderText="your name (recorded in the packet)")
        self.redact = QComboBox()
        for key, text in REDACT:
            self.redact.addItem(text, key)
        self.sources = QCheckBox("Include the whole original CDR files the evidence comes from")
        self.sources.setToolTip("Only without redaction: original files cannot be redacted")
        self.redact.currentIndexChanged.connect(
            lambda *_: self.sources.setEnabled(self.redact.currentData() == "none"))
        form = QFormLayout()
        form.addRow("Packet:", _path_row(self.out, "Evidence packet", "Zip (*.zip)", self))
        form.addRow("Investigator:", self.investigator)
        form.addRow("Redaction:", self.redact)
        form.addRow("", self.sources)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"The packet holds the trace of {r.calling or '?'} → {r.called}, "
                             "the matching records as written and normalized, the case's audit "
                             "trail head and checksums of everything.", wordWrap=True))
        lay.addLayout(form)
        lay.addWidget(_buttons(self, "Export"))
        self.resize(560, self.sizeHint().height())

    def choices(self) -> tuple[Path, dict]:
        include = self.sources.isChecked() and self.redact.currentData() == "none"
        return Path(self.out.text()), {"investigator": self.investigator.text().strip() or None,
                                       "redact": self.redact.currentData(),
                                       "include_sources": include}


class ReplyDialog(QDialog):
    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Reply draft")
        case = session.case
        self.tb = QComboBox()
        for t in case.tracebacks:
            self.tb.addItem(t.traceback_id, t.traceback_id)
        current = session.traceback_id or (session.result.traceback_id if session.result else None)
        if current:
            self.tb.setCurrentIndex(max(self.tb.findData(current), 0))
        self.provider = QComboBox(toolTip="The provider answering the request (needs its CDRs)")
        for name in case.providers_with_records():
            self.provider.addItem(name, name)
        self.out = QLineEdit(str(Path(settings.last_dir()) / "reply.docx"))
        form = QFormLayout()
        form.addRow("Traceback:", self.tb)
        form.addRow("Answering provider:", self.provider)
        form.addRow("Draft:", _path_row(self.out, "Reply draft", "Word document (*.docx)", self))
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(_buttons(self, "Write draft"))
        self.resize(520, self.sizeHint().height())

    def choices(self) -> tuple[str, str, Path]:
        return self.tb.currentData(), self.provider.currentData(), Path(self.out.text())
