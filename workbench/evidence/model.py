"""Everything a packet shows, gathered once from the case and the trace, already redacted.

Every renderer (PDF, workbook, JSON, GraphML, images, excerpts) reads only this
view, so a redaction profile cannot be forgotten in one of them.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.case.audit import check_audit, default_actor, head
from workbench.case.deadlines import ResponseClock, parse_time, response_clock
from workbench.case.model import Case
from workbench.case.settings import (
    provider_settings,
    provider_zone,
    traceback_zone,
)
from workbench.columns.times import NAT, US, iso_utc
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.present.palette import ROLE_COLOURS, ROLE_LABELS, hop_kind
from workbench.present.report_text import OUTCOME_WORDS
from workbench.present.trace_json import hop_json, skew_json, trace_json
from workbench.present.trace_words import notes_text
from workbench.store.normalize import flag_words
from workbench.store.protocol import CdrStore, SourceId
from workbench.store.source import CdrSource
from workbench.trace.results import Candidate, TraceResult

from .. import __version__
from .redact import PROFILE_WORDS, Redactor

TOOL = f"Traceback Workbench {__version__}"
KIND_WORDS = {"header": "header", "matched": "MATCHED", "alternative": "alternative"}
NOTICE = ("Outcome and role categories are Traceback Workbench's own, built from the traceback "
          "consortium's published definitions; they are not official ITG labels.")


@dataclass
class EvidenceLine:
    """One record of a source file: verbatim text, how it was read, and why it is here."""

    line: int
    text: str | None
    kind: str  # a key of KIND_WORDS
    score: float | None = None
    offset_s: float | None = None
    normalized: dict = field(default_factory=dict)


@dataclass
class HopView:
    n: int  # 1 = terminating provider
    provider: str
    kind: str  # palette key
    label: str
    colour: str
    data: dict  # the hop as in trace.json
    lines: list[EvidenceLine] = field(default_factory=list)
    record: dict | None = None  # what the traceback record says about this provider
    clock: ResponseClock | None = None

    @property
    def evidence(self) -> str | None:
        """'file:line' of the hop's record, or the file alone when no record matched."""
        d = self.data
        return f"{d.get('source')}:{d.get('line')}" if d.get("line") else d.get("source")


@dataclass
class SourceView:
    provider: str
    path: str  # as written in case.toml (redacted)
    file: Path  # absolute, never written into the packet
    format: str
    encoding: str
    timezone: str
    rows: int
    first_utc: str | None
    last_utc: str | None
    size: int
    sha256_loaded: str
    sha256_export: str
    in_chain: bool
    lines: list[EvidenceLine] = field(default_factory=list)
    excerpt: str | None = None  # member name under data/
    copy: str | None = None  # member name of the whole original (--include-sources)


@dataclass
class PacketView:
    case_name: str
    case_folder: str
    description: str | None
    created_us: int
    investigator: str | None
    exported_by: str
    profile: str
    params: dict
    trace: dict
    call: dict
    outcome: str
    outcome_words: str
    origin: dict | None
    traceback_id: str | None
    campaign: str | None
    hops: list[HopView]
    sources: list[SourceView]
    providers: list[dict]
    skew: list[dict]
    disagreements: list[str]
    shaken_notes: list[str]
    audit: list[dict]
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


def build_view(case: Case, result: TraceResult, *, investigator: str | None = None,
               redact: str = "none", params: dict | None = None,
               progress: ProgressFn = no_progress, should_stop: StopFn = never_stop,
               created_us: int | None = None) -> PacketView:
    """Gather and redact everything the packet shows; re-hash every source on the way."""
    tb = case.traceback(result.traceback_id) if result.traceback_id else None
    entries, problems = check_audit(case.root)
    red = Redactor(redact, called=_called_numbers(case, result, entries),
                   customers=_customers(case), default_country=case.config.default_country)
    t = red.text
    created_us = created_us or now_us()
    sources = _sources(case, result, red, progress, should_stop)
    check(should_stop)
    hops = _hops(case, result, tb, red, sources)
    call = {"calling": t(result.calling or ""), "called": t(result.called or ""),
            "at_utc": iso_utc(result.at_us), "written": t(tb.call_time or "") if tb else None,
            "zone": traceback_zone(case, tb),
            "calling_written": t(tb.calling_raw or "") if tb else None,
            "called_written": t(tb.called_raw or "") if tb else None}
    raw_case = case.config.raw.get("case", {})
    return PacketView(
        case_name=t(case.name), case_folder=t(str(case.root)),
        description=t(case.config.description or "") or None, created_us=created_us,
        investigator=t(investigator or raw_case.get("investigator") or "") or None,
        exported_by=default_actor(), profile=redact, params=red.deep(params or {}),
        trace=red.deep(trace_json(result)), call=call, outcome=str(result.outcome),
        outcome_words=OUTCOME_WORDS.get(result.outcome, result.outcome),
        origin=red.deep({"provider": result.origin.provider, "customer": result.origin.customer}
                        if result.origin else None), traceback_id=result.traceback_id,
        campaign=t(tb.campaign or "") if tb else None, hops=hops, sources=sources,
        providers=_providers(case, result, tb, red), skew=red.deep(_skew_rows(result)),
        disagreements=[t(d) for d in _disagreements(case, result, tb)],
        shaken_notes=_shaken_notes(result), audit=[red.deep(e) for e in entries],
        audit_ok=not problems, audit_problems=[t(p) for p in problems], audit_head=head(entries),
        redactor=red, notes=[t(n) for n in notes_text(result.notes)])


def now_us() -> int:
    """The current time as UTC µs."""
    now = _dt.datetime.now(_dt.timezone.utc)
    return int(now.timestamp()) * US + now.microsecond


def _called_numbers(case: Case, result: TraceResult, audit: list[dict]) -> list[str]:
    """Every called number the packet could show: this call, the case's tracebacks, the log."""
    out = [result.called]
    for tb in case.tracebacks:
        out += [tb.called or "", tb.called_raw or ""]
    for e in audit:
        d = e.get("details") or {}
        for holder in (d, d.get("call") if isinstance(d.get("call"), dict) else {}):
            if holder.get("called"):
                out.append(str(holder["called"]))
    return [n for n in out if n]


def _customers(case: Case) -> list[str]:
    names = []
    for s in case.config.sources:
        names.extend(s.customers.values())
    return names


def _sha256(path: Path, should_stop: StopFn, progress, base: float, span: float) -> tuple[str, int]:
    """common.hashing.sha256_file with progress and cancel: a source can be gigabytes."""
    h = hashlib.sha256()
    size = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(8 << 20), b""):
            h.update(block)
            done += len(block)
            check(should_stop)
            progress(base + span * done / max(size, 1), f"hashing {path.name}")
    return h.hexdigest(), size


def _sources(case: Case, result: TraceResult, red: Redactor, progress: ProgressFn,
             should_stop: StopFn) -> list[SourceView]:
    """Every source of the case, re-hashed now; the chain's ones with their quoted lines."""
    used = {h.source for h in result.hops if h.source}
    out: list[SourceView] = []
    n = max(len(case.sources), 1)
    for i, src in enumerate(case.sources):
        sha, size = _sha256(src.path, should_stop, progress, 0.4 * i / n, 0.4 / n)
        if sha != src.sha256:
            raise InputError("this file changed since the case was loaded (SHA-256 "
                             f"{src.sha256[:12]}… then, {sha[:12]}… now); reopen the case and "
                             "trace again before exporting", file=str(src.path))
        canon = case.directory.canonical(src.provider)
        sm = src.summary
        view = SourceView(provider=red.text(canon or src.provider), path=red.text(src.config.path),
                          file=src.path, format=sm.format, encoding=sm.encoding,
                          timezone=src.config.timezone, rows=sm.rows, first_utc=sm.first_utc,
                          last_utc=sm.last_utc, size=size, sha256_loaded=src.sha256,
                          sha256_export=sha, in_chain=src.id in used)
        out.append(view)
    return out


def source_of(case: Case, sid: SourceId | None) -> CdrSource | None:
    """The loaded source a hop's evidence came from."""
    return case.find_source(sid)


def _hops(case: Case, result: TraceResult, tb, red: Redactor,
          sources: list[SourceView]) -> list[HopView]:
    hops: list[HopView] = []
    last = len(result.hops) - 1
    by_file = {s.id: v for s, v in zip(case.sources, sources)}
    for i, hop in enumerate(result.hops):
        kind = hop_kind(hop, result.outcome, i == last)
        view = HopView(n=i + 1, provider=red.text(hop.provider), kind=kind,
                       label=ROLE_LABELS.get(kind, kind), colour=ROLE_COLOURS.get(kind, "#bcbd22"),
                       data=red.deep(hop_json(hop, result.traceback_id is not None)))
        src = source_of(case, hop.source)
        if src is not None and hop.line:
            view.lines = _evidence_lines(case.store, src, hop, red)
            sv = by_file[src.id]
            seen = {ln.line for ln in sv.lines}
            sv.lines.extend(ln for ln in view.lines if ln.line not in seen)
        rec = _record_for(case, tb, hop.provider)
        if rec is not None:
            view.record = red.deep(rec)
            view.clock = _clock(case, tb, rec, hop.provider)
        hops.append(view)
    for sv in sources:
        sv.lines.sort(key=lambda ln: ln.line)
    return hops


def _evidence_lines(store: CdrStore, src: CdrSource, hop, red: Redactor) -> list[EvidenceLine]:
    cands: list[Candidate] = hop.candidates
    wanted = [c.line for c in cands if c.line] or ([hop.line] if hop.line else [])
    # only a file that has a header row of its own shows it (positional switch files do not)
    hl = src.summary.header_line
    header_line = hl if hl and min(wanted, default=0) > hl else None
    raw = store.raw_lines(src.id, wanted + ([header_line] if header_line else []))
    lines = []
    if header_line and header_line in raw:
        lines.append(EvidenceLine(header_line, red.text(raw[header_line]), "header"))
    if cands:
        entries = [(c.line, c.row, c.score, c.offset_s) for c in cands]
    else:  # a hop kept no candidate list: its own line
        entries = [(hop.line, hop.row, hop.confidence, hop.offset_s)]
    rows = [r for _, r, _, _ in entries if r is not None]
    by_row = _normalized_rows(store, src.id, rows)
    for j, (ln, row, score, offset) in enumerate(entries):
        kind = "matched" if ln == hop.line and j == 0 else "alternative"
        norm = red.deep(by_row[row]) if row is not None and row in by_row else {}
        lines.append(EvidenceLine(ln, red.text(raw[ln]) if ln in raw else None, kind,
                                  round(score, 3) if score is not None else None,
                                  round(offset, 3) if offset is not None else None, norm))
    return lines


NORMALIZED_FIELDS = ("start", "answer", "end", "calling", "called", "duration", "disposition",
                     "ingress", "egress", "attest", "origid", "verstat", "call_id", "flags")


def _normalized_rows(store: CdrStore, sid: SourceId, rows: list[int]) -> dict[int, dict]:
    """Rows as the workbench read them, in display form, with one store call."""
    if not rows:
        return {}
    table = store.rows(sid, np.asarray(rows, dtype=np.int64), NORMALIZED_FIELDS).to_pylist()
    return {row: normalized(r) for row, r in zip(rows, table)}


def normalized(r: dict) -> dict:
    """A row as the workbench read it, in display form (times in UTC)."""

    def t(name: str) -> str | None:
        v = r.get(name)
        return None if v is None or v == NAT else iso_utc(int(v))

    return {"start_utc": t("start"), "answer_utc": t("answer"), "end_utc": t("end"),
            "calling": r.get("calling"), "called": r.get("called"),
            "duration_s": r.get("duration"), "disposition": r.get("disposition"),
            "ingress": r.get("ingress"), "egress": r.get("egress"), "attest": r.get("attest"),
            "origid": r.get("origid"), "verstat": r.get("verstat"), "call_id": r.get("call_id"),
            "flags": ", ".join(flag_words(int(r.get("flags") or 0)))}


def _record_for(case: Case, tb, provider: str) -> dict | None:
    if tb is None:
        return None
    for h in tb.hops:
        if case.directory.canonical(h.provider) == provider:
            return {"hop": h.hop, "provider": h.provider, "upstream": h.upstream,
                    "status": h.status, "notified_at": h.notified_at,
                    "responded_at": h.responded_at, "notes": h.notes, "line": h.line,
                    "file": Path(tb.source).name}
    return None


def _clock(case: Case, tb, rec: dict, provider: str) -> ResponseClock:
    zone = traceback_zone(case, tb)
    settings = provider_settings(case, provider)
    return response_clock(parse_time(rec.get("notified_at"), zone),
                          parse_time(rec.get("responded_at"), zone),
                          deferral=bool(settings.get("business_hours_deferral", False)),
                          zone=provider_zone(case, provider))


def _providers(case: Case, result: TraceResult, tb, red: Redactor) -> list[dict]:
    in_chain = {h.provider: (i + 1, h) for i, h in enumerate(result.hops)}
    names = list(in_chain)
    for p in case.directory.providers:
        if p not in names:
            names.append(p)
    if tb is not None:
        for h in tb.hops:
            c = case.directory.canonical(h.provider)
            if c not in names:
                names.append(c)
    rows = []
    for name in names:
        info = case.directory.info(name)
        n, hop = in_chain.get(name, (None, None))
        rec = _record_for(case, tb, name)
        rows.append(red.deep({
            "provider": name, "aliases": ", ".join(info.aliases) if info else "",
            "frn": info.frn if info else None, "rmd": info.rmd if info else None,
            "country": info.country if info else None,
            "foreign": bool(info.foreign) if info else False,
            "hop": n, "role": hop.role if hop else None,
            "records_in_case": len(case.sources_of(name)),
            "traceback_status": rec["status"] if rec else None,
            "notes": info.notes if info else None}))
    return rows


def _skew_rows(result: TraceResult) -> list[dict]:
    return [{"provider": k, **v} for k, v in skew_json(result.skew).items()]


def _disagreements(case: Case, result: TraceResult, tb) -> list[str]:
    if tb is None:
        return []
    out = []
    for i, h in enumerate(result.hops, start=1):
        if h.traceback_agrees is False:
            cdr = h.upstream or (f"customer {h.customer}" if h.customer else "no upstream")
            out.append(f"Hop {i}, {h.provider}: the traceback record says the call came from "
                       f"'{h.traceback_upstream}'; its CDRs ({h.source_path} line {h.line}, ingress "
                       f"'{h.ingress}') show {cdr}.")
    chain = {h.provider for h in result.hops}
    for rec in tb.hops:
        name = case.directory.canonical(rec.provider)
        if name not in chain:
            out.append(f"The traceback record has hop {rec.hop}, {rec.provider} (status "
                       f"{rec.status or 'none'}), which the CDR trace did not reach.")
    recorded = {case.directory.canonical(r.provider) for r in tb.hops}
    for i, h in enumerate(result.hops, start=1):
        if h.provider not in recorded:
            out.append(f"Hop {i}, {h.provider}: in the CDR chain but not in traceback record "
                       f"{tb.traceback_id}.")
    return out


def _shaken_notes(result: TraceResult) -> list[str]:
    notes = []
    origids = {h.origid for h in result.hops if h.origid}
    if len(origids) == 1:
        notes.append("The same origid appears at every hop that carries one: the Identity "
                     "header was passed on unchanged.")
    elif len(origids) > 1:
        notes.append(f"{len(origids)} different origid values along the chain: the call was "
                     "re-signed (or the records are not the same call) between hops.")
    signed = [h for h in result.hops if h.attest]
    if not signed:
        notes.append("No hop's CDRs carry SHAKEN fields (attestation, origid, verstat).")
    for h in signed:
        if h.role in ("originating", "terminating+originating") and h.attest.upper() == "A":
            notes.append(f"{h.provider} (originating) signed with A attestation: it claims to "
                         "know the customer and its right to use the calling number.")
    return notes
