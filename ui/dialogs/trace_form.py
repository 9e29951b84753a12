"""Trace a call given by hand: calling, called, time, and optionally where to start."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, iso_utc, parse_one
from workbench.investigation import TraceRequest


class TraceFormDialog(QDialog):
    def __init__(self, case, parent=None, *, calling: str = "", called: str = "", at: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Trace a call")
        self.case = case
        self.calling = QLineEdit(calling, placeholderText="e.g. +1 312 555 0143 (any form)")
        self.called = QLineEdit(called, placeholderText="e.g. (630) 555-0118")
        self.at = QLineEdit(at, placeholderText="e.g. 2026-03-08T07:41:12Z or …-05:00")
        self.at.setToolTip("The call time at the terminating provider, ISO 8601 with Z or an "
                           "offset; a time without either is read as UTC")
        self.start = QComboBox(toolTip="Start at this provider (normally found automatically: "
                               "the holder of the call that no one else names upstream)")
        self.start.addItem("Find the terminating provider automatically", None)
        for name in case.providers_with_records():
            self.start.addItem(name, name)
        self.tolerance = QDoubleSpinBox(suffix=" s", minimum=1, maximum=3600, decimals=0)
        self.tolerance.setValue(case.config.tolerance_s)
        self.tolerance.setToolTip("How far a record's time may be from the expected time "
                                  "after clock-skew correction")
        self.error = QLabel(styleSheet="color: #d62728")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Calling number:", self.calling)
        form.addRow("Call&ed number:", self.called)
        form.addRow("&Time of the call:", self.at)
        form.addRow("Start &at:", self.start)
        form.addRow("T&olerance:", self.tolerance)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok |
                                   QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Trace")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def problem(self) -> str | None:
        """What is wrong with the form, in words, or None."""
        country = self.case.config.default_country
        if not self.called.text().strip():
            return "Give the called number."
        if normalize_one(self.called.text(), country)[1] < 0:
            return f"'{self.called.text()}' is not a telephone number."
        if self.calling.text().strip() and normalize_one(self.calling.text(), country)[1] < 0:
            return f"'{self.calling.text()}' is not a telephone number (or leave it empty)."
        if not self.at.text().strip():
            return "Give the time of the call."
        if parse_one(self.at.text().strip()) == NAT:
            return f"'{self.at.text()}' is not a time (use e.g. 2026-03-08T07:41:12Z)."
        return None

    def accept(self) -> None:
        msg = self.problem()
        if msg:
            self.error.setText(msg)
            return
        super().accept()

    def request(self) -> TraceRequest:
        return TraceRequest(calling=self.calling.text().strip(), called=self.called.text().strip(),
                            at=self.at.text().strip(), from_provider=self.start.currentData(),
                            tolerance_s=float(self.tolerance.value()))


def prefill_from_traceback(tb) -> dict:
    return {"calling": tb.calling or tb.calling_raw or "",
            "called": tb.called or tb.called_raw or "",
            "at": iso_utc(tb.call_time_us) or (tb.call_time or "")}
