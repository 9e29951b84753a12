"""Analysis dock: which of a provider's customers and upstreams carry suspicious traffic.

Choose a provider with CDRs (and a Do-Not-Originate list), run the analysis in a worker,
read its ingresses ranked by score with the reasons each stands out. Selecting a row
filters the Calls dock to that provider and ingress and shows its durations in the
Traffic charts dock (``sig_ingress_selected``).
"""
from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.analytics.traffic import SHORT_S, IngressStats, TrafficAnalysis

from ..errors import one_line
from .analysis_model import Column, RecordsTableModel, count, number_key, share

if TYPE_CHECKING:
    from workbench.case.model import Case

    from ..session import CaseSession
    from ..worker import Task


def _name(s: IngressStats) -> str:
    return s.name or ""


def _reasons_tip(s: IngressStats) -> str:
    lines = [f"{s.ingress or '(no ingress recorded)'}"
             + (f" — {s.name}" if s.name else "") + f" ({s.kind})"]
    lines += [f"• {r}" for r in s.reasons] or ["• nothing stands out"]
    if s.attest_mix:
        lines.append("attestation: " + ", ".join(f"{k or 'none'} {v:,}"
                                                 for k, v in s.attest_mix.items()))
    return "\n".join(lines)


COLUMNS: tuple[Column, ...] = (
    Column("Score", lambda s: f"{s.score:.1f}", lambda s: s.score, numeric=True,
           tip="How strongly the traffic stands out (the reasons add up to it)",
           cell_tip=_reasons_tip, bold=lambda s: bool(s.reasons)),
    Column("Ingress", lambda s: s.ingress or "(none)", tip="Trunk group or customer account "
           "the calls came in on, as the CDRs write it", cell_tip=_reasons_tip),
    Column("Name", _name, tip="The customer or upstream case.toml maps this ingress to"),
    Column("Kind", lambda s: s.kind, tip="customer, upstream, or unmapped (not in case.toml)"),
    Column("Calls", lambda s: count(s.calls), lambda s: s.calls, numeric=True,
           tip="Calls that came in on this ingress"),
    Column("Peak/min", lambda s: count(s.peak_per_minute), lambda s: s.peak_per_minute,
           numeric=True, tip="Most calls started in any one minute"),
    Column("Distinct calling", lambda s: count(s.distinct_calling),
           lambda s: s.distinct_calling, numeric=True,
           tip="Distinct calling numbers; rotating caller IDs show as many per called number",
           cell_tip=lambda s: f"{s.distinct_calling:,} distinct calling numbers, "
                              f"{s.distinct_calling_per_called:.2f} per called number"),
    Column("Short", lambda s: share(s.short_share), lambda s: number_key(s.short_share),
           numeric=True, tip=f"Share of answered calls under {SHORT_S:g} s"),
    Column("Neighbour", lambda s: share(s.neighbor_share),
           lambda s: number_key(s.neighbor_share), numeric=True,
           tip="Share of calls whose calling number has the called number's NPA-NXX "
               "(neighbour spoofing)"),
    Column("Answered", lambda s: share(s.answer_rate), lambda s: number_key(s.answer_rate),
           numeric=True, tip="Share of calls answered"),
    Column("Invalid calling", lambda s: count(s.invalid_calling), lambda s: s.invalid_calling,
           numeric=True, tip="Calls whose calling number is invalid or unassigned in the "
                             "numbering plan"),
    Column("DNO hits", lambda s: count(s.dno_hits), lambda s: s.dno_hits, numeric=True,
           tip="Calls whose calling number is on the Do-Not-Originate list"),
    Column("In tracebacks", lambda s: count(s.in_tracebacks), lambda s: s.in_tracebacks,
           numeric=True, tip="Traceback records whose call came in on this ingress"),
    Column("Reasons", lambda s: "; ".join(s.reasons), lambda s: len(s.reasons),
           tip="Why the row stands out (hover a cell for all of them)",
           cell_tip=_reasons_tip),
)


class AnalysisDock(QDockWidget):
    sig_ingress_selected = Signal(object)  # IngressStats

    def __init__(self, session: CaseSession, parent: QWidget | None = None):
        super().__init__("Provider analysis", parent)
        self.setObjectName("dock.analysis")
        self.session = session
        self.model = RecordsTableModel(COLUMNS, self)
        self._task: Task | None = None
        self._build()
        session.sig_case_changed.connect(self._on_case_changed)
        session.sig_analysis_changed.connect(self._on_analysis)
        session.runner.sig_started.connect(self._on_task_started)
        self._on_case_changed(session.case)

    # -- widgets --------------------------------------------------------------------------
    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.provider = QComboBox()
        self.provider.setToolTip("A provider whose CDRs the case holds")
        self.provider.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.provider.setMinimumContentsLength(10)
        self.dno = QLineEdit(placeholderText="DNO list (optional)", clearButtonEnabled=True)
        self.dno.setMinimumWidth(60)
        self.dno.setToolTip("A Do-Not-Originate list: numbers that must never appear as a "
                            "caller ID (one a line, or a CSV). Defaults to [case] dno.")
        self.browse = QPushButton("…")
        self.browse.setToolTip("Choose a DNO list file")
        self.browse.setFixedWidth(self.fontMetrics().horizontalAdvance("…") + 24)
        self.run_button = QPushButton("Analyze")
        self.run_button.setToolTip("Rank this provider's customers and upstreams by how "
                                   "suspicious their traffic looks")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the analysis")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)
        self.progress.hide()
        bar.addWidget(QLabel("Provider"))
        bar.addWidget(self.provider, 2)
        bar.addWidget(self.dno, 2)
        bar.addWidget(self.browse)
        bar.addWidget(self.run_button)
        bar.addWidget(self.cancel_button)
        bar.addWidget(self.progress)
        lay.addLayout(bar)
        self.summary = QLabel(wordWrap=True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.summary)
        self.view = self._table()
        self.reasons = QLabel(wordWrap=True)
        self.reasons.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.reasons)
        self.setWidget(w)
        self.run_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.browse.clicked.connect(self._browse)
        self.view.selectionModel().selectionChanged.connect(self._on_row)

    def _table(self) -> QTableView:
        v = QTableView()
        v.setModel(self.model)
        v.setSortingEnabled(True)
        v.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        v.setAlternatingRowColors(True)
        v.setWordWrap(False)
        v.verticalHeader().setVisible(False)
        v.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = v.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        return v

    # -- running --------------------------------------------------------------------------
    def choose(self, provider: str | None = None) -> None:
        """Show the dock with ``provider`` (else the selected one) chosen, ready to run."""
        name = provider or self.session.provider
        if name:
            i = self.provider.findData(name)
            if i >= 0:
                self.provider.setCurrentIndex(i)
        self.show()
        self.raise_()
        self.provider.setFocus()

    def start(self) -> None:
        name = self.provider.currentData()
        if name:
            self.session.analyze(name, self.dno.text().strip() or None)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def _browse(self) -> None:
        case = self.session.case
        start = str(case.root) if case is not None else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose a Do-Not-Originate list", start,
                                              "Number lists (*.txt *.csv);;All files (*)")
        if path:
            self.dno.setText(path)

    def _on_task_started(self, task: Task) -> None:
        if task.kind != "analysis":
            return
        self._task = task
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.summary.setText(html.escape(task.title) + "…")
        task.sig_progress.connect(self._on_progress)
        task.sig_failed.connect(lambda exc, t=task.title: self.summary.setText(
            f"{html.escape(t)} failed: {html.escape(one_line(exc))}"))
        task.sig_cancelled.connect(lambda: self.summary.setText("Analysis cancelled."))
        task.sig_ended.connect(self._on_task_ended)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(1000 * fraction))
        self.summary.setText(html.escape(message))

    def _on_task_ended(self, task: Task) -> None:
        if task is self._task:
            self._task = None
            self.progress.hide()
            self.cancel_button.setEnabled(False)

    # -- showing --------------------------------------------------------------------------
    def _on_case_changed(self, case: Case | None) -> None:
        self.provider.clear()
        if case is not None:
            for name in case.providers_with_records():
                self.provider.addItem(name, name)
            self.dno.setText(str(case.root / case.config.dno) if case.config.dno else "")
            self.dno.setPlaceholderText("DNO list: [case] dno" if case.config.dno else
                                        "DNO list (none; optional)")
        for w in (self.provider, self.dno, self.browse, self.run_button):
            w.setEnabled(case is not None)
        self.summary.setText("No case open" if case is None else
                             "Choose a provider and press <b>Analyze</b>: its customers and "
                             "upstreams are ranked by how suspicious their traffic looks.")

    def _on_analysis(self, analysis: TrafficAnalysis | None) -> None:
        self.model.set_records(analysis.ingresses if analysis is not None else [])
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        top = analysis.ingresses[0] if analysis and analysis.ingresses else None
        self.reasons.setText(reasons_html(top, top=True) if top is not None else "")
        if analysis is not None:
            self.summary.setText(analysis_summary(analysis))
            self.summary.setToolTip("\n".join(analysis.notes))
            self.view.resizeColumnsToContents()
            for col in range(self.model.columnCount() - 1):
                self.view.setColumnWidth(col, min(self.view.columnWidth(col), 160))

    def selected(self) -> IngressStats | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _on_row(self, *_: Any) -> None:
        s, a = self.selected(), self.session.analysis
        if s is None or a is None:
            return
        # the analysis writes rows without an ingress id as None; the calls filter as ""
        self.session.filter_calls(a.provider, s.ingress if s.ingress is not None else "")
        self.sig_ingress_selected.emit(s)
        self.reasons.setText(reasons_html(s))


def reasons_html(s: IngressStats, *, top: bool = False) -> str:
    """Why one ingress stands out, in full (the table's last column is cut on small screens)."""
    lead = "Ranked first" if top else "Selected"
    kind = s.kind if not s.name else f"{s.kind} {html.escape(s.name)}"
    why = "; ".join(html.escape(r) for r in s.reasons) or "nothing stands out"
    return (f"<small>{lead}: <b>{html.escape(s.ingress or '(no ingress)')}</b> ({kind}, "
            f"score {s.score:.1f}) — {why}</small>")


def analysis_summary(analysis: TrafficAnalysis) -> str:
    """One line above the table: what was analysed and how many rows stand out."""
    files = f"{len(analysis.sources)} file" + ("" if len(analysis.sources) == 1 else "s")
    flagged = sum(1 for s in analysis.ingresses if s.reasons)
    dno = next((n.split(";")[0] for n in analysis.notes if n.startswith("DNO list")),
               "no DNO list")
    return (f"<b>{html.escape(analysis.provider)}</b>: {analysis.rows:,} calls in {files}, "
            f"{len(analysis.ingresses):,} ingresses, <b>{flagged} standing out</b> (most "
            f"suspicious first); {html.escape(dno)}. <small>Select a row to see its calls; "
            "hover for definitions.</small>")


__all__ = ["AnalysisDock", "COLUMNS", "analysis_summary"]
