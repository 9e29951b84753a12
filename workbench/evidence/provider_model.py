"""Everything a provider packet shows, gathered once and already redacted.

A provider packet is about one provider across the case: its dossier (how it answers
tracebacks, its RMD standing, its concerns), the analysis of its own traffic per ingress,
and every traceback it appears in (the record's rows, the trace where the case can trace
it, and the provider's own CDR line for the call). Every renderer reads only this view,
so a redaction profile cannot be forgotten in one of them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.case.audit import check_audit, default_actor, head
from workbench.case.deadlines import ResponseClock
from workbench.case.model import Case
from workbench.case.settings import traceback_zone
from workbench.columns.times import iso_utc
from workbench.common.errors import InputError, WorkbenchError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.tracebacks import Traceback
from workbench.present.report_text import OUTCOME_WORDS
from workbench.present.trace_json import trace_json
from workbench.store.protocol import SourceId
from workbench.trace.results import Skew, TraceResult

from .model import TOOL, SourceView, _clock, _record_for, _sha256, now_us
from .redact import PROFILE_WORDS, Redactor

if TYPE_CHECKING:  # the analytics (pandas) load when a provider packet is made, not before
    from workbench.ingest.dno import DnoList
    from workbench.ingest.rmd import Rmd

#: Traces one traceback record through the investigation (its skew, its engine call).
TracebackTracer = Callable[[str], TraceResult]
SkewMap = Mapping[SourceId, Skew]


@dataclass
class TracebackEntry:
    """One traceback the provider appears in: the record, the trace, the provider's line."""

    traceback_id: str
    folder: str  # member folder under data/tracebacks/
    campaign: str | None
    call: dict[str, Any]  # calling, called, at_utc, written (redacted)
    record: list[dict[str, Any]]  # the record's rows (one per hop), redacted
    own: dict[str, Any] | None  # this provider's row of the record
    clock: ResponseClock | None  # its answer against the 24-hour clock
    trace: dict[str, Any] | None = None  # trace.json, redacted (None: not traced)
    outcome: str | None = None
    untraced: str | None = None  # why the case could not trace it
    hop: dict[str, Any] | None = None  # the provider's hop of the trace (as in trace.json)
    cdr_lines: list[tuple[int, str | None]] = field(default_factory=list)  # (line, text)
    cdr_source: SourceView | None = None

    named_by: str | None = None  # the provider whose answer named it upstream

    @property
    def appears_as(self) -> str:
        """How the provider is on this traceback: its row of the record, named upstream in
        it, on the traced chain."""
        where = []
        if self.own is not None:
            where.append("record")
        elif self.named_by:
            where.append(f"named upstream by {self.named_by} (no row of its own)")
        if self.hop is not None:
            where.append("trace")
        return " and ".join(where) or "audit trail"


@dataclass
class ProviderPacketView:
    case_name: str
    case_folder: str
    provider: str
    info: dict[str, Any]  # the case's directory entry: aliases, FRN, RMD, country
    created_us: int
    investigator: str | None
    exported_by: str
    profile: str
    params: dict[str, Any]
    dossier: dict[str, Any] | None  # as `workbench providers --json` lists it
    dossier_text: str | None
    analysis: dict[str, Any] | None  # as `workbench analyze --json` prints it
    analysis_text: str | None
    tracebacks: list[TracebackEntry]
    sources: list[SourceView]
    audit: list[dict[str, Any]]
    audit_ok: bool
    audit_problems: list[str]
    audit_head: tuple[int, str]
    redactor: Redactor
    tool: str = TOOL
    notes: list[str] = field(default_factory=list)

    @property
    def created_utc(self) -> str:
        return iso_utc(self.created_us, 0) or ""

    @property
    def profile_words(self) -> str:
        return PROFILE_WORDS[self.profile]


def resolve_provider(case: Case, provider: str) -> str:
    """The directory name of a provider the case knows (records, CDRs or directory)."""
    name = case.directory.canonical(provider.strip()) if provider else ""
    known = set(case.directory.providers) | set(case.providers_with_records())
    known |= {case.directory.canonical(h.provider) for tb in case.tracebacks for h in tb.hops}
    if not name or name not in known:
        some = ", ".join(sorted(known)[:12]) or "none"
        raise InputError(f"no provider '{provider}' in this case (known: {some})",
                         field="provider")
    return name


def provider_traceback_ids(case: Case, provider: str, audit: Iterable[dict[str, Any]] = (),
                           results: Iterable[TraceResult] = ()) -> list[str]:
    """Every traceback the provider appears in: a hop of its record, or named upstream there
    (a request it never answered), or on a chain traced in this session or logged in the
    audit trail; in the case's order."""
    canon = case.directory.canonical
    ids = {tb.traceback_id for tb in case.tracebacks
           if any(canon(h.provider) == provider or (
               h.upstream and h.status != "originator" and canon(h.upstream) == provider)
               for h in tb.hops)}
    for e in audit:
        d = e.get("details") or {}
        if e.get("action") == "trace" and d.get("traceback") and any(
                isinstance(h, dict) and canon(str(h.get("provider") or "")) == provider
                for h in d.get("hops") or []):
            ids.add(str(d["traceback"]))
    ids |= {r.traceback_id for r in results
            if r.traceback_id and any(h.provider == provider for h in r.hops)}
    return [tb.traceback_id for tb in case.tracebacks if tb.traceback_id in ids]


def build_provider_view(case: Case, provider: str, *, tracer: TracebackTracer,
                        investigator: str | None = None, redact: str = "none",
                        params: dict[str, Any] | None = None, rmd: Rmd | None = None,
                        dno: DnoList | None = None, skew: SkewMap | None = None,
                        results: Sequence[TraceResult] = (),
                        progress: ProgressFn = no_progress, should_stop: StopFn = never_stop,
                        created_us: int | None = None) -> ProviderPacketView:
    """Trace, analyze and gather what the packet shows; re-hash the provider's sources."""
    name = resolve_provider(case, provider)
    entries, problems = check_audit(case.root)
    ids = provider_traceback_ids(case, name, entries, results)
    traced: dict[str, TraceResult] = {}
    untraced: dict[str, str] = {}
    for i, tid in enumerate(ids):
        check(should_stop)
        progress(0.5 * i / max(len(ids), 1), f"tracing traceback {tid} ({i + 1} of {len(ids)})")
        try:
            traced[tid] = tracer(tid)
        except InputError as exc:  # a record the case cannot trace: said, not fatal
            untraced[tid] = str(exc)
    progress(0.5, f"the dossier of {name}")
    # the session's traces, then these fresh ones: the dossier keeps a call's latest trace
    dossier, dossier_text = _dossier(case, name, list(results) + list(traced.values()),
                                     entries, rmd)
    check(should_stop)
    analysis, analysis_text = _analysis(case, name, dno, skew,
                                        lambda f, m: progress(0.55 + 0.3 * f, m), should_stop)
    red = Redactor(redact, called=_called_numbers(case, entries, analysis),
                   customers=_customers(case, traced.values(), analysis),
                   default_country=case.config.default_country)
    progress(0.85, "hashing the provider's CDR files")
    sources = _sources(case, name, red, progress, should_stop)
    tbs = [_entry(case, name, case.traceback(tid), traced.get(tid), untraced.get(tid), red)
           for tid in ids]
    _cdr_lines(case, name, tbs, [traced.get(tid) for tid in ids], red, sources)
    _folders(tbs)
    info = case.directory.info(name)
    t = red.text
    return ProviderPacketView(
        case_name=t(case.name), case_folder=t(str(case.root)), provider=name,
        info=red.deep({"aliases": list(info.aliases) if info else [],
                       "frn": info.frn if info else None, "rmd": info.rmd if info else None,
                       "country": info.country if info else None,
                       "foreign": bool(info.foreign) if info else False,
                       "cdr_files": len(case.sources_of(name))}),
        created_us=created_us or now_us(),
        investigator=t(investigator or case.config.raw.get("case", {}).get("investigator")
                       or "") or None,
        exported_by=default_actor(), profile=redact, params=red.deep(params or {}),
        dossier=red.deep(dossier), dossier_text=t(dossier_text or "") or None,
        analysis=red.deep(analysis), analysis_text=t(analysis_text or "") or None,
        tracebacks=tbs, sources=sources, audit=[red.deep(e) for e in entries],
        audit_ok=not problems, audit_problems=[t(p) for p in problems], audit_head=head(entries),
        redactor=red)


# -- the dossier and the traffic analysis (the analytics layer computes them) ---------------

def _dossier(case: Case, name: str, results: list[TraceResult], audit: list[dict[str, Any]],
             rmd: Rmd | None) -> tuple[dict[str, Any] | None, str | None]:
    """The provider's dossier as `providers --json` lists it (its rank among all of the
    case's providers kept), and its row of the `providers` table."""
    from workbench.analytics.dossier import provider_dossiers
    from workbench.present.dossier_report import dossier_json, dossiers_table, rmd_json
    everyone = provider_dossiers(case, results=results, audit_entries=audit, rmd=rmd)
    mine = [d for d in everyone if d.name == name]
    if not mine:
        return None, None
    out = dossier_json(mine[0])
    out["ranked_among"] = len(everyone)
    if rmd is not None:
        out["rmd_snapshots"] = (rmd_json(rmd) or {}).get("snapshots")
    return out, dossiers_table(mine, rmd)


def _analysis(case: Case, name: str, dno: DnoList | None, skew: SkewMap | None,
              progress: ProgressFn, should_stop: StopFn
              ) -> tuple[dict[str, Any] | None, str | None]:
    if not case.sources_of(name):
        note = f"no CDRs of {name} in this case: its traffic cannot be analyzed"
        return {"provider": name, "rows": 0, "sources": [], "ingresses": [],
                "notes": [note]}, note
    from workbench.analytics.traffic import analyze_provider
    from workbench.present.traffic_report import traffic_json, traffic_table
    analysis = analyze_provider(case, name, dno=dno, skew=skew, progress=progress,
                                should_stop=should_stop)
    return traffic_json(analysis), traffic_table(analysis)


# -- what redaction must hide -----------------------------------------------------------------

def _called_numbers(case: Case, audit: list[dict[str, Any]],
                    analysis: dict[str, Any] | None) -> list[str]:
    """Every called number the packet could show: the case's tracebacks, the log, and any
    number the analysis lists under a 'called' key."""
    out: list[str] = []
    for tb in case.tracebacks:
        out += [tb.called or "", tb.called_raw or ""]
    for e in audit:
        d = e.get("details") or {}
        call = d.get("call")
        for holder in (d, call if isinstance(call, dict) else {}):
            if holder.get("called"):
                out.append(str(holder["called"]))
    out += list(_called_values(analysis))
    return [n for n in out if n]


def _called_values(value: Any, key: str = "") -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _called_values(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _called_values(v, key)
    elif isinstance(value, str) and "called" in key.lower() and re.search(r"\d{7}", value):
        yield value


def _customers(case: Case, results: Iterable[TraceResult],
               analysis: dict[str, Any] | None) -> list[str]:
    """Customer names: the case's mappings, originators' answers, traced origins, and the
    analysis' customer accounts."""
    names = [c for s in case.config.sources for c in s.customers.values()]
    names += [h.upstream for tb in case.tracebacks for h in tb.hops
              if h.status == "originator" and h.upstream]
    names += [r.origin.customer for r in results if r.origin]
    names += [str(r.get("name")) for r in (analysis or {}).get("ingresses", [])
              if r.get("kind") == "customer" and r.get("name")]
    return names


# -- the pieces ---------------------------------------------------------------------------------

def _sources(case: Case, name: str, red: Redactor, progress: ProgressFn,
             should_stop: StopFn) -> list[SourceView]:
    """The provider's own CDR files, re-hashed now: the analysis rests on them."""
    out: list[SourceView] = []
    mine = case.sources_of(name)
    for i, src in enumerate(mine):
        sha, size = _sha256(src.path, should_stop, progress, 0.85 + 0.1 * i / len(mine),
                            0.1 / len(mine))
        if sha != src.sha256:
            raise InputError("this file changed since the case was loaded (SHA-256 "
                             f"{src.sha256[:12]}… then, {sha[:12]}… now); reopen the case "
                             "before exporting", file=str(src.path))
        sm = src.summary
        out.append(SourceView(provider=red.text(name), path=red.text(src.config.path),
                              file=src.path, format=sm.format, encoding=sm.encoding,
                              timezone=src.config.timezone, rows=sm.rows,
                              first_utc=sm.first_utc, last_utc=sm.last_utc, size=size,
                              sha256_loaded=src.sha256, sha256_export=sha, in_chain=False))
    return out


def _entry(case: Case, name: str, tb: Traceback, result: TraceResult | None,
           untraced: str | None, red: Redactor) -> TracebackEntry:
    t = red.text
    own = _record_for(case, tb, name)
    entry = TracebackEntry(
        traceback_id=tb.traceback_id, folder="", campaign=t(tb.campaign or "") or None,
        # a calling number is masked too where it is some other call's called number
        call={"calling": t(tb.calling or ""), "called": t(tb.called or ""),
              "at_utc": iso_utc(tb.call_time_us), "written": t(tb.call_time or ""),
              "zone": traceback_zone(case, tb), "calling_written": t(tb.calling_raw or ""),
              "called_written": t(tb.called_raw or "")},
        record=[red.deep(_row(tb, h)) for h in sorted(tb.hops, key=lambda h: h.hop)],
        own=red.deep(own) if own else None,
        clock=_clock(case, tb, own, name) if own else None, untraced=untraced,
        named_by=next((h.provider for h in tb.hops if h.upstream and h.status != "originator"
                       and case.directory.canonical(h.upstream) == name), None))
    if result is None:
        if untraced is None:
            entry.untraced = "not traced"
        return entry
    entry.trace = red.deep(trace_json(result))
    entry.outcome = str(result.outcome)
    index = next((i for i, h in enumerate(result.hops) if h.provider == name), None)
    if index is not None:
        entry.hop = {"n": index + 1, **entry.trace["hops"][index]}
    return entry


def _row(tb: Traceback, h: Any) -> dict[str, Any]:
    return {"hop": h.hop, "provider": h.provider, "upstream": h.upstream, "status": h.status,
            "notified_at": h.notified_at, "responded_at": h.responded_at, "notes": h.notes,
            "file": Path(tb.source).name, "line": h.line}


def _cdr_lines(case: Case, name: str, entries: list[TracebackEntry],
               results: list[TraceResult | None], red: Redactor,
               sources: list[SourceView]) -> None:
    """Each traced call's record in the provider's CDRs, verbatim, under its file's header
    line: one read per source for all of them (a Parquet or XLSX file is read whole)."""
    wanted: dict[SourceId, list[tuple[TracebackEntry, int]]] = {}
    for entry, result in zip(entries, results):
        hop = next((h for h in result.hops if h.provider == name), None) if result else None
        if hop is not None and hop.found and hop.source is not None and hop.line:
            wanted.setdefault(hop.source, []).append((entry, hop.line))
    for sid, items in wanted.items():
        try:
            src = case.source(sid)
        except KeyError:
            continue
        hl = src.summary.header_line
        lines = sorted({ln for _, ln in items} | ({hl} if hl else set()))
        try:
            raw = case.store.raw_lines(sid, lines)
        except (OSError, WorkbenchError):
            raw = {}
        view = next((s for s in sources if s.file == src.path), None)
        for entry, line in items:
            numbers = ([hl] if hl and hl < line else []) + [line]
            entry.cdr_lines = [(n, red.text(raw[n]) if n in raw else None) for n in numbers]
            entry.cdr_source = view


def _folders(entries: list[TracebackEntry]) -> None:
    """A member folder per traceback: its id made file-safe, unique."""
    used: set[str] = set()
    for e in entries:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", e.traceback_id).strip("._") or "traceback"
        name, n = base, 2
        while name.lower() in used:
            name, n = f"{base}.{n}", n + 1
        used.add(name.lower())
        e.folder = name


def outcome_words(outcome: str | None) -> str:
    """The plain words of a trace outcome (for tables)."""
    return "" if outcome is None else str(OUTCOME_WORDS.get(outcome, outcome))
