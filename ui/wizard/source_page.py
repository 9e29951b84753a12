"""New-case wizard: how each file is read — format, zone, date order, mapping, live preview."""
from __future__ import annotations

import html
from zoneinfo import available_timezones

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from workbench.ingest import formats

from ..docks.list_model import RowsModel
from .jobs import first_problem, in_words, preview_file
from .mapping_model import MappingModel, mapping_view
from .process_pool import ProcessJobs
from .state import WizardState

COMMON_ZONES = ["UTC", "America/New_York", "America/Chicago", "America/Denver",
                "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
                "America/Puerto_Rico", "Europe/London"]


class SourcePage(QWizardPage):
    def __init__(self, state: WizardState, runner, jobs: ProcessJobs):
        super().__init__()
        self.state, self.runner, self.jobs = state, runner, jobs
        self.setTitle("How each file is read")
        self.setSubTitle("Check the detected format, the time zone the file's times are written "
                         "in, and the column mapping. The preview shows the first rows as read.")
        self.file = QComboBox(toolTip="The file whose reading you are checking")
        self.detected = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.format = QComboBox(toolTip="auto: use the best-scoring format profile")
        self.format.addItem("auto (detected)", "auto")
        for p in formats.profiles():
            self.format.addItem(f"{p.name} — {p.title}", p.name)
        self.zone = QComboBox(editable=True, toolTip="IANA time zone of times written without "
                              "an offset (e.g. America/Chicago for local Central time)")
        self.zone.addItems(COMMON_ZONES + sorted(available_timezones() - set(COMMON_ZONES)))
        self.order = QComboBox(toolTip="Order of day and month in dates like 03/04/2026")
        for text, v in (("detect", None), ("MDY (US)", "MDY"), ("DMY", "DMY"), ("YMD", "YMD")):
            self.order.addItem(text, v)
        self.basis = QComboBox(toolTip="What the start column measures: the INVITE (call "
                               "set-up) or the answer time")
        for text, v in (("format default", None), ("invite (set-up)", "invite"),
                        ("answer", "answer")):
            self.basis.addItem(text, v)
        self.mapping = MappingModel(self)
        self.mapping_view = mapping_view(self.mapping)
        self.preview = RowsModel([], self)
        self.preview_view = QTableView()
        self.preview_view.setModel(self.preview)
        self.preview_view.verticalHeader().setVisible(False)
        self.status = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self._build()
        self._timer = QTimer(self, singleShot=True, interval=300)
        self._timer.timeout.connect(self.refresh_preview)
        self.file.currentIndexChanged.connect(self._show_file)
        for box in (self.format, self.order, self.basis):
            box.currentIndexChanged.connect(self._on_changed)
        self.zone.currentTextChanged.connect(self._on_changed)
        self.mapping.dataChanged.connect(self._on_changed)
        self._loading = False
        self._checking = self._passed = False

    def _build(self) -> None:
        form = QFormLayout()
        form.addRow("File:", self.file)
        form.addRow("Detected:", self.detected)
        form.addRow("&Format:", self.format)
        row = QHBoxLayout()
        row.addWidget(self.zone, 2)
        row.addWidget(QLabel("Date order:"))
        row.addWidget(self.order, 1)
        row.addWidget(QLabel("Start is:"))
        row.addWidget(self.basis, 1)
        form.addRow("Time zone:", row)
        hint = QLabel("<small>Times written without a UTC offset are read in this zone "
                      "(local switch time, e.g. America/Chicago).</small>")
        hint.setStyleSheet("color: gray")
        form.addRow("", hint)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("<b>Column mapping</b> (double-click to change)"))
        ll.addWidget(self.mapping_view)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("<b>Preview</b> — raw beside normalized"))
        rl.addWidget(self.preview_view, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([260, 640])
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(split, 1)
        lay.addWidget(self.status)

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        self.file.blockSignals(True)
        self.file.clear()
        for f in self.state.files:
            self.file.addItem(f"{f.provider} — {f.path.name}")
        self.file.blockSignals(False)
        self.file.setCurrentIndex(0)
        self._show_file(0)

    def current(self):
        i = self.file.currentIndex()
        return self.state.files[i] if 0 <= i < len(self.state.files) else None

    def _show_file(self, i: int) -> None:
        f = self.current()
        if f is None:
            return
        self._loading = True
        ins = f.inspection
        det = ins.detections if ins else []
        text = "; ".join(f"<b>{d.format}</b> {d.score:.2f} "
                         f"({html.escape(', '.join(d.evidence[:2]))})" for d in det[:2])
        if ins and ins.note:
            text += f"<br><span style='color:#b35900'>{html.escape(ins.note)}</span>"
        self.detected.setText(text or "no format fits well: map the columns")
        self.format.setCurrentIndex(max(self.format.findData(f.format), 0))
        self.zone.setCurrentText(f.timezone)
        self.order.setCurrentIndex(max(self.order.findData(f.date_order), 0))
        self.basis.setCurrentIndex(max(self.basis.findData(f.time_basis), 0))
        self.mapping.load(f.mapping, ins.headers if ins else [], f.mappable)
        self._loading = False
        self.refresh_preview()

    def _on_changed(self, *_) -> None:
        f = self.current()
        if f is None or self._loading:
            return
        f.format = self.format.currentData()
        f.timezone = self.zone.currentText().strip() or "UTC"
        f.date_order = self.order.currentData()
        f.time_basis = self.basis.currentData()
        self.mapping.enabled = f.mappable
        f.ingress = None  # read again with the new settings
        self._timer.start()

    def refresh_preview(self) -> None:
        f = self.current()
        if f is None:
            return
        self.status.setText("Reading the first rows…")
        self.runner.run(f"Previewing {f.path.name}", self.jobs.bind(preview_file), f,
                        self.state.country,
                        kind="wizard-preview", on_done=self._on_preview,
                        on_failed=self._on_preview_failed)

    def _on_preview(self, pv) -> None:
        self.preview.headers = pv.columns
        self.preview.set_rows(pv.rows)
        self.preview_view.resizeColumnsToContents()
        if pv.error:  # the rows as written, while a required column is still unmapped
            self.status.setText(f"<span style='color:#d62728'>{html.escape(pv.error)}</span>"
                                "<br>The preview shows the rows as written until they read.")
            return
        notes = [html.escape(n) for n in pv.notes[:3]]
        if pv.date_rule:
            notes.insert(0, f"dates: {html.escape(pv.date_rule)}")
        self.status.setText("<br>".join(notes) or "Looks fine.")

    def _on_preview_failed(self, exc) -> None:
        self.preview.set_rows([])
        text = in_words(exc)
        self.status.setText(f"<span style='color:#d62728'>{html.escape(text)}</span>")

    # -- for tests and scripted use -------------------------------------------------------
    def select_file(self, i: int) -> None:
        self.file.setCurrentIndex(i)

    def set_zone(self, zone: str) -> None:
        self.zone.setCurrentText(zone)

    def set_basis(self, basis: str | None) -> None:
        self.basis.setCurrentIndex(max(self.basis.findData(basis), 0))

    def set_field(self, name: str, header: str) -> None:
        from .mapping_model import FIELDS
        self.mapping.setData(self.mapping.index(FIELDS.index(name), 1), header)

    def validatePage(self) -> bool:  # noqa: N802
        """Every file must read: its required fields mapped and most of its rows usable.
        Checked in a worker process; the page moves on by itself when every file reads."""
        if self._passed:
            self._passed = False
            return True
        if not self._checking:
            self._checking = True
            self.status.setText("Checking that every file reads…")
            self.completeChanged.emit()
            self.runner.run("Checking the files", self.jobs.bind(first_problem),
                            list(self.state.files),
                            self.state.country, kind="wizard-check", on_done=self._on_checked,
                            on_failed=self._on_check_failed,
                            on_cancelled=self._on_check_failed)
        return False

    def _on_checked(self, found: tuple[int, str] | None) -> None:
        self._checking = False
        self.completeChanged.emit()
        if found is None:
            self._passed = True
            self.wizard().next()
            return
        i, problem = found
        self.select_file(i)
        f = self.state.files[i]
        self.status.setText(f"<span style='color:#d62728'>{html.escape(f.provider)}: "
                            f"{html.escape(problem)}</span>")

    def _on_check_failed(self, exc=None) -> None:
        self._checking = False
        self.completeChanged.emit()
        if exc is not None:
            self.status.setText(f"<span style='color:#d62728'>{html.escape(in_words(exc))}"
                                "</span>")

    def isComplete(self) -> bool:  # noqa: N802
        return not self._checking
