"""Trainer step mode: ask the trainee who handed the call over before revealing the next hop."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from workbench.present.training import StepQuestion

MIN_WIDTH = 460  # the prompt names a provider, a line and an ingress: room for two lines


class StepQuestionDialog(QDialog):
    """One question; "Reveal the hop" only once the trainee has picked an answer."""

    def __init__(self, q: StepQuestion, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.q = q
        self.setWindowTitle(f"Hop {q.hop + 1}: who handed the call over?")
        lay = QVBoxLayout(self)
        # plain text: provider names and ingresses are shown as written, quotes and all
        self.prompt = QLabel(q.prompt, wordWrap=True)
        self.prompt.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.prompt)
        self.group = QButtonGroup(self)
        for i, choice in enumerate(q.choices):
            b = QRadioButton(choice)
            self.group.addButton(b, i)
            lay.addWidget(b)
        self.group.buttonToggled.connect(self._on_choice)
        self.feedback = QLabel(wordWrap=True)
        self.feedback.setTextFormat(Qt.TextFormat.RichText)  # escaped below
        lay.addWidget(self.feedback)
        self.buttons = QDialogButtonBox()
        self.check = self._button("Check", QDialogButtonBox.ButtonRole.ActionRole)
        # not AcceptRole: the button box would make it the default button when shown
        self.reveal = self._button("Reveal the hop", QDialogButtonBox.ButtonRole.ActionRole)
        self.reveal.clicked.connect(self.accept)
        self.reveal.setEnabled(False)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self.check.clicked.connect(self.check_answer)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.answered_right: bool | None = None
        self.setMinimumWidth(MIN_WIDTH)
        self.adjustSize()  # to the wrapped prompt and the longest choice

    def _button(self, text: str, role: QDialogButtonBox.ButtonRole) -> QPushButton:
        b = self.buttons.addButton(text, role)
        b.setAutoDefault(False)  # Enter must not reveal the hop (nor check a blank answer)
        b.setDefault(False)
        return b

    def _on_choice(self, *_: object) -> None:
        self.reveal.setEnabled(self.group.checkedButton() is not None)

    def choose(self, text: str) -> None:
        for b in self.group.buttons():
            if b.text() == text:
                b.setChecked(True)

    def accept(self) -> None:
        if self.group.checkedButton() is None:  # no answer yet: nothing to reveal
            self.feedback.setText("Pick an answer first.")
            return
        super().accept()

    def check_answer(self) -> bool | None:
        b = self.group.checkedButton()
        if b is None:
            self.feedback.setText("Pick an answer first.")
            return None
        self.answered_right = b.text() == self.q.answer
        if self.answered_right:
            self.feedback.setText(f"<b style='color:#2ca02c'>Right.</b> "
                                  f"{html.escape(self.q.explanation, quote=False)}.")
        else:
            self.feedback.setText(f"<b style='color:#d62728'>Not quite</b> — it is "
                                  f"<b>{html.escape(self.q.answer, quote=False)}</b>: "
                                  f"{html.escape(self.q.explanation, quote=False)}.")
        self.adjustSize()  # the feedback adds lines: keep it all visible
        return self.answered_right
