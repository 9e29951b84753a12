"""File → Trace a list of calls…: progress with Cancel, then the outcomes and one row per call.

The dialog only presents: the list is read and traced by ``ui.commands.batch`` in a worker
(the core's ``Investigation.trace_batch``, the same path as ``workbench trace --batch``).
Double-clicking a row shows that call's chain in the main window.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from workbench.common.errors import InputError
from workbench.present.report_text import outcome_sentence
from workbench.trace.batch import outcome_counts

HEADERS = ("#", "Line", "Call", "Outcome", "Origin", "Hops", "First problem")
#: Outcomes in a few words (the table's column, the summary line).
OUTCOME_SHORT = {"origin": "origin found", "no_records": "no records",
                 "not_found": "not found", "unmapped_ingress": "unmapped ingress",
                 "loop": "loop", "error": "could not be traced"}


@dataclass
class TracedList:
    """What the worker hands back: the list file, its calls (``BatchCall``) and, in the same
    order, each call's TraceResult or the InputError that kept it from being traced."""

    path: Path
    calls: list
    results: list


def first_problem(result) -> str:
    """The first thing an investigator must look at in one call's trace, in words ("" when
    the chain reached an origin and the record agrees with every hop)."""
    if isinstance(result, InputError):
        return str(result)
    for i, hop in enumerate(result.hops):
        if hop.traceback_agrees is False:
            return (f"hop {i + 1} ({hop.provider}): the traceback record says "
                    f"{hop.traceback_upstream or 'no upstream'}, the CDRs "
                    f"{hop.upstream or hop.customer or 'name none'}")
    if result.outcome == "origin":
        return ""
    return outcome_sentence(result)


def call_words(call, result) -> str:
    """The call as the list gave it (a traceback record by its id)."""
    if call.traceback is not None:
        return f"traceback {call.traceback.traceback_id}"
    if not isinstance(result, InputError):
        return f"{result.calling or '?'} → {result.called}"
    return f"{call.calling or '?'} → {call.called or '?'} at {call.at or '?'}"


def summary_words(results: list) -> str:
    """'12 calls: 9 origin found, 2 stalled (not found), 1 could not be traced'."""
    counts = outcome_counts(results)
    parts = [f"{n:,} {OUTCOME_SHORT.get(k, k)}" for k, n in counts.items()]
    return f"{len(results):,} call(s): " + ", ".join(parts)


class BatchResultsModel(QAbstractTableModel):
    """One row per call of the list; cells formatted when asked for."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.traced: TracedList | None = None

    def set_traced(self, traced: TracedList | None) -> None:
        self.beginResetModel()
        self.traced = traced
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() or self.traced is None else len(self.traced.results)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(HEADERS)

    def result(self, row: int):
        return self.traced.results[row] if self.traced is not None else None

    def cell(self, row: int, col: int) -> str:
        call, r = self.traced.calls[row], self.traced.results[row]
        bad = isinstance(r, InputError)
        if col == 0:
            return str(row + 1)
        if col == 1:
            return "" if call.row is None else str(call.row)
        if col == 2:
            return call_words(call, r)
        if col == 3:
            key = "error" if bad else str(r.outcome)
            return OUTCOME_SHORT.get(key, key)
        if col == 4:
            if bad or r.origin is None:
                return ""
            return f"{r.origin.provider} (customer {r.origin.customer})"
        if col == 5:
            return "" if bad else str(len(r.hops))
        return first_problem(r)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.traced is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in (0, 1, 5):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


class BatchDialog(QDialog):
    """Non-modal: the investigator keeps reading chains while the list is traced."""

    sig_cancel = Signal()
    sig_save = Signal()
    sig_show = Signal(int)  # a row's chain in the main window

    def __init__(self, path: Path, parent=None):
        super().__init__(parent)
        self.setObjectName("dialog.batch")
        self.setWindowTitle(f"Trace a list of calls — {Path(path).name}")
        self.model = BatchResultsModel(self)
        self.status = QLabel(f"Reading {html.escape(str(path))}…", wordWrap=True)
        self.bar = QProgressBar(minimum=0, maximum=1000)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop tracing the list (nothing is kept)")
        self.summary = QLabel(wordWrap=True, objectName="batch.summary")
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.view.setToolTip("Double-click a call to show its chain in the main window")
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((36, 44, 190, 120, 200, 40)):
            self.view.setColumnWidth(col, width)
        self.save = QPushButton("Save results…", enabled=False)
        self.save.setToolTip("Write the results as .jsonl (one trace JSON per call) or "
                             ".csv/.xlsx (one row per hop), as `workbench trace --batch` does")
        self.show_button = QPushButton("Show chain", enabled=False)
        self.close_button = QPushButton("Close")
        top = QHBoxLayout()
        top.addWidget(self.bar, 1)
        top.addWidget(self.cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Double-click a call to show its chain."), 1)
        bottom.addWidget(self.show_button)
        bottom.addWidget(self.save)
        bottom.addWidget(self.close_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.status)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.view, 1)
        lay.addLayout(bottom)
        self.cancel.clicked.connect(self.sig_cancel)
        self.save.clicked.connect(self.sig_save)
        self.close_button.clicked.connect(self.close)
        self.view.doubleClicked.connect(lambda ix: self._show(ix.row()))
        self.show_button.clicked.connect(lambda: self._show(self.selected_row()))
        self.view.selectionModel().selectionChanged.connect(self._on_selection)
        self.resize(1060, 560)

    def selected_row(self) -> int:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def _on_selection(self, *_) -> None:
        r = self.model.result(self.selected_row()) if self.selected_row() >= 0 else None
        self.show_button.setEnabled(r is not None and not isinstance(r, InputError))

    def _show(self, row: int) -> None:
        r = self.model.result(row) if row >= 0 else None
        if r is not None and not isinstance(r, InputError):
            self.sig_show.emit(row)

    # -- the running task ----------------------------------------------------------------
    def on_progress(self, fraction: float, message: str) -> None:
        self.bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.status.setText(message)

    def on_done(self, traced: TracedList) -> None:
        self.bar.setValue(1000)
        self.cancel.setEnabled(False)
        self.status.setText(f"Traced the calls of {html.escape(str(traced.path))}")
        self.summary.setText(f"<b>{html.escape(summary_words(traced.results))}</b>")
        self.model.set_traced(traced)
        self.save.setEnabled(bool(traced.results))

    def on_stopped(self, words: str) -> None:
        """Cancelled or failed: say so in the dialog, keep it open to read."""
        self.cancel.setEnabled(False)
        self.status.setText(words)
        self.summary.setText("")
