"""The review's warnings as a list an investigator reads top to bottom, each with its fix."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.case.draft_checks import Action, Finding, Kind

TITLES = {Kind.ZONE: "Time zone looks wrong", Kind.CLOCK: "Clock far off",
          Kind.NO_MAPPINGS: "Ingress not mapped", Kind.INGRESS_COLUMN: "Ingress column not read",
          Kind.NO_SOURCE: "Record's first provider has no file",
          Kind.WRONG_START: "Trace would not start at the record's first provider",
          Kind.CHAIN: "Chain differs from the record"}
#: Findings that make chains wrong are red; what the records themselves say is amber.
SEVERE = {Kind.ZONE, Kind.NO_MAPPINGS, Kind.INGRESS_COLUMN, Kind.NO_SOURCE, Kind.WRONG_START}


class FindingsWidget(QScrollArea):
    """One framed row per finding: a bold title, the sentence, and a button for the fix."""

    sig_action = Signal(object)  # Action

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._body = QWidget()
        self._lay = QVBoxLayout(self._body)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(6)
        self._lay.addStretch(1)
        self.setWidget(self._body)
        self.buttons: list[QPushButton] = []

    def show_findings(self, findings: list[Finding], file_names: list[str]) -> None:
        while self._lay.count() > 1:
            item = self._lay.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons = []
        for k, f in enumerate(findings):
            self._lay.insertWidget(k, self._row(f, file_names))

    def _row(self, f: Finding, file_names: list[str]) -> QFrame:
        colour = "#d62728" if f.kind in SEVERE else "#b35900"
        box = QFrame(objectName="finding")
        box.setStyleSheet(f"QFrame#finding {{ border-left: 4px solid {colour}; "
                          "background: palette(base); padding: 4px; }")
        lay = QHBoxLayout(box)
        lay.setContentsMargins(8, 4, 8, 4)
        name = file_names[f.file] if f.file is not None and 0 <= f.file < len(file_names) else ""
        sentence = f.text.removeprefix(f"{name}: ") if name else f.text  # named in the title
        where = f" — {html.escape(name)}" if name else ""
        text = QLabel(f"<b style='color:{colour}'>{html.escape(TITLES.get(f.kind, f.kind))}"
                      f"</b>{where}<br>{html.escape(sentence[:1].upper() + sentence[1:])}",
                      wordWrap=True, textFormat=Qt.TextFormat.RichText)
        text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(text, 1)
        if f.action is not None:
            b = QPushButton(f.action.label)
            b.setToolTip("Change this in the draft and check again")
            b.clicked.connect(lambda _=False, a=f.action: self._on_clicked(a))
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
            self.buttons.append(b)
        return box

    def _on_clicked(self, action: Action) -> None:
        for b in self.buttons:
            b.setEnabled(False)  # the list is rebuilt by the next review
        self.sig_action.emit(action)
