"""Case dock: the case's sources, traceback records, providers and notes."""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.columns.times import display_utc
from workbench.present.chain_layout import signed
from workbench.trace.network import traceback_counts

from .list_model import RowsModel

SOURCE_HEADERS = ["Provider", "Rows", "Clock skew", "Flagged", "First (UTC)", "Last (UTC)",
                  "Format", "File"]
SKEW_COL = 2
TB_HEADERS = ["Traceback", "Call time (UTC)", "Calling", "Called", "Hops", "Last answer"]
#: The same six fields two to a cell, for a dock too narrow for six columns (1366x768).
TB_COMPACT_HEADERS = ["Traceback", "Call (UTC)", "Calling / called", "Answer"]
NO_CASE = "No case open — File ▸ Open case… (Ctrl+O) or drop a case folder here"
PROVIDER_HEADERS = ["Provider", "CDRs", "Tracebacks", "Aliases", "RMD"]


def _table(model: RowsModel) -> QTableView:
    v = QTableView()
    v.setModel(model)
    v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    v.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    v.verticalHeader().setVisible(False)
    v.verticalHeader().setDefaultSectionSize(v.fontMetrics().height() + 6)
    v.horizontalHeader().setStretchLastSection(True)
    v.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    v.setWordWrap(False)
    return v


def _section(title: str, widget: QWidget, extra: QWidget | None = None) -> QWidget:
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 2, 0, 0)
    head = QHBoxLayout()
    label = QLabel(f"<b>{title}</b>")
    head.addWidget(label, 1)
    if extra is not None:
        head.addWidget(extra)
    lay.addLayout(head)
    lay.addWidget(widget, 1)
    return box


class CaseDock(QDockWidget):
    sig_edit_mappings = Signal(int)  # source index
    sig_trace_traceback = Signal(str)

    def __init__(self, session, parent=None):
        super().__init__("Case", parent)
        self.setObjectName("dock.case")
        self.session = session
        self.sources = RowsModel(SOURCE_HEADERS, self, {
            3: "Rows whose numbers would not normalize, rejected rows, unreadable lines",
            2: "Estimated clock offset of the file (source clock minus reference), and the "
               "number of shared calls it rests on"})
        self.tracebacks = RowsModel(TB_HEADERS, self)
        self.providers = RowsModel(PROVIDER_HEADERS, self)
        self._build()
        session.sig_case_changed.connect(self._on_case_changed)
        session.sig_skew_changed.connect(self._on_skew)
        session.sig_zone_warnings.connect(self._on_zone_warnings)
        session.sig_provider_selected.connect(self._on_provider_selected)
        session.runner.sig_started.connect(self._on_task_started)

    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel(NO_CASE)
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.loading_bar = QProgressBar(minimum=0, maximum=1000, textVisible=True)
        self.loading_cancel = QPushButton("Cancel", toolTip="Stop opening the case (Esc)")
        loading = QHBoxLayout()
        loading.addWidget(self.loading_bar, 1)
        loading.addWidget(self.loading_cancel)
        lay.addLayout(loading)
        self.loading_bar.hide()
        self.loading_cancel.hide()
        self.loading_task = None
        self.source_view = _table(self.sources)
        self.tb_view = _table(self.tracebacks)
        self.provider_view = _table(self.providers)
        self.edit_button = QPushButton("Edit mappings…", enabled=False,
                                       toolTip="Edit the selected file's upstream and customer "
                                               "tables (saved to case.toml with Ctrl+S)")
        self.trace_tb_button = QPushButton("Trace", enabled=False,
                                           toolTip="Trace the selected traceback record "
                                                   "(Ctrl+Shift+T, or double-click)")
        self.notes = QPlainTextEdit(placeholderText="Case notes (saved to case.toml with Ctrl+S)")
        self.notes.setToolTip("Free-text notes of the investigation, kept in case.toml")
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(_section("Sources", self.source_view, self.edit_button))
        split.addWidget(_section("Traceback records", self.tb_view, self.trace_tb_button))
        split.addWidget(_section("Providers", self.provider_view))
        split.addWidget(_section("Notes", self.notes))
        split.setSizes([220, 200, 160, 80])
        lay.addWidget(split, 1)
        self.setWidget(w)
        self.source_view.selectionModel().selectionChanged.connect(self._on_source_row)
        self.tb_view.selectionModel().selectionChanged.connect(self._on_tb_row)
        self.provider_view.selectionModel().selectionChanged.connect(self._on_provider_row)
        self.tb_view.doubleClicked.connect(lambda ix: self._trace_row(ix.row()))
        self.tb_compact = False  # the six traceback fields two to a cell
        self._tb_full: list[list[str]] = []
        self._tb_full_width = 0
        self.tb_view.viewport().installEventFilter(self)
        self.source_view.doubleClicked.connect(lambda ix: self.sig_edit_mappings.emit(ix.row()))
        self.edit_button.clicked.connect(self._edit_selected)
        self.trace_tb_button.clicked.connect(lambda: self._trace_row(self._row(self.tb_view)))
        self.notes.textChanged.connect(self._on_notes)

    # -- opening in place ---------------------------------------------------------------
    def _on_task_started(self, task) -> None:
        """A case is being opened: say which and how far, here, with Cancel."""
        if task.kind != "load":
            return
        self.loading_task = task
        self.loading_bar.setValue(0)
        self.loading_bar.setFormat("%p %")
        self.loading_bar.show()
        self.loading_cancel.show()
        self.loading_cancel.setEnabled(True)
        self.title.setText(f"<b>{html.escape(task.title)}…</b>")
        task.sig_progress.connect(self._on_loading)
        task.sig_ended.connect(self._on_loading_ended)
        self.loading_cancel.clicked.connect(task.cancel)

    def _on_loading(self, fraction: float, message: str) -> None:
        task = self.loading_task
        if task is None:
            return
        self.loading_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.title.setText(f"<b>{html.escape(task.title)}…</b><br><small>"
                           f"{html.escape(message)}</small>")

    def _on_loading_ended(self, task) -> None:
        if task is not self.loading_task:
            return
        self.loading_cancel.clicked.disconnect(task.cancel)
        self.loading_task = None
        self.loading_bar.hide()
        self.loading_cancel.hide()
        case = self.session.case
        if case is None:
            self.title.setText(NO_CASE)
        elif self.title.text().startswith(f"<b>{html.escape(task.title)}"):
            self._set_title(case)  # a reload that did not change the case (cancelled)

    def _set_title(self, case) -> None:
        c = case.config
        self.title.setText(f"<b>{html.escape(c.name)}</b><br><small>"
                           f"{html.escape(str(c.root))}</small>")
        self.title.setToolTip(str(c.file))

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 - Qt API
        if ev.type() == QEvent.Type.Resize and obj is self.tb_view.viewport():
            self._fit_tracebacks()
        return super().eventFilter(obj, ev)

    def _fit_tracebacks(self, force: bool = False) -> None:
        """Six columns when they fit the dock, else the compact layout (two lines a row)."""
        compact = self._tb_full_width > self.tb_view.viewport().width() > 0
        if compact == self.tb_compact and not force:
            if compact:
                self._fit_last_column()
            return
        self.tb_compact = compact
        key = self.selected_traceback()
        m, v = self.tracebacks, self.tb_view
        m.headers = TB_COMPACT_HEADERS if compact else TB_HEADERS
        rows = [_compact_tb_row(r) for r in self._tb_full] if compact else \
            [list(r) for r in self._tb_full]
        m.set_rows(rows, keys=list(m.keys), tips=list(m.tips))
        lines = 2 if compact else 1
        v.verticalHeader().setDefaultSectionSize(v.fontMetrics().lineSpacing() * lines + 6)
        v.resizeColumnsToContents()
        if compact:
            self._fit_last_column()
        if key is not None and m.row_of(key) >= 0:
            v.selectRow(m.row_of(key))

    def _fit_last_column(self) -> None:
        """The answering provider takes what is left, elided (the row's tip has it whole)."""
        v, last = self.tb_view, len(TB_COMPACT_HEADERS) - 1
        rest = v.viewport().width() - sum(v.columnWidth(i) for i in range(last))
        v.setColumnWidth(last, max(rest, 48))

    @staticmethod
    def _row(view: QTableView) -> int:
        rows = view.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def selected_traceback(self) -> str | None:
        return self.tracebacks.key(self._row(self.tb_view))

    def _trace_row(self, row: int) -> None:
        tid = self.tracebacks.key(row)
        if tid:
            self.sig_trace_traceback.emit(tid)

    def _edit_selected(self) -> None:
        row = self._row(self.source_view)
        if row >= 0:
            self.sig_edit_mappings.emit(row)

    # -- filling ------------------------------------------------------------------------
    def _on_case_changed(self, case) -> None:
        if case is None:
            self.title.setText(NO_CASE)
            self._tb_full, self._tb_full_width = [], 0
            for m in (self.sources, self.tracebacks, self.providers):
                m.set_rows([])
            return
        c = case.config
        self._set_title(case)
        self.sources.set_rows([_source_row(s) for s in case.sources],
                              tips=[_source_tip(s) for s in case.sources])
        self._tb_full = [_tb_row(t) for t in case.tracebacks]
        fm = self.tb_view.fontMetrics()
        self._tb_full_width = sum(  # what six columns need, text and cell padding
            max(fm.horizontalAdvance(x) for x in [h, *(r[i] for r in self._tb_full)]) + 14
            for i, h in enumerate(TB_HEADERS))
        self.tracebacks.set_rows([], keys=[t.traceback_id for t in case.tracebacks],
                                 tips=[_tb_tip(t) for t in case.tracebacks])
        self._fit_tracebacks(force=True)
        self._fill_providers(case)
        self.notes.blockSignals(True)
        self.notes.setPlainText(str(c.raw.get("case", {}).get("notes", "") or ""))
        self.notes.blockSignals(False)
        for view in (self.source_view, self.provider_view):
            view.resizeColumnsToContents()

    def _fill_providers(self, case) -> None:
        with_cdrs = set(case.providers_with_records())
        counts = traceback_counts(case)
        names = sorted(set(case.directory.providers) | with_cdrs | set(counts))
        rows = []
        for n in names:
            info = case.directory.info(n)
            rows.append([n, "yes" if n in with_cdrs else "—", str(counts.get(n, 0)),
                         ", ".join(info.aliases) if info else "", (info.rmd or "") if info else ""])
        self.providers.set_rows(rows, keys=names)

    def _source_rows(self, sids) -> list[tuple[int, object]]:
        """(row in the Sources table, source id) of each id the table shows."""
        case = self.session.case
        rows = {src.id: i for i, src in enumerate(case.sources)} if case is not None else {}
        return [(rows[sid], sid) for sid in sids
                if sid in rows and rows[sid] < self.sources.rowCount()]

    def _on_skew(self, skew: dict) -> None:
        for i, sid in self._source_rows(skew):
            s = skew[sid]
            text = {"insufficient": "unknown (too few shared calls)",
                    "manual": f"{s.offset_s:+.1f} s (set by hand)"}.get(
                s.basis, f"{signed(s.offset_s)} s ({s.calls} calls)")
            self.sources.set_cell(i, SKEW_COL, text)
        self.source_view.resizeColumnToContents(SKEW_COL)

    def _on_zone_warnings(self, warnings: dict) -> None:
        """A skew on a whole or half hour: mark the cell, the sentence in its tooltip."""
        for i, sid in self._source_rows(warnings):
            cell = self.sources.cell(i, SKEW_COL)
            if not cell.startswith("⚠"):
                self.sources.set_cell(i, SKEW_COL, f"⚠ wrong zone? {cell}")
            self.sources.set_tooltip(i, SKEW_COL, warnings[sid])
        self.source_view.resizeColumnToContents(SKEW_COL)

    # -- selection ----------------------------------------------------------------------
    def _on_source_row(self, *_) -> None:
        row = self._row(self.source_view)
        self.edit_button.setEnabled(row >= 0)
        self.session.select_source(row)

    def _on_tb_row(self, *_) -> None:
        tid = self.selected_traceback()
        self.trace_tb_button.setEnabled(tid is not None)
        if tid:
            self.session.select_traceback(tid)

    def _on_provider_row(self, *_) -> None:
        name = self.providers.key(self._row(self.provider_view))
        self.session.select_provider(name or "")

    def _on_provider_selected(self, name: str) -> None:
        row = self.providers.row_of(name)
        if row != self._row(self.provider_view):
            if row >= 0:
                self.provider_view.selectRow(row)
            else:
                self.provider_view.clearSelection()

    def _on_notes(self) -> None:
        self.session.edit_case_notes(self.notes.toPlainText())


def _source_row(s) -> list[str]:
    m = s.summary
    flagged = []
    if m.numbers_flagged:
        flagged.append(f"{m.numbers_flagged} numbers")
    if m.rejected:
        flagged.append(f"{m.rejected} rejected")
    if m.bad_line_count:
        flagged.append(f"{m.bad_line_count} bad lines")
    return [s.provider, f"{m.rows:,}", "estimating…", ", ".join(flagged) or "none",
            (m.first_utc or "—")[:16].replace("T", " "), (m.last_utc or "—")[:16].replace("T", " "),
            s.format, s.config.path]


def _source_tip(s) -> str:
    m = s.summary
    lines = [f"{s.provider}: {s.path}", f"format {s.format}, zone {s.config.timezone}, "
             f"start logged at {m.time_basis} time"]
    if m.date_rule:
        lines.append(f"dates: {m.date_rule}")
    lines += m.notes[:4]
    for reason, n in m.rejected_reasons.items():
        lines.append(f"rejected: {n} × {reason}")
    return "\n".join(lines)


def _tb_row(t) -> list[str]:
    last = t.hops[-1] if t.hops else None
    answer = f"{last.provider}: {(last.status or '—').replace('_', ' ')}" if last else "—"
    return [t.traceback_id,
            display_utc(t.call_time_us, 0, "Z") or (t.call_time or "—").replace("T", " "),
            t.calling or t.calling_raw or "—", t.called or t.called_raw or "—",
            str(len(t.hops)), answer]


def _compact_tb_row(full: list[str]) -> list[str]:
    """The six fields of a ``_tb_row`` two to a cell: id and hops, date and time, both
    numbers, the answering provider and its status."""
    tid, at, calling, called, hops, answer = full
    day, _, clock = at.partition(" ")
    who, _, status = answer.partition(": ")
    return [f"{tid}\n{hops} hop{'s' if hops != '1' else ''}", f"{day}\n{clock}",
            f"{calling}\n{called}", f"{who}\n{status}" if status else who]


def _tb_tip(t) -> str:
    when = display_utc(t.call_time_us, 0, "Z") or t.call_time or "—"
    lines = [f"{t.traceback_id} — {t.campaign or 'no campaign'}",
             f"call {t.calling or t.calling_raw or '?'} → {t.called or t.called_raw or '?'} "
             f"at {when}"]
    for h in t.hops:
        lines.append(f"{h.hop}. {h.provider} → {h.upstream or '—'} "
                     f"({(h.status or '').replace('_', ' ')})")
    return "\n".join(lines)
