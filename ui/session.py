"""The open investigation as the GUI sees it: one object, every dock subscribes to it.

Holds the loaded case, the current trace and what is selected; runs the long
operations through the worker bridge; keeps unsaved edits until they are saved.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from workbench.case.writer import CaseEdits, save_edits
from workbench.common.errors import InputError
from workbench.present.report_text import outcome_sentence

from . import operations, settings
from .worker import Task, TaskRunner


class CaseSession(QObject):
    sig_loading = Signal(str)
    sig_case_changed = Signal(object)  # Case or None
    sig_skew_changed = Signal(object)  # {source index: Skew}
    sig_trace_changed = Signal(object)  # TraceResult or None
    sig_revealed_changed = Signal(int)
    sig_hop_selected = Signal(int)  # -1: none
    sig_provider_selected = Signal(str)  # "": none
    sig_source_selected = Signal(int)  # -1: all sources
    sig_traceback_selected = Signal(str)
    sig_dirty_changed = Signal(bool)
    sig_failed = Signal(str, object)  # title, exception
    sig_status = Signal(str)

    def __init__(self, runner: TaskRunner | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner or TaskRunner(self)
        self.case = None
        self.frames: list = []
        self.path: Path | None = None
        self.result = None
        self.results: list = []  # every trace of this session (the network view shows them)
        self.request: operations.TraceRequest | None = None
        self.step_mode = False
        self.revealed = 0
        self.hop = -1
        self.provider = ""
        self.source = -1
        self.traceback_id = ""
        self.edits = CaseEdits()
        self.audit = True  # write traces and mapping changes to the case's audit trail
        self._after_load: list = []

    # -- opening ------------------------------------------------------------------------
    def open(self, path: str | Path, then=None) -> Task:
        """Load a case in the background; ``then(session)`` runs once it is open."""
        path = Path(path)
        if then is not None:
            self._after_load.append(then)
        self.sig_loading.emit(str(path))
        return self.runner.run(f"Opening {path.name}", operations.load, path, kind="load",
                               on_done=lambda loaded, p=path: self._on_loaded(p, loaded),
                               on_failed=lambda exc: self._on_load_failed(exc),
                               on_cancelled=lambda: self._on_load_cancelled())

    def _on_loaded(self, path: Path, loaded: operations.LoadedCase) -> None:
        self.case, self.frames = loaded.case, loaded.frames
        self.path = Path(loaded.case.config.file)
        self.result, self.results, self.revealed, self.hop = None, [], 0, -1
        self.provider, self.source, self.traceback_id = "", -1, ""
        self._set_edits(CaseEdits())
        settings.add_recent_case(path)
        self.sig_case_changed.emit(self.case)
        self.sig_trace_changed.emit(None)
        self.sig_status.emit(f"Opened {self.case.name}")
        self.runner.run("Estimating clock skew", operations.estimate_skew, self.case,
                        kind="skew", on_done=self._on_skew,
                        on_failed=lambda exc: self.sig_failed.emit("Clock skew", exc))
        pending, self._after_load = self._after_load, []
        for fn in pending:
            fn(self)

    def _on_load_failed(self, exc: BaseException) -> None:
        self._after_load.clear()
        self.sig_failed.emit("The case could not be opened", exc)

    def _on_load_cancelled(self) -> None:
        self._after_load.clear()
        self.sig_status.emit("Opening the case was cancelled")

    def _on_skew(self, skew: dict) -> None:
        self.sig_skew_changed.emit(skew)

    def reload(self) -> Task | None:
        if self.path is None:
            return None
        req = self.request
        return self.open(self.path.parent, then=(lambda s: s.trace(req)) if req else None)

    # -- tracing ------------------------------------------------------------------------
    def trace(self, req: operations.TraceRequest) -> Task | None:
        if self.case is None:
            self.sig_failed.emit("Trace", InputError("open a case first"))
            return None
        return self.runner.run(f"Tracing {req.describe()}", operations.run_trace, self.case, req,
                               audit=self.audit, kind="trace",
                               on_done=lambda r, q=req: self._on_traced(q, r),
                               on_failed=lambda exc: self.sig_failed.emit("Trace", exc))

    def trace_traceback(self, traceback_id: str) -> Task | None:
        return self.trace(operations.TraceRequest(traceback_id=traceback_id))

    def _on_traced(self, req: operations.TraceRequest, result) -> None:
        self.request, self.result = req, result
        self.results = [r for r in self.results if not _same_call(r, result)] + [result]
        self.revealed = 1 if self.step_mode else len(result.hops)
        self.hop = 0 if result.hops else -1
        self.sig_trace_changed.emit(result)  # docks read revealed and hop from the session
        if self.step_mode:
            self.sig_status.emit(f"Traced {req.describe()}: step mode — F8 reveals the next hop")
        else:
            self.sig_status.emit(f"Traced {req.describe()}: {outcome_sentence(result)}")

    # -- step mode ----------------------------------------------------------------------
    def set_step_mode(self, on: bool) -> None:
        self.step_mode = on
        if self.result is not None:
            self.revealed = 1 if on else len(self.result.hops)
            self.sig_revealed_changed.emit(self.revealed)
            self.select_hop(min(self.hop, self.revealed - 1))

    def can_reveal(self) -> bool:
        return self.result is not None and self.revealed < len(self.result.hops)

    def reveal_next(self) -> None:
        if self.can_reveal():
            self.revealed += 1
            self.sig_revealed_changed.emit(self.revealed)
            self.select_hop(self.revealed - 1)

    def reveal_all(self) -> None:
        if self.result is not None:
            self.revealed = len(self.result.hops)
            self.sig_revealed_changed.emit(self.revealed)

    def shown_hops(self) -> list:
        return [] if self.result is None else self.result.hops[:self.revealed]

    # -- selection ----------------------------------------------------------------------
    def select_hop(self, index: int) -> None:
        if index != self.hop:
            self.hop = index
            self.sig_hop_selected.emit(index)

    def select_provider(self, name: str) -> None:
        if name != self.provider:
            self.provider = name or ""
            self.sig_provider_selected.emit(self.provider)

    def select_source(self, index: int) -> None:
        if index != self.source:
            self.source = index
            self.sig_source_selected.emit(index)

    def select_traceback(self, traceback_id: str) -> None:
        if traceback_id != self.traceback_id:
            self.traceback_id = traceback_id
            self.sig_traceback_selected.emit(traceback_id)

    # -- edits --------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self.edits)

    def _set_edits(self, edits: CaseEdits) -> None:
        self.edits = edits
        self.sig_dirty_changed.emit(self.dirty)

    def edit_source(self, index: int, **change) -> None:
        """Stage new upstreams/customers/notes for source ``index`` (saved by ``save``)."""
        self.edits.sources.setdefault(index, {}).update(change)
        self.sig_dirty_changed.emit(True)

    def edit_case_notes(self, text: str) -> None:
        raw = self.case.config.raw if self.case else {}
        saved = str(raw.get("case", {}).get("notes", "") or "")
        self.edits.case_notes = None if text.rstrip() == saved.rstrip() else text
        self.sig_dirty_changed.emit(self.dirty)

    def pending(self, index: int, key: str, default):
        return self.edits.sources.get(index, {}).get(key, default)

    def save(self) -> Path | None:
        """Write the edits atomically and reopen the case so traces use them."""
        if self.case is None or not self.dirty:
            return None
        path = save_edits(self.case.config, self.edits)
        if self.audit:
            _audit_mappings(self.case, self.edits)
        self._set_edits(CaseEdits())
        self.sig_status.emit(f"Saved {path}")
        self.reload()
        return path

    def discard_edits(self) -> None:
        self._set_edits(CaseEdits())


def _audit_mappings(case, edits: CaseEdits) -> None:
    try:
        from workbench.case.audit import log_mapping_change
    except ImportError:
        return
    for i, change in edits.sources.items():
        cfg = case.sources[i].config
        before = {"upstreams": cfg.upstreams, "customers": cfg.customers}
        after = {k: change.get(k, before[k]) for k in before}
        if after != before:
            try:
                log_mapping_change(case.root, cfg.path, before, after)
            except OSError:
                pass


def _same_call(a, b) -> bool:
    if a.traceback_id or b.traceback_id:
        return a.traceback_id == b.traceback_id
    return (a.calling, a.called, a.at_us) == (b.calling, b.called, b.at_us)
