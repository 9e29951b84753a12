"""Trainer step mode: ask the trainee who handed the call over before revealing the next hop."""
from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
)

from workbench.present.training import StepQuestion


class StepQuestionDialog(QDialog):
    def __init__(self, q: StepQuestion, parent=None):
        super().__init__(parent)
        self.q = q
        self.setWindowTitle(f"Hop {q.hop + 1}: who handed the call over?")
        lay = QVBoxLayout(self)
        prompt = QLabel(html.escape(q.prompt), wordWrap=True)
        lay.addWidget(prompt)
        self.group = QButtonGroup(self)
        for i, choice in enumerate(q.choices):
            b = QRadioButton(choice)
            self.group.addButton(b, i)
            lay.addWidget(b)
        self.feedback = QLabel(wordWrap=True)
        lay.addWidget(self.feedback)
        self.buttons = QDialogButtonBox()
        self.check = self.buttons.addButton("Check", QDialogButtonBox.ButtonRole.ActionRole)
        self.reveal = self.buttons.addButton("Reveal the hop",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.check.clicked.connect(self.check_answer)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.answered_right: bool | None = None

    def choose(self, text: str) -> None:
        for b in self.group.buttons():
            if b.text() == text:
                b.setChecked(True)

    def check_answer(self) -> bool | None:
        b = self.group.checkedButton()
        if b is None:
            self.feedback.setText("Pick an answer first.")
            return None
        self.answered_right = b.text() == self.q.answer
        if self.answered_right:
            self.feedback.setText(f"<b style='color:#2ca02c'>Right.</b> "
                                  f"{html.escape(self.q.explanation)}.")
        else:
            self.feedback.setText(f"<b style='color:#d62728'>Not quite</b> — it is "
                                  f"<b>{html.escape(self.q.answer)}</b>: "
                                  f"{html.escape(self.q.explanation)}.")
        return self.answered_right
