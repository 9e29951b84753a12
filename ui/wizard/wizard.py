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
from .process_pool import ProcessJobs
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
        self.jobs = ProcessJobs()  # reading and checking files never holds the GUI's GIL
        self.jobs.warm_up()
        self.case_page = CasePage(self.state)
        self.files_page = FilesPage(self.state, runner, self.jobs)
        self.source_page = SourcePage(self.state, runner, self.jobs)
        self.ingress_page = IngressPage(self.state, runner, self.jobs)
        self.finish_page = FinishPage(self.state, runner, self.jobs)
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

    def done(self, result: int) -> None:  # noqa: D401 - Qt API: accepted, rejected or closed
        """The wizard is finished: stop its jobs and worker processes."""
        super().done(result)
        self.jobs.shutdown()

    def _confirm_overwrite(self, folder: Path) -> bool:
        from PySide6.QtWidgets import QMessageBox
        answer = QMessageBox.question(self, "Replace case.toml?",
                                      f"{folder / CASE_FILE} already exists. Replace it?")
        return answer == QMessageBox.StandardButton.Yes
