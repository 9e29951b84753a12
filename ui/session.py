"""The open investigation as the GUI sees it: one object, every dock subscribes to it.

Holds a ``workbench`` Investigation (the case, its traces, staged edits, step mode and the
audit policy, shared with the command line), runs its long methods through the worker
bridge, and adds what only the GUI has: the calls table's frames and the selection.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from workbench.analytics.dossier import Dossier, provider_dossiers
from workbench.analytics.traffic import TrafficAnalysis, analyze_provider
from workbench.case.audit import read_audit
from workbench.case.model import Case
from workbench.case.writer import CaseEdits
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check
from workbench.ingest.dno import load_dno
from workbench.ingest.rmd import Rmd, load_rmd
from workbench.investigation import Investigation, TraceRequest
from workbench.investigation.zone_warnings import zone_warnings
from workbench.present.calls_query import SourceFrame, build_frames
from workbench.present.report_text import outcome_sentence
from workbench.present.trace_words import note_text
from workbench.store.protocol import SourceId
from workbench.trace.results import NoteKind

from . import settings
from .worker import Task, TaskRunner


@dataclass
class Dossiers:
    """The provider dossiers of the open case and the RMD snapshots they were read against."""

    providers: list[Dossier]
    rmd: Rmd | None
    notes: list[str] = field(default_factory=list)  # what could not be read, in words


@dataclass
class _Loaded:
    """What a load task hands the GUI thread: the investigation, its case (a copy read
    again when ``reread``: adopted there, so a cancelled reload changes nothing) and the
    calls table's frames."""

    investigation: Investigation
    case: Case
    frames: list[SourceFrame]
    reread: bool = False


class CaseSession(QObject):
    sig_loading = Signal(str)
    sig_case_changed = Signal(object)  # Case or None
    sig_skew_changed = Signal(object)  # {SourceId: Skew}
    sig_zone_warnings = Signal(object)  # {SourceId: sentence}: a skew that is a wrong zone
    sig_trace_changed = Signal(object)  # TraceResult or None
    sig_revealed_changed = Signal(int)
    sig_hop_selected = Signal(int)  # -1: none
    sig_provider_selected = Signal(str)  # "": none
    sig_source_selected = Signal(int)  # -1: all sources
    sig_traceback_selected = Signal(str)
    sig_dirty_changed = Signal(bool)
    sig_failed = Signal(str, object)  # title, exception
    sig_warning = Signal(str)  # done, but something the user must know (audit not written)
    sig_status = Signal(str)
    sig_analysis_changed = Signal(object)  # TrafficAnalysis or None
    sig_dossiers_changed = Signal(object)  # Dossiers or None
    sig_calls_filter = Signal(str, object)  # provider, ingress (None: every one; "": none)

    def __init__(self, runner: TaskRunner | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner or TaskRunner(self)
        self.investigation: Investigation | None = None
        self.frames: list = []
        self.path: Path | None = None
        self.request: TraceRequest | None = None
        self.hop = -1
        self.provider = ""
        self.source = -1
        self.traceback_id = ""
        self._audit = True  # write traces and mapping changes to the case's audit trail
        self._step_mode = False  # kept from one case to the next
        self._no_edits = CaseEdits()  # what `edits` shows while no case is open
        self._after_load: list = []
        self.analysis: TrafficAnalysis | None = None
        self.dossiers: Dossiers | None = None
        self.sig_case_changed.connect(self._on_case_for_analyses)
        self.sig_trace_changed.connect(self._on_trace_for_dossiers)

    # -- the investigation's state, as the docks read it ---------------------------------
    @property
    def case(self) -> Case | None:
        return self.investigation.case if self.investigation else None

    @property
    def result(self):
        return self.investigation.current if self.investigation else None

    @property
    def results(self) -> list:
        """Every trace of this session (the network view shows them)."""
        return self.investigation.results if self.investigation else []

    @property
    def revealed(self) -> int:
        return self.investigation.revealed if self.investigation else 0

    @property
    def step_mode(self) -> bool:
        return self._step_mode

    @property
    def edits(self) -> CaseEdits:
        return self.investigation.edits if self.investigation else self._no_edits

    @property
    def audit(self) -> bool:
        return self._audit

    @audit.setter
    def audit(self, on: bool) -> None:
        self._audit = on
        if self.investigation is not None:
            self.investigation.audit = on

    # -- opening ------------------------------------------------------------------------
    def open(self, path: str | Path, then=None) -> Task:
        """Load a case in the background; ``then(session)`` runs once it is open."""
        path = Path(path)
        return self._load(path, then, _open, path, self._audit)

    def reload(self) -> Task | None:
        """Read the open case again (after saved edits) and re-run the last trace."""
        inv = self.investigation
        if inv is None or self.path is None:
            return None
        req = self.request
        return self._load(self.path.parent, (lambda s: s.trace(req)) if req else None,
                          _reread, inv)

    def _load(self, path: Path, then, fn, *args) -> Task:
        if then is not None:
            self._after_load.append(then)
        self.sig_loading.emit(str(path))
        return self.runner.run(f"Opening {path.name}", fn, *args, kind="load",
                               on_done=lambda loaded, p=path: self._on_loaded(p, loaded),
                               on_failed=lambda exc: self._on_load_failed(exc),
                               on_cancelled=lambda: self._on_load_cancelled())

    def _on_loaded(self, path: Path, loaded: _Loaded) -> None:
        inv = loaded.investigation
        if loaded.reread:
            if inv is not self.investigation:
                return  # another case was opened meanwhile
            inv.replace_case(loaded.case)
        else:
            inv.step_mode, inv.audit = self._step_mode, self._audit
            self.investigation = inv
        self.frames = loaded.frames
        self.path = Path(inv.case.config.file)
        self.hop, self.provider, self.source, self.traceback_id = -1, "", -1, ""
        self.sig_dirty_changed.emit(self.dirty)
        # the recent list is written to disk (a sync): on the next turn of the event loop,
        # so the window is not frozen for both at once
        QTimer.singleShot(0, lambda p=path: settings.add_recent_case(p))
        self.sig_case_changed.emit(inv.case)
        self.sig_trace_changed.emit(None)
        self.sig_status.emit(f"Opened {inv.case.name}")
        version = inv.version
        self.runner.run("Estimating clock skew", inv.skew, kind="skew",
                        on_done=lambda skew: self._on_skew(inv, version, skew),
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

    def _on_skew(self, inv: Investigation, version: int, skew: dict) -> None:
        if inv is self.investigation and version == inv.version:
            self.sig_skew_changed.emit(skew)
            self.runner.run("Checking the clocks for a wrong zone", _zone_warnings, inv.case,
                            skew, kind="zones",
                            on_done=lambda w: (inv is self.investigation and w
                                               and self._on_zone_warnings(w)))

    def _on_zone_warnings(self, warnings: dict) -> None:
        self.sig_zone_warnings.emit(warnings)
        first = next(iter(warnings.values()))
        self.sig_status.emit(f"Warning: wrong zone? {first}")

    # -- tracing ------------------------------------------------------------------------
    def trace(self, req: TraceRequest) -> Task | None:
        inv = self.investigation
        if inv is None:
            self.sig_failed.emit("Trace", InputError("open a case first"))
            return None
        return self.runner.run(f"Tracing {req.describe()}", inv.trace, req, kind="trace",
                               on_done=lambda r, q=req: self._on_traced(inv, q, r),
                               on_failed=lambda exc: self.sig_failed.emit("Trace", exc))

    def show_result(self, result, request: TraceRequest) -> None:
        """Show a trace made elsewhere (a row of a traced list) as the current chain;
        ``request`` traces it again after saved edits."""
        inv = self.investigation
        if inv is None:
            return
        self.request = request
        inv.select(result)
        self.hop = 0 if result.hops else -1
        self.sig_trace_changed.emit(result)
        self.sig_status.emit(f"Showing {request.describe()}: {outcome_sentence(result)}")

    def trace_traceback(self, traceback_id: str) -> Task | None:
        return self.trace(TraceRequest(traceback_id=traceback_id))

    def _on_traced(self, inv: Investigation, req: TraceRequest, result) -> None:
        self._report_warnings(inv)
        if inv is not self.investigation:
            return  # traced on a case that is no longer open
        self.request = req
        inv.select(result)
        self.hop = 0 if result.hops else -1
        self.sig_trace_changed.emit(result)  # docks read revealed and hop from the session
        if self._step_mode:
            self.sig_status.emit(f"Traced {req.describe()}: step mode — F8 reveals the next hop")
        else:
            words = record_start_words(result) + disagreement_words(result.hops)
            also = f" — {words[0][:1].upper()}{words[0][1:]}" if words else ""
            self.sig_status.emit(f"Traced {req.describe()}: {outcome_sentence(result)}{also}")

    def _report_warnings(self, inv: Investigation) -> None:
        """Tell the user what was done but not logged: in the status bar each time, and in
        words (``sig_failed``) the first time for this case."""
        new = inv.take_warnings()
        for w in new:
            self.sig_warning.emit(str(w))
        if new:
            self.sig_status.emit(f"Warning: {new[-1]}")
        if new and len(new) == len(inv.warnings):
            self.sig_failed.emit("Audit trail not written", new[0].error)

    # -- step mode ----------------------------------------------------------------------
    def set_step_mode(self, on: bool) -> None:
        self._step_mode = on
        inv = self.investigation
        if inv is None:
            return
        inv.set_step_mode(on)
        if inv.current is not None:
            self.sig_revealed_changed.emit(inv.revealed)
            self.select_hop(min(self.hop, inv.revealed - 1))

    def can_reveal(self) -> bool:
        return self.investigation is not None and self.investigation.can_reveal()

    def reveal_next(self) -> None:
        inv = self.investigation
        if inv is not None and inv.reveal_next():
            self.sig_revealed_changed.emit(inv.revealed)
            self.select_hop(inv.revealed - 1)

    def reveal_all(self) -> None:
        inv = self.investigation
        if inv is not None and inv.current is not None:
            inv.reveal_all()
            self.sig_revealed_changed.emit(inv.revealed)

    def shown_hops(self) -> list:
        return self.investigation.shown_hops() if self.investigation else []

    # -- selection ----------------------------------------------------------------------
    def select_hop(self, index: int, force: bool = False) -> None:
        """Select hop ``index`` (-1: none); ``force`` tells the docks again when it is
        already selected (a click on the selected node shows its record once more)."""
        if index != self.hop or force:
            self.hop = index
            self.sig_hop_selected.emit(index)

    def step_hop(self, delta: int) -> bool:
        """Select the hop ``delta`` places up (+) or down (-) the shown chain; False at
        either end (or with no trace)."""
        n = len(self.shown_hops())
        to = (self.hop if self.hop >= 0 else (-1 if delta > 0 else n)) + delta
        if not 0 <= to < n:
            return False
        self.select_hop(to)
        return True

    def disagreements(self) -> list[str]:
        """Where the traceback record contradicts the CDRs, in words (shown hops only: a
        trainee in step mode must not read the answer here)."""
        r = self.result
        return record_start_words(r) + disagreement_words(self.shown_hops())

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

    def filter_calls(self, provider: str, ingress: str | None) -> None:
        """Ask the calls table for one provider's calls from one ingress."""
        self.sig_calls_filter.emit(provider, ingress)

    # -- provider analyses ----------------------------------------------------------------
    def analyze(self, provider: str, dno: str | Path | None = None) -> Task | None:
        """Rank ``provider``'s ingresses by how suspicious their traffic looks (in a worker);
        ``dno`` is a Do-Not-Originate list (relative to the case folder), else [case] dno."""
        inv = self.investigation
        if inv is None:
            self.sig_failed.emit("Analysis", InputError("open a case first"))
            return None
        case = inv.case
        path = case.root / dno if dno else None
        return self.runner.run(f"Analyzing {provider}", _analyze, inv, case, provider, path,
                               kind="analysis",
                               on_done=lambda a, c=case: self._on_analyzed(c, a),
                               on_failed=lambda exc: self.sig_failed.emit("Analysis", exc))

    def _on_analyzed(self, case: Case, analysis: TrafficAnalysis) -> None:
        if case is self.case:
            self.analysis = analysis
            self.sig_analysis_changed.emit(analysis)
            flagged = sum(1 for s in analysis.ingresses if s.reasons)
            self.sig_status.emit(f"Analyzed {analysis.provider}: {len(analysis.ingresses):,} "
                                 f"ingresses, {flagged} standing out")

    def refresh_dossiers(self) -> Task | None:
        """Rebuild the provider dossiers from the records, the audit trail and this
        session's traces (in a worker)."""
        case = self.case
        if case is None:
            return None
        # a refresh nobody asked for: a failure is told in the Providers dock and the
        # status bar, not in an error box on every trace
        return self.runner.run("Provider dossiers", _dossiers, case, list(self.results),
                               kind="dossiers", on_done=lambda d, c=case: self._on_dossiers(c, d),
                               on_failed=lambda exc: self.sig_status.emit(
                                   f"Provider dossiers not built: {exc}"))

    def _on_dossiers(self, case: Case, dossiers: Dossiers) -> None:
        if case is self.case:
            self.dossiers = dossiers
            self.sig_dossiers_changed.emit(dossiers)

    def _on_case_for_analyses(self, case: Case | None) -> None:
        self.analysis, self.dossiers = None, None
        self.sig_analysis_changed.emit(None)
        self.sig_dossiers_changed.emit(None)
        if case is not None:
            self.refresh_dossiers()

    def _on_trace_for_dossiers(self, result) -> None:
        if result is not None:  # a new trace: its hops count in the dossiers
            self.refresh_dossiers()

    # -- edits --------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self.investigation is not None and self.investigation.dirty

    def edit_source(self, source: SourceId, **change) -> None:
        """Stage new upstreams/customers/notes for a source (saved by ``save``)."""
        if self.investigation is not None:
            self.investigation.edit_source(source, **change)
            self.sig_dirty_changed.emit(True)

    def edit_case_notes(self, text: str) -> None:
        if self.investigation is not None:
            self.investigation.edit_case_notes(text)
            self.sig_dirty_changed.emit(self.dirty)

    def pending(self, source: SourceId, key: str, default):
        return self.investigation.pending(source, key, default) if self.investigation else default

    def save(self) -> Path | None:
        """Write the edits atomically and reopen the case so traces use them."""
        inv = self.investigation
        if inv is None or not inv.dirty:
            return None
        path = inv.save_edits()
        self.sig_dirty_changed.emit(False)
        self._report_warnings(inv)
        self.sig_status.emit(f"Saved {path}")
        self.reload()
        return path

    def discard_edits(self) -> None:
        if self.investigation is not None:
            self.investigation.discard_edits()
        self.sig_dirty_changed.emit(False)


def record_start_words(result) -> list[str]:
    """The trace of a record stopped at the record's first provider, which lacks the call
    that providers further upstream have: said as loudly as a disagreement."""
    if result is None:
        return []
    return [note_text(n) or "" for n in result.notes
            if n.kind == NoteKind.RECORD_FIRST_NOT_FOUND]


def disagreement_words(hops: list) -> list[str]:
    """One sentence per hop whose traceback record names another upstream than the CDRs,
    e.g. "traceback record disagrees at hop 2: says Bogus Telecom, CDRs show Lakes Carrier"."""
    out = []
    for i, hop in enumerate(hops):
        if hop.traceback_agrees is False:
            says = hop.traceback_upstream or "no upstream"
            shown = hop.upstream or (f"customer {hop.customer}" if hop.customer else None)
            cdrs = f"CDRs show {shown}" if shown else (
                "CDRs name no upstream" if hop.found else "no CDR record matches")
            out.append(f"traceback record disagrees at hop {i + 1} ({hop.provider}): "
                       f"says {says}, {cdrs}")
    return out


# -- worker functions (no widget here) ---------------------------------------------------

def _zone_warnings(case: Case, skew: dict, *, progress: ProgressFn, should_stop: StopFn) -> dict:
    progress(0.1, "checking the clocks for a wrong zone")
    return zone_warnings(case, skew, should_stop)


def _open(path: Path, audit: bool, *, progress: ProgressFn, should_stop: StopFn) -> _Loaded:
    inv = Investigation.open(path, audit=audit, progress=lambda f, m: progress(0.9 * f, m),
                             should_stop=should_stop)
    check(should_stop)
    return _Loaded(inv, inv.case, _frames(inv.case, progress))


def _reread(inv: Investigation, *, progress: ProgressFn, should_stop: StopFn) -> _Loaded:
    case = inv.read_again(progress=lambda f, m: progress(0.9 * f, m), should_stop=should_stop)
    check(should_stop)
    return _Loaded(inv, case, _frames(case, progress), reread=True)


def _frames(case: Case, progress: ProgressFn) -> list[SourceFrame]:
    """The calls table's columns: GUI-only, built in the same task right after the load."""
    progress(0.92, "preparing the calls table")
    frames = build_frames(case)
    progress(1.0, f"{case.name}: {sum(len(s) for s in case.sources):,} records")
    return frames


def _analyze(inv: Investigation, case: Case, provider: str, dno: Path | None, *,
             progress: ProgressFn, should_stop: StopFn) -> TrafficAnalysis:
    """The provider's traffic per ingress, times on the traceback records' clock (the
    investigation's skew estimate, shared with its traces)."""
    progress(0.0, "estimating clock skew")
    skew = inv.skew(should_stop=should_stop) if inv.case is case else None
    check(should_stop)
    dno_list = load_dno(dno, case.config.default_country) if dno is not None else None
    return analyze_provider(case, provider, dno=dno_list, skew=skew,
                            progress=lambda f, m: progress(0.1 + 0.9 * f, m),
                            should_stop=should_stop)


def _dossiers(case: Case, results: list, *, progress: ProgressFn,
              should_stop: StopFn) -> Dossiers:
    """Dossiers from the records, the audit trail and ``results``, with [case] rmd."""
    progress(0.1, "reading the RMD snapshots")
    paths = [case.root / p for p in case.config.rmd]
    rmd = load_rmd(paths) if paths else None
    check(should_stop)
    notes = []
    try:
        entries = read_audit(case.root)
    except OSError as exc:  # the traces of this session still count
        entries = []
        notes.append(f"earlier traces not counted: the audit trail could not be read ({exc})")
    check(should_stop)
    progress(0.4, "building provider dossiers")
    dossiers = provider_dossiers(case, results=results, audit_entries=entries, rmd=rmd)
    progress(1.0, f"{len(dossiers)} providers")
    return Dossiers(dossiers, rmd, notes)
