"""One open case and what the investigator does with it, the same for the CLI and the GUI.

The only caller of the trace engine: skew is estimated once per case version and shared by
every trace, each action is logged by one audit policy, and a log that cannot be written
is reported as a warning instead of vanishing. ``trace``, ``skew``, ``export``,
``export_provider`` and ``reply`` may run on worker threads; selection, step mode and edits
belong to one (the GUI) thread.
"""
from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.case.audit import AuditError, log_action, log_mapping_change
from workbench.case.model import Case, load_case
from workbench.case.writer import CaseEdits, save_edits
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.present.trace_json import call_json
from workbench.store.protocol import SourceId
from workbench.trace import engine
from workbench.trace.batch import BatchCall, outcome_counts, trace_many
from workbench.trace.results import Hop, Skew, TraceResult
from workbench.trace.skew import estimate_skew

from .requests import TraceRequest

if TYPE_CHECKING:  # read only when a provider packet asks for them
    from workbench.ingest.dno import DnoList
    from workbench.ingest.rmd import Rmd

SkewMap = Mapping[SourceId, Skew]


@dataclass(frozen=True)
class AuditWarning:
    """An action that was done but could not be written to the case's audit trail."""

    action: str
    error: Exception

    def __str__(self) -> str:
        return f"audit trail not written: {self.error}"


@dataclass(frozen=True)
class Exported:
    """A written evidence packet and the trace it holds."""

    path: Path
    result: TraceResult


@dataclass(frozen=True)
class ExportedProvider:
    """A written provider packet and the traces of the tracebacks it holds."""

    path: Path
    provider: str
    results: list[TraceResult]


class Investigation:
    """The open case, this session's traces, staged edits, step mode and the audit policy."""

    def __init__(self, case: Case, *, audit: bool = True) -> None:
        self.audit = audit  # False: nothing is logged (a screenshot run is no investigation)
        self.edits = CaseEdits()
        self.results: list[TraceResult] = []  # replaced, never mutated: workers append
        self.current: TraceResult | None = None
        self.step_mode = False
        self.revealed = 0
        self.warnings: list[AuditWarning] = []
        self._case, self._version, self._reported = case, 0, 0
        self._state = threading.Lock()  # case, version, results, warnings
        self._skew_lock = threading.Lock()  # one estimate at a time; the others wait for it
        self._skew: tuple[int, SkewMap] | None = None

    @classmethod
    def open(cls, path: str | Path, *, use_cache: bool = True, audit: bool = True,
             progress: ProgressFn = no_progress,
             should_stop: StopFn = never_stop) -> Investigation:
        case = load_case(path, use_cache=use_cache, progress=progress, should_stop=should_stop)
        return cls(case, audit=audit)

    @property
    def case(self) -> Case:
        return self._case

    @property
    def version(self) -> int:
        """Bumped whenever the case is replaced: what the skew estimate is memoized by."""
        return self._version

    # -- the case -----------------------------------------------------------------------
    def read_again(self, *, use_cache: bool = True, progress: ProgressFn = no_progress,
                   should_stop: StopFn = never_stop) -> Case:
        """The case as it now is on disk (read in a worker; ``replace_case`` adopts it)."""
        return load_case(self._case.config.file, use_cache=use_cache, progress=progress,
                         should_stop=should_stop)

    def replace_case(self, case: Case) -> None:
        """Adopt a fresh copy of the case (after saved edits): a new version, whose skew is
        estimated again; the traces and staged edits of the old one are dropped."""
        with self._state:
            self._case, self._version = case, self._version + 1
            self.results, self.current, self.revealed = [], None, 0
            self.edits = CaseEdits()

    def reload(self, *, progress: ProgressFn = no_progress,
               should_stop: StopFn = never_stop) -> None:
        self.replace_case(self.read_again(progress=progress, should_stop=should_stop))

    def _snapshot(self) -> tuple[Case, int]:
        with self._state:
            return self._case, self._version

    # -- clock skew ---------------------------------------------------------------------
    def skew(self, *, progress: ProgressFn = no_progress,
             should_stop: StopFn = never_stop) -> SkewMap:
        """Every source's clock offset, estimated once per case version: a second caller
        (another thread) waits for the first estimate instead of making its own."""
        return self._skew_of(*self._snapshot(), progress, should_stop)

    def _skew_of(self, case: Case, version: int, progress: ProgressFn,
                 should_stop: StopFn) -> SkewMap:
        with self._skew_lock:
            if self._skew is not None and self._skew[0] == version:
                return self._skew[1]
            skew = estimate_skew(case, progress=progress, should_stop=should_stop)
            self._skew = (version, skew)
            return skew

    # -- actions ------------------------------------------------------------------------
    def trace(self, request: TraceRequest, *, progress: ProgressFn = no_progress,
              should_stop: StopFn = never_stop) -> TraceResult:
        """Trace the call; the result joins this session's traces and the audit trail."""
        case, version = self._snapshot()
        result = self._trace(case, version, request, progress, should_stop)
        with self._state:
            if version == self._version:  # else traced on a case since replaced
                self.results = [r for r in self.results if not same_call(r, result)] + [result]
        self._log(case, "trace", {"call": call_json(result), "outcome": str(result.outcome),
                                  "traceback": request.traceback_id,
                                  "hops": [_hop_entry(h) for h in result.hops]})
        return result

    def _trace(self, case: Case, version: int, request: TraceRequest, progress: ProgressFn,
               should_stop: StopFn) -> TraceResult:
        what = request.describe()
        progress(0.05, f"tracing {what}")
        skew = self._skew_of(case, version, _part(progress, 0.05, 0.65), should_stop)
        check(should_stop)
        progress(0.7, f"following {what} hop by hop")
        if request.traceback_id:
            return engine.trace_traceback(case, request.traceback_id,
                                          tolerance_s=request.tolerance_s,
                                          from_provider=request.from_provider, skew=skew)
        return engine.trace(case, calling=request.calling, called=request.called,
                            at=request.at, tolerance_s=request.tolerance_s,
                            from_provider=request.from_provider, skew=skew)

    def trace_batch(self, calls: Sequence[BatchCall], *, source: str | None = None,
                    progress: ProgressFn = no_progress,
                    should_stop: StopFn = never_stop) -> list[TraceResult | InputError]:
        """Trace a list of calls at once (one store query per hop level); each result equals
        the single trace of its call. One audit entry records the list and its outcomes."""
        case, version = self._snapshot()
        progress(0.02, f"tracing {len(calls):,} call(s)")
        skew = self._skew_of(case, version, _part(progress, 0.02, 0.3), should_stop)
        results = trace_many(case, calls, skew=skew, progress=_part(progress, 0.3, 1.0),
                             should_stop=should_stop)
        self._log(case, "trace_batch", {"list": source, "calls": len(calls),
                                        "outcomes": outcome_counts(results)})
        return results

    def export(self, what: TraceRequest | TraceResult, out: str | Path, *,
               investigator: str | None = None, redact: str = "none",
               include_sources: bool = False, progress: ProgressFn = no_progress,
               should_stop: StopFn = never_stop) -> Exported:
        """Write the evidence packet of a traced call (traced first when given a request; the
        export entry records the call). Refused (AuditError) when the log cannot be written:
        a packet exists only on record."""
        from workbench.evidence import export_packet
        case, version = self._snapshot()
        result = what
        if isinstance(what, TraceRequest):
            result = self._trace(case, version, what, _part(progress, 0, 0.3), should_stop)
            progress = _part(progress, 0.3, 1.0)
        path = export_packet(case, result, Path(out), investigator=investigator,
                             redact=redact, include_sources=include_sources,
                             progress=progress, should_stop=should_stop)
        return Exported(path, result)

    def export_provider(self, provider: str, out: str | Path, *,
                        investigator: str | None = None, redact: str = "none",
                        rmd: Sequence[str | Path] | None = None, dno: str | Path | None = None,
                        progress: ProgressFn = no_progress,
                        should_stop: StopFn = never_stop) -> ExportedProvider:
        """Write the evidence packet of `provider`: its dossier, the analysis of its traffic and
        every traceback it appears in, each traced here (not logged as traces: the export
        entry records them). ``rmd``/``dno`` are files; by default the case's own. Refused
        (AuditError) when the log cannot be written."""
        from workbench.evidence import export_provider_packet
        case, version = self._snapshot()
        rmd_paths = list(rmd) if rmd else [case.root / p for p in case.config.rmd]
        dno_path = dno or (case.root / case.config.dno if case.config.dno else None)
        traced: list[TraceResult] = []

        def tracer(traceback_id: str) -> TraceResult:
            result = self._trace(case, version, TraceRequest(traceback_id=traceback_id),
                                 no_progress, should_stop)
            traced.append(result)
            return result

        with self._state:
            session = list(self.results) if version == self._version else []
        skew = self._skew_of(case, version, _part(progress, 0, 0.2), should_stop)
        path = export_provider_packet(
            case, provider, Path(out), tracer=tracer, investigator=investigator, redact=redact,
            rmd=_load_rmd(rmd_paths),
            dno=_load_dno(dno, case.config.default_country) if dno else None, skew=skew,
            results=session, params={"rmd": [str(p) for p in rmd_paths],
                                     "dno": str(dno_path) if dno_path else None},
            progress=_part(progress, 0.2, 1.0), should_stop=should_stop)
        return ExportedProvider(path, case.directory.canonical(provider), traced)

    def reply(self, traceback_id: str, provider: str, out: str | Path, *,
              received_at: str | None = None, suspended: str | None = None,
              suspended_at: str | None = None, evidence: str | None = None,
              progress: ProgressFn = no_progress, should_stop: StopFn = never_stop) -> Path:
        """Draft `provider`'s answer to a traceback request (refused, like an export, when the
        log cannot be written). An originating provider's draft states the suspension of
        customer `suspended` at `suspended_at` on `evidence` when they are given."""
        from workbench.evidence import Suspension, write_reply
        if suspended is None and (suspended_at or evidence):
            raise InputError("--suspended-at and --evidence describe a suspension: give the "
                             "suspended customer with --suspended", field="suspended")
        suspension = (None if suspended is None else
                      Suspension(suspended, suspended_at or "", evidence))
        case, version = self._snapshot()
        tb = case.traceback(traceback_id)
        check(should_stop)
        progress(0.1, f"drafting the reply of {provider}")

        def tracer(from_provider: str | None) -> TraceResult:
            """The chain of the request, or (for a provider off that chain) its own search;
            not logged as traces: the reply entry records the action."""
            req = (TraceRequest(traceback_id=traceback_id) if from_provider is None else
                   TraceRequest(calling=tb.calling or "", called=tb.called or "",
                                at=tb.call_time_us, from_provider=from_provider))
            return self._trace(case, version, req, _part(progress, 0.1, 0.8), should_stop)

        return write_reply(case, traceback_id, provider, Path(out), tracer=tracer,
                           received_at=received_at, suspension=suspension,
                           progress=_part(progress, 0.8, 1.0), should_stop=should_stop)

    # -- audit --------------------------------------------------------------------------
    def _log(self, case: Case, action: str, details: dict[str, Any]) -> None:
        if not self.audit:
            return
        try:
            log_action(case, action, details)
        except (AuditError, OSError) as exc:
            self._warn(action, exc)

    def _warn(self, action: str, exc: Exception) -> None:
        with self._state:
            self.warnings.append(AuditWarning(action, exc))

    def take_warnings(self) -> list[AuditWarning]:
        """The warnings not handed out yet (each front end reports them once)."""
        with self._state:
            new, self._reported = self.warnings[self._reported:], len(self.warnings)
            return new

    # -- the trace on show and trainer step mode ----------------------------------------
    def select(self, result: TraceResult) -> None:
        """Show `result`; in step mode only its first hop is revealed."""
        self.current = result
        self.revealed = 1 if self.step_mode else len(result.hops)

    def set_step_mode(self, on: bool) -> None:
        self.step_mode = on
        if self.current is not None:
            self.revealed = 1 if on else len(self.current.hops)

    def can_reveal(self) -> bool:
        return self.current is not None and self.revealed < len(self.current.hops)

    def reveal_next(self) -> bool:
        if not self.can_reveal():
            return False
        self.revealed += 1
        return True

    def reveal_all(self) -> None:
        if self.current is not None:
            self.revealed = len(self.current.hops)

    def shown_hops(self) -> list[Hop]:
        return [] if self.current is None else self.current.hops[:self.revealed]

    # -- staged edits -------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return bool(self.edits)

    def edit_source(self, source: SourceId, **change: Any) -> None:
        """Stage new upstreams/customers/notes for a source (written by ``save_edits``)."""
        self.edits.sources.setdefault(source, {}).update(change)

    def edit_case_notes(self, text: str) -> None:
        saved = str(self._case.config.raw.get("case", {}).get("notes", "") or "")
        self.edits.case_notes = None if text.rstrip() == saved.rstrip() else text

    def pending(self, source: SourceId, key: str, default: Any) -> Any:
        return self.edits.sources.get(source, {}).get(key, default)

    def discard_edits(self) -> None:
        self.edits = CaseEdits()

    def save_edits(self) -> Path | None:
        """Write the staged edits to case.toml atomically and log each mapping they change;
        traces use them once the case is read again (``reload``)."""
        if not self.dirty:
            return None
        case, edits = self._case, self.edits
        path = save_edits(case.config, edits)
        self.edits = CaseEdits()
        if self.audit:
            for source, before, after in mapping_changes(case, edits):
                try:
                    log_mapping_change(case.root, source, before, after)
                except (AuditError, OSError) as exc:
                    self._warn("mapping change", exc)
        return path


def mapping_changes(case: Case, edits: CaseEdits) -> list[tuple[str, dict, dict]]:
    """(source path, before, after) of each source whose upstreams or customers the edits
    change."""
    out = []
    for sid, change in edits.sources.items():
        cfg = case.source(sid).config
        before = {"upstreams": cfg.upstreams, "customers": cfg.customers}
        after = {k: change.get(k, before[k]) for k in before}
        if after != before:
            out.append((cfg.path, before, after))
    return out


def _hop_entry(hop: Hop) -> dict[str, Any]:
    """What the audit trail keeps of a hop: who, what its CDRs name, whether the traceback
    record agreed (provider dossiers count contradictions from these entries)."""
    return {"provider": hop.provider, "found": hop.found, "upstream": hop.upstream,
            "customer": hop.customer, "traceback_agrees": hop.traceback_agrees}


def same_call(a: TraceResult, b: TraceResult) -> bool:
    """Two traces of one call (a later one replaces the earlier in the session's list)."""
    if a.traceback_id or b.traceback_id:
        return a.traceback_id == b.traceback_id
    return (a.calling, a.called, a.at_us) == (b.calling, b.called, b.at_us)


def _load_rmd(paths: Sequence[str | Path]) -> Rmd | None:
    """The RMD snapshots, read (None when there are none)."""
    if not paths:
        return None
    from workbench.ingest.rmd import load_rmd
    return load_rmd(paths)


def _load_dno(path: str | Path, country: str) -> DnoList:
    """A Do-Not-Originate list given for this export (the case's own one the analysis reads
    itself)."""
    from workbench.ingest.dno import load_dno
    return load_dno(path, country)


def _part(progress: ProgressFn, lo: float, hi: float) -> ProgressFn:
    return lambda f, m: progress(lo + (hi - lo) * f, m)
