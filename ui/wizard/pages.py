"""New-case wizard: the case page, the files page and the finish page."""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWizardPage,
)

from workbench.case.draft import FileInspection
from workbench.case.draft_checks import notes_text
from workbench.case.writer import dumps
from workbench.investigation.draft_review import DraftReview

from .. import settings
from ..errors import one_line
from .findings_view import FindingsWidget
from .jobs import inspect_files, review_state
from .process_pool import ProcessJobs
from .state import DRAFT_COMMENT, FileDraft, WizardState

COUNTRIES = ["US", "CA", "PR", "GB", "AU", "DE", "FR", "IN", "MX", "PH"]


def _browse_row(edit: QLineEdit, button_text: str, pick) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    b = QPushButton(button_text)
    b.clicked.connect(pick)
    row.addWidget(b)
    return row


class CasePage(QWizardPage):
    def __init__(self, state: WizardState):
        super().__init__()
        self.state = state
        self.setTitle("The case")
        self.setSubTitle("Where case.toml goes, and what the case is called.")
        self.folder = QLineEdit(placeholderText="a folder for the case (created if missing)")
        self.name = QLineEdit(placeholderText="e.g. Vehicle warranty robocalls, March 2026")
        self.country = QComboBox(editable=True)
        self.country.addItems(COUNTRIES)
        self.country.setToolTip("Region used to read national numbers without a country code")
        self.tracebacks = QLineEdit(placeholderText="optional: traceback records (CSV, XLSX, JSON)")
        form = QFormLayout(self)
        form.addRow("Case &folder:", _browse_row(self.folder, "Browse…", self._pick_folder))
        form.addRow("Case &name:", self.name)
        form.addRow("Default &country:", self.country)
        form.addRow("&Traceback records:", _browse_row(self.tracebacks, "Browse…", self._pick_tb))
        self.folder.textChanged.connect(self.completeChanged)
        self.name.textChanged.connect(self.completeChanged)

    def _pick_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Case folder", settings.last_dir())
        if d:
            self.folder.setText(d)

    def _pick_tb(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Traceback records", self.folder.text() or
                                           settings.last_dir(),
                                           "Traceback records (*.csv *.xlsx *.json);;All files (*)")
        if f:
            self.tracebacks.setText(f)

    def isComplete(self) -> bool:  # noqa: N802 - Qt API
        return bool(self.folder.text().strip() and self.name.text().strip())

    def validatePage(self) -> bool:  # noqa: N802
        self.state.folder = Path(self.folder.text().strip()).expanduser()
        self.state.name = self.name.text().strip()
        self.state.country = self.country.currentText().strip().upper() or "US"
        tb = self.tracebacks.text().strip()
        self.state.tracebacks = Path(tb).expanduser() if tb else None
        if self.state.tracebacks and not self.state.tracebacks.exists():
            self.setSubTitle(f"<span style='color:#d62728'>{tb} does not exist.</span>")
            return False
        return True


class FilesModel(QAbstractTableModel):
    """File | Provider (editable) | Detected format."""

    HEAD = ["CDR file", "Provider", "Detected format"]

    def __init__(self, state: WizardState, parent=None):
        super().__init__(parent)
        self.state = state

    def add(self, inspections: list[FileInspection]) -> None:
        """Append files inspected in a worker (``inspect_files``); known paths are skipped."""
        have = {f.path for f in self.state.files}
        new = [ins for ins in inspections if ins.path not in have]
        if not new:
            return
        n = len(self.state.files)
        self.beginInsertRows(QModelIndex(), n, n + len(new) - 1)
        for ins in new:
            self.state.files.append(FileDraft(path=ins.path, provider=ins.provider_guess,
                                              inspection=ins, mapping=dict(ins.mapping),
                                              auto_mapping=dict(ins.mapping)))
        self.endInsertRows()

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.state.files):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.state.files[row]
            self.endRemoveRows()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.state.files)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else 3

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        f = self.state.files[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if index.column() == 0:
                return f.path.name
            if index.column() == 1:
                return f.provider
            d = f.inspection.detections if f.inspection else []
            return f"{d[0].format} ({d[0].score:.2f})" if d else "none fits"
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 2 and f.inspection:
                return "\n".join(f"{d.format} {d.score:.2f}: " + "; ".join(d.evidence[:3])
                                 for d in f.inspection.detections[:4])
            return str(f.path)
        return None

    def flags(self, index):
        fl = super().flags(index)
        return fl | Qt.ItemFlag.ItemIsEditable if index.column() == 1 else fl

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if index.column() == 1 and role == Qt.ItemDataRole.EditRole:
            self.state.files[index.row()].provider = str(value).strip()
            self.dataChanged.emit(index, index)
            return True
        return False

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEAD[section]
        return None


class FilesPage(QWizardPage):
    def __init__(self, state: WizardState, runner, jobs: ProcessJobs):
        super().__init__()
        self.state, self.runner, self.jobs = state, runner, jobs
        self.pending = 0
        self.status = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.setTitle("CDR files")
        self.setSubTitle("Add one file per provider (or several) and name the provider of each: "
                         "double-click a provider name to edit it.")
        self.model = FilesModel(state, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        add = QPushButton("Add files…")
        rem = QPushButton("Remove")
        add.clicked.connect(self._pick)
        rem.clicked.connect(lambda: self.model.remove(self.view.currentIndex().row()))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(rem)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self.model.rowsInserted.connect(self.completeChanged)
        self.model.rowsRemoved.connect(self.completeChanged)
        self.model.dataChanged.connect(self.completeChanged)

    def _pick(self) -> None:
        kinds = "*.csv *.txt *.tsv *.psv *.xlsx *.xlsm *.parquet *.json *.xml *.log *.cdr"
        files, _ = QFileDialog.getOpenFileNames(self, "CDR files", settings.last_dir(),
                                                f"CDR files ({kinds});;All files (*)")
        if files:
            settings.set_last_dir(files[0])
            self.add_files([Path(f) for f in files])

    def add_files(self, paths: list[Path]) -> None:
        """Detect each file's format and read its header in a worker process; rows appear
        when done."""
        paths = [Path(p) for p in paths]
        self.pending += 1
        self.status.setText(f"Reading {len(paths)} file(s)…")
        self.completeChanged.emit()
        self.runner.run(f"Inspecting {len(paths)} file(s)", self.jobs.bind(inspect_files),
                        paths, self.state.tracebacks, kind=f"wizard-add-{id(paths)}",
                        on_done=self._on_inspected, on_failed=self._on_failed)

    def _on_inspected(self, done: tuple[list[str], list[FileInspection], list[str]]) -> None:
        known, inspections, problems = done
        self.pending -= 1
        if known:
            self.state.record_providers = known
        self.model.add(inspections)
        self.status.setText("<br>".join(f"<span style='color:#d62728'>{html.escape(p)}</span>"
                                        for p in problems))
        self.completeChanged.emit()

    def _on_failed(self, exc) -> None:
        self.pending -= 1
        self.status.setText(f"<span style='color:#d62728'>{html.escape(one_line(exc))}</span>")
        self.completeChanged.emit()

    def set_provider(self, row: int, name: str) -> None:
        self.model.setData(self.model.index(row, 1), name)

    def isComplete(self) -> bool:  # noqa: N802
        return (not self.pending and bool(self.state.files)
                and all(f.provider.strip() for f in self.state.files))


class FinishPage(QWizardPage):
    """Checks the draft as it would trace (in a worker) and shows what is wrong, each with its
    one-click fix, above the case.toml that will be written."""

    def __init__(self, state: WizardState, runner, jobs: ProcessJobs):
        super().__init__()
        self.state, self.runner, self.jobs = state, runner, jobs
        self.setTitle("Check and write case.toml")
        self.setSubTitle("The case is read and its traceback records traced as they stand. "
                         "Fix what is listed, or write the case anyway: the warnings are kept "
                         "in its notes.")
        self.summary = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.findings = FindingsWidget()
        self.findings.sig_action.connect(self._on_action)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.open_after = QCheckBox("Open the case when done", checked=True)
        self.error = QLabel(styleSheet="color: #d62728", wordWrap=True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.findings)
        split.addWidget(self.text)
        split.setSizes([330, 170])
        lay = QVBoxLayout(self)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)
        lay.addWidget(self.error)
        lay.addWidget(self.open_after)
        self.pending = False

    def initializePage(self) -> None:  # noqa: N802
        self.error.clear()
        self.check()

    def check(self) -> None:
        """Review the draft again (after any change) in a worker process."""
        self._show_text()
        self.pending = True
        self.summary.setText("Checking how this case would trace — reading the files and "
                             "tracing the records…")
        self.findings.show_findings([], [])
        self.completeChanged.emit()
        self.runner.run("Checking the new case", self.jobs.bind(review_state), self.state,
                        kind="wizard-review", on_done=self._on_review,
                        on_failed=self._on_review_failed, on_cancelled=lambda: None)

    def _on_review(self, review: DraftReview) -> None:
        self.pending = False
        self.state.review = review
        names = [f"{f.provider} ({f.path.name})" for f in self.state.files]
        self.findings.show_findings(review.findings, names)
        self.summary.setText(review_summary(review))
        self._show_text()
        self.completeChanged.emit()

    def _on_review_failed(self, exc) -> None:
        self.pending = False
        self.state.review = None
        self.summary.setText("<span style='color:#d62728'>The case could not be checked: "
                             f"{html.escape(one_line(exc))}</span>")
        self.completeChanged.emit()

    def _on_action(self, action) -> None:
        self.state.apply(action)
        self.check()

    def _show_text(self) -> None:
        self.text.setPlainText(dumps(self.state.draft(self.notes()).to_dict(), DRAFT_COMMENT))

    def notes(self) -> str | None:
        """The warnings left, as the case's notes (the opened case shows them again)."""
        r = self.state.review
        return notes_text(r.findings) if r is not None and r.findings else None

    def isComplete(self) -> bool:  # noqa: N802
        return not self.pending

    # -- for tests and scripted use -------------------------------------------------------
    def apply(self, kind: str) -> int:
        """Click every fix of this kind of action once; how many there were."""
        r = self.state.review
        actions = [f.action for f in (r.findings if r else []) if f.action and
                   f.action.kind == kind]
        for a in actions:
            self.state.apply(a)
        if actions:
            self.check()
        return len(actions)


def review_summary(r: DraftReview) -> str:
    """One line above the list: how much was checked and how it went."""
    checked = (f"{r.traced} of {r.records} traceback records traced" if r.records else
               "no traceback records to trace")
    if not r.findings:
        return f"<span style='color:#2ca02c'><b>No problems found</b></span> ({checked})."
    n = len(r.findings)
    return (f"<span style='color:#d62728'><b>{n} warning{'s' if n != 1 else ''}</b></span> "
            f"({checked}). Chains traced with these left as they are may be wrong.")
