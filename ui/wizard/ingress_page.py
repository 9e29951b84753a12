"""New-case wizard: who handed each file's calls over — fill upstreams and customers."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWizardPage

from workbench.case.draft_checks import Proposal
from workbench.investigation.draft_review import DraftReview, accept_action

from ..dialogs.ingress_table import IngressMapModel, ingress_view
from ..errors import one_line
from .jobs import count_ingress, review_state
from .process_pool import ProcessJobs
from .state import WizardState


class IngressPage(QWizardPage):
    def __init__(self, state: WizardState, runner, jobs: ProcessJobs):
        super().__init__()
        self.state, self.runner, self.jobs = state, runner, jobs
        self.setTitle("Who handed the calls over")
        self.setSubTitle("Each distinct ingress id of a file (trunk, IP, account) with its number "
                         "of calls. Name the upstream provider behind it, or mark it as the "
                         "provider's own customer (where calls start). Suggestions come from "
                         "the traceback records' calls found in the file.")
        self.file = QComboBox()
        self.model = IngressMapModel(self)
        self.view = None
        self.status = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.suggest = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.accept_file = QPushButton("Accept the suggestions for this file")
        self.accept_all = QPushButton("Accept all suggestions")
        self.accept_file.clicked.connect(lambda: self.accept_suggestions(self.file.currentIndex()))
        self.accept_all.clicked.connect(lambda: self.accept_suggestions(None))
        buttons = QHBoxLayout()
        buttons.addWidget(self.suggest, 1)
        buttons.addWidget(self.accept_file)
        buttons.addWidget(self.accept_all)
        lay = QVBoxLayout(self)
        lay.addWidget(self.file)
        self._lay = lay
        lay.addWidget(self.status)
        lay.addLayout(buttons)
        self.proposals: dict[int, list[Proposal]] = {}
        self.reviewing = False
        self.file.currentIndexChanged.connect(self._show_file)
        self.model.dataChanged.connect(self._store)
        self.pending: set[int] = set()

    def initializePage(self) -> None:  # noqa: N802 - Qt API
        names = sorted({f.provider for f in self.state.files})
        if self.view is None:
            self.view = ingress_view(self.model, names)
            self._lay.insertWidget(1, self.view, 1)
        else:
            self.view.itemDelegateForColumn(3).names = names
        self.file.blockSignals(True)
        self.file.clear()
        for f in self.state.files:
            self.file.addItem(f"{f.provider} — {f.path.name}")
        self.file.blockSignals(False)
        for i, f in enumerate(self.state.files):
            if f.ingress is None and i not in self.pending:
                self.pending.add(i)
                self.runner.run(f"Counting ingress ids in {f.path.name}",
                                self.jobs.bind(count_ingress), f,
                                kind=f"wizard-ingress-{i}",
                                on_done=lambda counts, k=i: self._on_counts(k, counts),
                                on_failed=lambda exc, k=i: self._on_failed(k, exc))
        self.file.setCurrentIndex(0)
        self._show_file(0)
        self._review()

    def _review(self) -> None:
        """Find the records' calls in each file (a worker process): which ingress carried
        them."""
        if not self.state.tracebacks:
            self.proposals = {}
            self._show_suggestions()
            return
        self.reviewing = True
        self._show_suggestions()
        self.runner.run("Finding the traced calls in the files", self.jobs.bind(review_state),
                        self.state,
                        kind="wizard-review", on_done=self._on_review,
                        on_failed=self._on_review_failed,
                        on_cancelled=lambda: self._on_review_failed(None))

    def _on_review(self, review: DraftReview) -> None:
        self.reviewing = False
        self.proposals = review.proposals
        self._show_suggestions()

    def _on_review_failed(self, exc) -> None:
        self.reviewing = False
        self.proposals = {}
        self._show_suggestions(f"No suggestions: {one_line(exc)}" if exc is not None else None)

    def _show_suggestions(self, problem: str | None = None) -> None:
        i = self.file.currentIndex()
        todo = self.proposals.get(i, [])
        any_left = any(self.proposals.values())
        self.accept_file.setEnabled(bool(todo))
        self.accept_all.setEnabled(any_left)
        if self.reviewing:
            self.suggest.setText("Looking for the traceback records' calls in the files…")
        elif problem:
            self.suggest.setText(html.escape(problem))
        elif todo:
            lines = "; ".join(f"<b>{html.escape(p.ingress)}</b> → "
                              f"{'customer ' if p.customer else ''}{html.escape(p.name)} "
                              f"({p.calls} traced call{'s' if p.calls != 1 else ''}"
                              f"{f', {p.against} against' if p.against else ''})"
                              for p in todo[:6])
            more = f"; and {len(todo) - 6} more" if len(todo) > 6 else ""
            self.suggest.setText(f"<span style='color:#1f5fa8'>Suggested from the traceback "
                                 f"records:</span> {lines}{more}")
        elif self.state.tracebacks:
            self.suggest.setText("No suggestion for this file: no traced call was found in it "
                                 "on an unmapped ingress.")
        else:
            self.suggest.setText("Load traceback records on the first page to get suggestions.")

    def accept_suggestions(self, index: int | None) -> int:
        """Map every suggested ingress of one file (or of all files); how many were mapped."""
        done = 0
        for i in ([index] if index is not None else list(self.proposals)):
            todo = self.proposals.pop(i, [])
            if todo:
                self.state.apply(accept_action(i, todo))
                done += len(todo)
        self._show_file(self.file.currentIndex())
        return done

    def _on_counts(self, i: int, counts) -> None:
        self.pending.discard(i)
        self.state.files[i].ingress = counts
        if i == self.file.currentIndex():
            self._show_file(i)
        self.completeChanged.emit()

    def _on_failed(self, i: int, exc) -> None:
        self.pending.discard(i)
        self.state.files[i].ingress = []
        self.status.setText(f"<span style='color:#d62728'>{html.escape(one_line(exc))}</span>")
        self.completeChanged.emit()

    def _show_file(self, i: int) -> None:
        if not 0 <= i < len(self.state.files):
            return
        f = self.state.files[i]
        if f.ingress is None:
            self.status.setText(f"Reading {f.path.name} for its ingress ids…")
            self.model.set_rows([], f.upstreams, f.customers)
            return
        self.model.set_rows(f.ingress, f.upstreams, f.customers)
        self._show_suggestions()
        n = len(f.ingress)
        self.status.setText(f"{n} distinct ingress id(s) in {html.escape(f.path.name)}"
                            if n else "This file has no ingress column: the trace will stop at "
                            "this provider unless its calls' origin is known.")

    def _store(self, *_) -> None:
        i = self.file.currentIndex()
        if 0 <= i < len(self.state.files):
            f = self.state.files[i]
            f.upstreams, f.customers = self.model.tables()

    def isComplete(self) -> bool:  # noqa: N802
        return not self.pending

    # -- for tests and scripted use -------------------------------------------------------
    def set_entry(self, file_index: int, ingress: str, kind: str, name: str) -> None:
        self.file.setCurrentIndex(file_index)
        if not self.model.set_entry(ingress, kind, name):
            raise KeyError(f"{ingress} is not an ingress id of file {file_index}")
