"""New case from files: pick files, name providers, check reading, map ingress, write case.toml."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWizard

from workbench.case.writer import write_case
from workbench.ingest.config import CASE_FILE

from ..errors import one_line
from ..worker import TaskRunner
from .ingress_page import IngressPage
from .pages import CasePage, FilesPage, FinishPage
from .source_page import SourcePage
from .state import DRAFT_COMMENT, WizardState


class NewCaseWizard(QWizard):
    sig_case_written = Signal(str, bool)  # path of case.toml, open it

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.setWindowTitle("New case from files")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.state = WizardState()
        self.runner = runner
        self.case_page = CasePage(self.state)
        self.files_page = FilesPage(self.state, runner)
        self.source_page = SourcePage(self.state, runner)
        self.ingress_page = IngressPage(self.state, runner)
        self.finish_page = FinishPage(self.state, runner)
        for p in (self.case_page, self.files_page, self.source_page, self.ingress_page,
                  self.finish_page):
            self.addPage(p)
        self.written: Path | None = None
        self.resize(980, 680)

    def accept(self) -> None:
        folder = self.state.folder
        try:
            if folder and (folder / CASE_FILE).exists() and not self._confirm_overwrite(folder):
                return
            self.written = write_case(folder, self.state.draft(self.finish_page.notes()),
                                      comment=DRAFT_COMMENT)
        except Exception as exc:  # shown on the page in words; the wizard stays open
            self.finish_page.error.setText(one_line(exc))
            return
        self.sig_case_written.emit(str(self.written), self.finish_page.open_after.isChecked())
        super().accept()

    def _confirm_overwrite(self, folder: Path) -> bool:
        from PySide6.QtWidgets import QMessageBox
        answer = QMessageBox.question(self, "Replace case.toml?",
                                      f"{folder / CASE_FILE} already exists. Replace it?")
        return answer == QMessageBox.StandardButton.Yes
