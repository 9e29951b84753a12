"""Trace menu: trace from a call, a traceback record or a form; trainer step mode; cancel."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog

from workbench.common.errors import InputError
from workbench.investigation import TraceRequest
from workbench.present.training import question

from .. import settings
from ..dialogs.step_dialog import StepQuestionDialog
from ..dialogs.trace_form import TraceFormDialog, prefill_from_traceback


class TraceCommands:
    def __init__(self, window):
        self.w = window
        self.session = window.session

    def _hint(self, text: str) -> None:
        self.w.statusBar().showMessage(text, 8000)

    def request_for_selected_call(self) -> TraceRequest | None:
        sel = self.w.calls_dock.selected_call()
        if sel is None:
            return None
        frame, row = sel
        return TraceRequest(calling=frame.display("calling", row),
                            called=frame.display("called", row), at=int(frame.start[row]),
                            from_provider=frame.provider)

    def trace_selected_call(self) -> None:
        try:
            req = self.request_for_selected_call()
        except InputError as exc:  # a record without a called number or time
            self._hint(f"This call cannot be traced: {exc}")
            return
        if req is None:
            self._hint("Select a call in the Calls table first, then press Ctrl+T.")
            self.w.calls_dock.raise_()
            return
        self.session.trace(req)

    def trace_selected_traceback(self) -> None:
        tid = self.w.case_dock.selected_traceback() or self.session.traceback_id
        if not tid:
            self._hint("Select a traceback record in the Case dock first.")
            return
        self.session.trace_traceback(tid)

    def trace_form(self) -> None:
        case = self.session.case
        if case is None:
            return
        tid = self.session.traceback_id
        tb = next((t for t in case.tracebacks if t.traceback_id == tid), None)
        prefill = prefill_from_traceback(tb) if tb else {}
        dlg = TraceFormDialog(case, self.w, **prefill)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.session.trace(dlg.request())

    # -- step mode ----------------------------------------------------------------------
    def toggle_step(self, on: bool) -> None:
        self.session.set_step_mode(bool(on))
        self.w.refresh_actions()

    def toggle_ask(self, on: bool) -> None:
        settings.set_ask_upstream_in_step_mode(bool(on))

    def reveal_next(self) -> None:
        s = self.session
        if not s.can_reveal():
            return
        if settings.ask_upstream_in_step_mode():
            dlg = StepQuestionDialog(question(s.case, s.result, s.revealed - 1), self.w)
            if dlg.exec() != QDialog.DialogCode.Accepted:
                return
        s.reveal_next()
        self.w.refresh_actions()

    def reveal_all(self) -> None:
        self.session.reveal_all()
        self.w.refresh_actions()

    def cancel_task(self) -> None:
        self.w.progress.cancel_current()
