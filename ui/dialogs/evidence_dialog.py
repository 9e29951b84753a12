"""Options of an evidence packet (of a call or of a provider) and of a reply draft."""
from __future__ import annotations

import html
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
    return _browse_row(edit, pick)


def _open_row(edit: QLineEdit, title: str, filt: str, parent, many: bool = False) -> QHBoxLayout:
    """A line edit for existing files with a Browse… button (several, separated by ';')."""
    def pick():
        if many:
            fs, _ = QFileDialog.getOpenFileNames(parent, title, settings.last_dir(), filt)
            if fs:
                edit.setText("; ".join(fs))
        else:
            f, _ = QFileDialog.getOpenFileName(parent, title, settings.last_dir(), filt)
            if f:
                edit.setText(f)
    return _browse_row(edit, pick)


def _browse_row(edit: QLineEdit, pick) -> QHBoxLayout:
    """The line edit beside a Browse… button that runs ``pick``."""
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
        self.warning = _disagreement_label(r)
        if self.warning is not None:
            lay.addWidget(self.warning)
        lay.addWidget(_buttons(self, "Export"))
        self.resize(560, self.sizeHint().height())

    def choices(self) -> tuple[Path, dict]:
        include = self.sources.isChecked() and self.redact.currentData() == "none"
        return Path(self.out.text()), {"investigator": self.investigator.text().strip() or None,
                                       "redact": self.redact.currentData(),
                                       "include_sources": include}


def _disagreement_label(result) -> QLabel | None:
    """A warning above the Export button when the traceback record contradicts the CDRs: the
    packet will show it, and the investigator should know before sending it on."""
    from ..session import disagreement_words
    words = disagreement_words(result.hops)
    if not words:
        return None
    items = "".join(f"<li>{html.escape(w[:1].upper() + w[1:])}</li>" for w in words)
    label = QLabel("<b>⚠ The trace disagrees with the traceback record.</b> The packet "
                   f"records this; check the hops before sending it:<ul>{items}</ul>",
                   wordWrap=True, objectName="evidence.disagreement")
    label.setStyleSheet("QLabel { background: #fde8e8; color: #8a1c1c; "
                        "border: 1px solid #d62728; border-radius: 3px; padding: 6px; }")
    return label


class ProviderPacketDialog(QDialog):
    """Which provider, where, and how redacted: its dossier, traffic and tracebacks."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export provider packet")
        case = session.case
        self.provider = QComboBox(toolTip="The provider the packet is about")
        for name in provider_names(case):
            self.provider.addItem(name, name)
        if session.provider:
            self.provider.setCurrentIndex(max(self.provider.findData(session.provider), 0))
        self.out = QLineEdit()
        self._auto: str | None = None  # the name given by default, replaced with the provider
        self.provider.currentIndexChanged.connect(lambda *_: self._default_out())
        self._default_out()
        self.investigator = QLineEdit(settings.investigator(),
                                      placeholderText="your name (recorded in the packet)")
        self.redact = QComboBox()
        for key, text in REDACT:
            self.redact.addItem(text, key)
        self.rmd = QLineEdit(placeholderText="the case's [case] rmd files"
                             if case.config.rmd else "none: RMD status not checked")
        self.dno = QLineEdit(placeholderText="the case's [case] dno list"
                             if case.config.dno else "none")
        form = QFormLayout()
        form.addRow("Provider:", self.provider)
        form.addRow("Packet:", _path_row(self.out, "Provider packet", "Zip (*.zip)", self))
        form.addRow("Investigator:", self.investigator)
        form.addRow("Redaction:", self.redact)
        form.addRow("RMD downloads:", _open_row(self.rmd, "RMD CSV downloads",
                                                "CSV (*.csv);;All files (*)", self, many=True))
        form.addRow("Do-Not-Originate list:", _open_row(self.dno, "Do-Not-Originate list",
                                                        "Lists (*.txt *.csv);;All files (*)",
                                                        self))
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("The packet holds the provider's dossier (responses against the "
                             "24-hour clock, RMD standing, concerns), the analysis of its "
                             "traffic per ingress, and every traceback it appears in, each "
                             "traced, with checksums of everything.", wordWrap=True))
        lay.addLayout(form)
        lay.addWidget(_buttons(self, "Export"))
        self.resize(600, self.sizeHint().height())

    def _default_out(self) -> None:
        """Name the packet after the provider, unless the user has chosen a name."""
        if self.out.text() and self.out.text() != self._auto:
            return
        name = "".join(c if c.isalnum() else "-" for c in self.provider.currentData() or "")
        self._auto = str(Path(settings.last_dir()) / f"{name.strip('-').lower()}-"
                                                     "provider-packet.zip")
        self.out.setText(self._auto)

    def choices(self) -> tuple[str, Path, dict]:
        rmd = [f.strip() for f in self.rmd.text().split(";") if f.strip()]
        return self.provider.currentData(), Path(self.out.text()), {
            "investigator": self.investigator.text().strip() or None,
            "redact": self.redact.currentData(), "rmd": rmd or None,
            "dno": self.dno.text().strip() or None}


def provider_names(case) -> list[str]:
    """Providers with CDRs first, then the rest the case names (directory, records)."""
    names = list(case.providers_with_records())
    canon = case.directory.canonical
    for name in [*case.directory.providers,
                 *(canon(h.provider) for tb in case.tracebacks for h in tb.hops)]:
        if name not in names:
            names.append(name)
    return names


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
