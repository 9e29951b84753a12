"""Calls dock: filter and sort the normalized CDRs, see a record raw beside normalized."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from workbench.columns.times import NAT, parse_one
from workbench.present.calls_query import (
    COLUMNS,
    CORRECTED,
    CallFilter,
    PagedFrame,
    apply_skew,
    dispositions,
    query,
    record_fields,
)

from ..errors import one_line
from .calls_model import CallsTableModel

#: column widths (normal, compact) where a short screen saves room: the times keep their
#: milliseconds, the provider is elided (its full name is in the row's tooltip)
_TIGHT_WIDTHS = {"provider": (140, 112), "start": (170, 166), "start_corrected": (170, 166),
                 "calling": (125, 122), "called": (125, 122), "line": (56, 48)}
_NUMBER_TIP = ("A number in any written form: +13125550143, (312) 555-0143, 1-312-555-0143, "
               "sip:+1312…@host. Fewer than 10 digits search as part of a number.")
_TIME_TIP = "UTC time, e.g. 2026-03-08 07:40 or 2026-03-08T07:40:00Z (an offset like -05:00 works)"


class CallsDock(QDockWidget):
    sig_trace_requested = Signal()
    sig_rows_changed = Signal(int)  # rows shown after a filter or sort

    def __init__(self, session, parent=None):
        super().__init__("Calls", parent)
        self.setObjectName("dock.calls")
        self.session = session
        self.model = CallsTableModel(self)
        self.ingress: str | None = None  # one trunk or account of the chosen provider
        # (source, row, may clear filters) of a hop's record to select after the next query
        self._pending: tuple[int, int, bool] | None = None
        self._querying = False  # a query is running: the rows shown are about to change
        self._build()
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh)
        self.model.sig_sort_requested.connect(lambda *_: self.refresh())
        self.model.sig_more_wanted.connect(self._fetch_page)
        session.sig_case_changed.connect(self._on_case_changed)
        session.sig_provider_selected.connect(self._on_provider_selected)
        session.sig_source_selected.connect(self._on_source_selected)
        session.sig_traceback_selected.connect(self._on_traceback_selected)
        session.sig_calls_filter.connect(self._on_calls_filter)
        session.sig_skew_changed.connect(self._on_skew)
        session.sig_hop_selected.connect(self.show_hop)
        session.sig_trace_changed.connect(self._on_trace_changed)
        self._fill_combos(None)

    # -- widgets ------------------------------------------------------------------------
    def _build(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.number = QLineEdit(placeholderText="Number (any form)", clearButtonEnabled=True)
        self.number.setMinimumWidth(150)
        self.number.setToolTip(_NUMBER_TIP)
        self.which = QComboBox()
        self.which.addItems(["calling or called", "calling", "called"])
        self.which.setToolTip("Which side of the call the number must be on")
        self.t_from = QLineEdit(placeholderText="from (UTC)", clearButtonEnabled=True)
        self.t_to = QLineEdit(placeholderText="to (UTC)", clearButtonEnabled=True)
        for t in (self.t_from, self.t_to):
            t.setToolTip(_TIME_TIP)
        self.provider = QComboBox(toolTip="Show one provider's or one file's records")
        self.disposition = QComboBox(toolTip="Show only calls with this disposition")
        self.clear = QPushButton("Clear", toolTip="Remove every filter")
        for combo in (self.provider, self.disposition):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
        for widget, stretch in ((self.number, 3), (self.which, 0), (self.t_from, 2),
                                (self.t_to, 2), (self.provider, 2), (self.disposition, 1),
                                (self.clear, 0)):
            bar.addWidget(widget, stretch)
        lay.addLayout(bar)
        self.count = QLabel("No case open")
        self.trace_button = QPushButton("Trace this call", toolTip="Trace the selected call "
                                        "to its origin from this provider (Ctrl+T)")
        self.trace_button.setEnabled(False)
        self.count.setWordWrap(True)
        self.top_row = row = QHBoxLayout()
        row.addWidget(self.count, 1)
        row.addWidget(self.trace_button)
        lay.addLayout(row)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(2, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        vh = self.view.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 6)
        hh = self.view.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        for col, width in enumerate((140, 56, 170, 125, 125, 52, 90, 90, 150, 80, 50, 60, 160,
                                     170)):
            self.view.setColumnWidth(col, width)
        # the corrected start is the model's last column (column numbers stay put) but is
        # read beside the start the source wrote
        hh.moveSection([k for k, _ in COLUMNS].index(CORRECTED), 3)
        self.record = QPlainTextEdit(readOnly=True, placeholderText="Select a call to see its "
                                     "original line beside the normalized values")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.record.setFont(mono)
        self.side = QWidget()  # the selected record; in compact mode also the count
        side = QVBoxLayout(self.side)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.record, 1)
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.side)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setSizes([400, 90])
        self.record.setMinimumHeight(40)
        lay.addWidget(split, 1)
        self.compact = False
        self.setWidget(w)
        self.number.textChanged.connect(self._later)
        self.t_from.textChanged.connect(self._later)
        self.t_to.textChanged.connect(self._later)
        for combo in (self.which, self.provider, self.disposition):
            combo.currentIndexChanged.connect(self._later)
        self.clear.clicked.connect(self.clear_filters)
        self.provider.currentIndexChanged.connect(self._drop_ingress)
        self.trace_button.clicked.connect(self.sig_trace_requested)
        self.view.selectionModel().selectionChanged.connect(self._on_row_selected)
        self.view.doubleClicked.connect(lambda *_: self.sig_trace_requested.emit())

    def set_compact(self, on: bool) -> None:
        """On a short screen (768 px): tighter rows, and the selected record beside the
        table instead of under it, so the table keeps 15 rows or more in sight."""
        if on == self.compact:
            return
        self.compact = on
        extra = 2 if on else 6
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + extra)
        self.split.setOrientation(Qt.Orientation.Horizontal if on else Qt.Orientation.Vertical)
        side = self.side.layout()
        for k, w in enumerate((self.count, self.trace_button)):  # the row above: its height
            (side.insertWidget(k, w) if on else self.top_row.insertWidget(k, w, 1 - k))
        self.record.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth if on else
                                    QPlainTextEdit.LineWrapMode.NoWrap)
        self.split.setSizes([760, 190] if on else [400, 90])
        keys = [k for k, _ in COLUMNS]
        for key, (wide, narrow) in _TIGHT_WIDTHS.items():
            self.view.setColumnWidth(keys.index(key), narrow if on else wide)

    # -- filtering ----------------------------------------------------------------------
    def _later(self, *_) -> None:
        self._timer.start()

    def apply_now(self) -> None:
        """Filter at once instead of after the typing pause."""
        self._timer.stop()
        self.refresh()

    def current_filter(self) -> CallFilter | None:
        """The filter the widgets describe, or None (with the reason shown) if a field is bad."""
        times = []
        for edit in (self.t_from, self.t_to):
            text = edit.text().strip()
            us = parse_one(text) if text else None
            bad = us == NAT
            edit.setStyleSheet("border: 1px solid #d62728;" if bad else "")
            if bad:
                self.count.setText(f"'{text}' is not a time: {_TIME_TIP}")
                return None
            times.append(us)
        data = self.provider.currentData()
        providers = sources = None
        if isinstance(data, str) and data:
            providers = [data]
        elif isinstance(data, int):
            sources = [data]
        return CallFilter(number=self.number.text(), which=("either", "calling", "called")[
            self.which.currentIndex()], start_us=times[0], end_us=times[1],
            providers=providers, sources=sources, disposition=self.disposition.currentData(),
            ingress=self.ingress, sort=self.model.sort_key, descending=self.model.descending)

    def refresh(self) -> None:
        if self.session.case is None:
            return
        flt = self.current_filter()
        if flt is None:
            return
        self.count.setText("Filtering…")
        country = self.session.case.config.default_country
        self._querying = True
        self.session.runner.run("Filtering calls", query, self.session.frames, flt,
                                default_country=country, kind="calls-query",
                                on_done=self._on_rows, on_failed=self._on_query_failed)

    def _fetch_page(self, pager) -> None:
        """The view scrolled past the rows fetched: read the next page in a worker."""
        self.session.runner.run("Reading calls", _next_page, pager, kind="calls-page",
                                on_done=lambda page, p=pager: self._on_page(p, page),
                                on_failed=lambda exc, p=pager: self._on_page_failed(p, exc),
                                on_cancelled=lambda p=pager: self.model.page_failed(p))

    def _on_page(self, pager, page) -> None:
        self.model.add_page(pager, page)
        pending, self._pending = self._pending, None
        if pending is not None:
            self._select_record(pending[0], pending[1])

    def _on_page_failed(self, pager, exc: BaseException) -> None:
        self.model.page_failed(pager)
        self.count.setText(one_line(exc))

    def _on_query_failed(self, exc: BaseException) -> None:
        self._querying = False
        self._pending = None
        self.count.setText(one_line(exc))

    def _on_rows(self, rows) -> None:
        self._querying = False
        self.model.set_rows(rows)
        note = f" — {rows.notes[0]}" if rows.notes else ""
        if self.ingress is not None:
            note = f" — ingress {self.ingress or '(none recorded)'} only{note}"
        self.count.setText(f"{len(rows):,} of {rows.total:,} records{note}")
        self.trace_button.setEnabled(False)
        self.record.clear()
        pending, self._pending = self._pending, None
        if pending is not None and not self._select_record(pending[0], pending[1]) \
                and pending[2]:
            self._show_record(pending[0], pending[1])  # the new filters hide it too
        self.sig_rows_changed.emit(len(rows))

    def _reset_filters(self, provider) -> None:
        """Every filter off but the provider (``provider``: a provider name, a source index
        or None), without starting a query."""
        widgets = (self.number, self.t_from, self.t_to, self.which, self.provider,
                   self.disposition)
        for w in widgets:
            w.blockSignals(True)
        for edit in (self.number, self.t_from, self.t_to):
            edit.clear()
            edit.setStyleSheet("")
        self.which.setCurrentIndex(0)
        self.disposition.setCurrentIndex(0)
        self._select_combo(provider)
        for w in widgets:
            w.blockSignals(False)
        self.ingress = None

    def clear_filters(self) -> None:
        for edit in (self.number, self.t_from, self.t_to):
            edit.clear()
        for combo in (self.which, self.provider, self.disposition):
            combo.setCurrentIndex(0)
        self.ingress = None
        self.refresh()

    # -- session ------------------------------------------------------------------------
    def _on_case_changed(self, case) -> None:
        self.ingress = None
        self.model.set_frames(self.session.frames if case is not None else [])
        self._fill_combos(case)
        self.count.setText("No case open" if case is None else "Loading calls…")
        self.refresh()

    def _fill_combos(self, case) -> None:
        for combo in (self.provider, self.disposition):
            combo.blockSignals(True)
            combo.clear()
        self.provider.addItem("All providers", None)
        self.disposition.addItem("Any disposition", None)
        if case is not None:
            for name in case.providers_with_records():
                self.provider.addItem(name, name)
            for i, src in enumerate(case.sources):
                self.provider.addItem(f"  file: {src.config.path}", i)
            if any(isinstance(f, PagedFrame) for f in self.session.frames):
                # a store that pages answers with a query: not on the GUI thread
                self.session.runner.run("Reading dispositions", _dispositions,
                                        self.session.frames, kind="calls-dispositions",
                                        on_done=lambda values, c=case:
                                        self._add_dispositions(values)
                                        if self.session.case is c else None)
            else:
                for d in dispositions(self.session.frames):
                    self.disposition.addItem(d, d)
        for combo in (self.provider, self.disposition):
            combo.blockSignals(False)

    def _add_dispositions(self, values: list[str]) -> None:
        self.disposition.blockSignals(True)
        for d in values:
            if self.disposition.findData(d) < 0:
                self.disposition.addItem(d, d)
        self.disposition.blockSignals(False)

    def _select_combo(self, data) -> None:
        i = self.provider.findData(data)
        self.provider.setCurrentIndex(max(i, 0))

    def _on_provider_selected(self, name: str) -> None:
        if name and self.provider.findData(name) < 0:
            self._select_combo(None)
            self.count.setText(f"The case holds no CDRs from {name}: showing every provider")
            return
        self._select_combo(name or None)

    def _on_calls_filter(self, provider: str, ingress) -> None:
        """Show one provider's calls from one ingress (an analysis row was clicked)."""
        self.provider.blockSignals(True)
        self._select_combo(provider or None)
        self.provider.blockSignals(False)
        self.ingress = ingress
        self.show()
        self.raise_()
        self.apply_now()

    def _drop_ingress(self, *_) -> None:
        """An ingress belongs to one provider's files: choosing another provider drops it."""
        self.ingress = None

    def _on_source_selected(self, index: int) -> None:
        self._select_combo(index if index >= 0 else None)

    def _on_traceback_selected(self, traceback_id: str) -> None:
        case = self.session.case
        tb = next((t for t in case.tracebacks if t.traceback_id == traceback_id), None) \
            if case else None
        if tb is not None and tb.called:
            self.number.setText(tb.called)
            self.which.setCurrentIndex(2)

    # -- hops and their records ----------------------------------------------------------
    def _frame_of(self, hop) -> int | None:
        """Index of the frame holding ``hop``'s matched record (None: no record)."""
        if hop is None or not hop.found or hop.source is None or hop.row is None:
            return None
        return next((f.index for f in self.model.frames if f.sid == hop.source), None)

    def display_row(self, source: int, row: int) -> int | None:
        """Where record (source, row) is in the table as filtered now (None: hidden)."""
        rows = self.model.rows
        at = np.flatnonzero((rows.source == source) & (rows.row == row))
        return int(at[0]) if len(at) else None

    def show_hop(self, index: int) -> None:
        """Select hop ``index``'s matched record, scrolled into view; when the filters hide
        it, show its provider's calls with no other filter first."""
        hops = self.session.shown_hops()
        hop = hops[index] if 0 <= index < len(hops) else None
        src = self._frame_of(hop)
        if src is None:
            self._pending = None
            return
        if self._timer.isActive() or self._querying:  # the rows are about to change
            self._pending = (src, int(hop.row), True)
            self.view.clearSelection()
            return
        if not self._select_record(src, int(hop.row)):
            self._show_record(src, int(hop.row))

    def _show_record(self, src: int, row: int) -> None:
        """Show the provider of record (src, row) with no other filter, then select it."""
        frame = self.model.frames[src]
        self._pending = (src, row, False)
        self.view.clearSelection()  # never another hop's record while the query runs
        self._reset_filters(frame.provider if self.provider.findData(frame.provider) >= 0
                            else src)
        if self.model.paged:  # only a page is fetched: narrow to the record's called number
            self.number.blockSignals(True)
            self.which.blockSignals(True)
            self.number.setText(frame.display("called", row))
            self.which.setCurrentIndex(2)
            self.number.blockSignals(False)
            self.which.blockSignals(False)
        self.apply_now()

    def _select_record(self, source: int, row: int) -> bool:
        at = self.display_row(source, row)
        if at is None:
            return False
        sel = self.view.selectionModel().selectedRows()
        if not (sel and sel[0].row() == at):
            self.view.selectRow(at)
        self.view.scrollTo(self.model.index(at, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def _hop_of_row(self, source: int, row: int) -> int | None:
        """The shown hop whose matched record is (source, row), if any."""
        frames = self.model.frames
        if not 0 <= source < len(frames):
            return None
        sid = frames[source].sid
        for i, hop in enumerate(self.session.shown_hops()):
            if hop.found and hop.source == sid and hop.row == row:
                return i
        return None

    def _on_trace_changed(self, result) -> None:
        """A new trace selects its first hop's record when the table shows it (filters are
        not changed for it: the user may be reading another list)."""
        self._pending = None
        hops = self.session.shown_hops() if result is not None else []
        if 0 <= self.session.hop < len(hops):
            src = self._frame_of(hops[self.session.hop])
            if src is not None:
                self._select_record(src, int(hops[self.session.hop].row))

    def _on_skew(self, skew) -> None:
        apply_skew(self.model.frames, skew)
        col = [k for k, _ in COLUMNS].index(CORRECTED)
        if self.model.rowCount():
            self.model.dataChanged.emit(self.model.index(0, col),
                                        self.model.index(self.model.rowCount() - 1, col))
        if self.model.sort_key == CORRECTED:
            self.refresh()  # sorted by it: the order changes with the skew

    # -- the selected call ---------------------------------------------------------------
    def selected_call(self) -> tuple[object, int] | None:
        """(SourceFrame, row) of the selected call, if any."""
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        s, row = self.model.locate(rows[0].row())
        return self.model.frames[s], row

    def _on_row_selected(self, *_) -> None:
        sel = self.selected_call()
        self.trace_button.setEnabled(sel is not None)
        if sel is None:
            return
        frame, row = sel
        hop = self._hop_of_row(frame.index, row)
        if hop is not None:
            self.session.select_hop(hop)
        store = self.session.case.store
        fields = record_fields(frame, row, store)
        text = "\n".join(f"{k:<22} {v}" for k, v in fields)
        self.record.setPlainText(f"Normalized:\n{text}\n\nAs written (line "
                                 f"{int(frame.line[row])} of {frame.sid.path}):\n…")
        line = int(frame.line[row])
        self.session.runner.run("Reading the original line", _raw_line, store, frame.sid, line,
                                kind="raw-line",
                                on_done=lambda raw, t=text, f=frame, ln=line:
                                self._show_raw(t, f, ln, raw))

    def _show_raw(self, text: str, frame, line: int, raw: str) -> None:
        self.record.setPlainText(f"As written (line {line} of {frame.sid.path}):\n"
                                 f"{raw}\n\nNormalized:\n{text}")


def _next_page(pager, *, progress, should_stop):
    """The page after the rows a pager holds (one store query)."""
    progress(0.0, f"reading calls after row {pager.loaded:,}")
    return pager.next_page()


def _dispositions(frames, *, progress, should_stop) -> list[str]:
    progress(0.0, "reading dispositions")
    return dispositions(frames)


def _raw_line(store, sid, line: int, *, progress, should_stop) -> str:
    """The original text of one line of source ``sid``, read through the case's store."""
    progress(0.0, f"reading line {line}")
    return store.raw_lines(sid, [line]).get(line, "(line not found in the file)")


__all__ = ["CallsDock"]
