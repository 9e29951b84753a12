"""The trace engine: follow one call from the terminating provider to where it entered.

Every hop costs one batched store query (``CdrStore.candidates``) for the records of
the call's numbers in that provider's sources; matching then works on those rows.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from workbench.case.model import Case
from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, US, parse_one
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback
from workbench.store.protocol import CallKey, SourceId
from workbench.store.source import CdrSource
from workbench.trace.match import Match, PairRows, find_call
from workbench.trace.results import (
    Hop,
    Note,
    NoteKind,
    Origin,
    Outcome,
    Role,
    Skew,
    TraceResult,
)
from workbench.trace.shaken_checks import annotate as annotate_shaken

_ZONED = re.compile(r"(Z|z|[+-]\d{2}(:?\d{2})?)$")
RELIABLE_SKEW_CALLS = 5
OUTCOMES = tuple(o.value for o in Outcome)
MAX_CANDIDATES = 10  # the match and up to nine rivals are kept on a hop

SkewFn = Callable[[CdrSource], float]
Found = tuple[Match, CdrSource | None]


@dataclass(frozen=True)
class Need:
    """What one step of a trace asks of the store: the call's records in these sources."""

    sources: tuple[CdrSource, ...]
    calling_key: int
    called_key: int

    def keys(self) -> list[CallKey]:
        return [CallKey(s.id, self.called_key, self.calling_key) for s in self.sources]


class _Lookup:
    """The records a Need asked for, per source (slices of one store answer)."""

    def __init__(self, need: Need, table: pa.Table | None = None, cuts: np.ndarray | None = None,
                 first: int = 0):
        self.rows: dict[SourceId, PairRows] = {}
        if table is None or cuts is None:
            return
        for i, s in enumerate(need.sources):
            a, b = int(cuts[first + i]), int(cuts[first + i + 1])
            self.rows[s.id] = PairRows.from_table(table.slice(a, b - a))


def serve(case: Case, needs: Sequence[Need]) -> list[_Lookup]:
    """Every need answered with ONE store call (``CdrStore.candidates`` over all their keys)."""
    keys: list[CallKey] = []
    firsts: list[int] = []
    for need in needs:
        firsts.append(len(keys))
        keys += need.keys()
    if not keys:
        return [_Lookup(n) for n in needs]
    table = case.store.candidates(keys)
    q = table.column("q").to_numpy()  # ordered by q: each key's rows are one slice
    cuts = np.searchsorted(q, np.arange(len(keys) + 1), "left")
    return [_Lookup(n, table, cuts, f) for n, f in zip(needs, firsts)]


@dataclass(frozen=True)
class Call:
    """A call to trace, its numbers and time already normalized (one or many at a time)."""

    calling: str  # E.164 where it normalized, else as given
    calling_key: int  # -1: no calling number
    called: str
    called_key: int
    at_us: int  # UTC µs, as seen at the terminating provider


#: A trace as a generator: it yields what it needs from the store and receives the records.
Steps = Generator[Need, _Lookup, TraceResult]


def drive(case: Case, steps: Steps) -> TraceResult:
    """Run one trace, each need served by its own store call (O(hops) calls)."""
    try:
        need = next(steps)
        while True:
            need = steps.send(serve(case, [need])[0])
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


def trace(case: Case, *, calling: str, called: str, at: str | int,
          tolerance_s: float | None = None, from_provider: str | None = None,
          traceback: Traceback | None = None,
          skew: Mapping[SourceId, Skew] | None = None) -> TraceResult:
    """Follow the call hop by hop; stops with exactly one ``Outcome``.

    ``skew`` is the case's clock offsets (``trace.skew.estimate_skew``); the
    investigation computes it once per case version and passes it in.
    """
    country = case.config.default_country
    calling_e164, calling_key, _ = normalize_one(calling, country) if calling else (None, -1, 0)
    called_e164, called_key, _ = normalize_one(called, country)
    if called_key < 0:
        raise InputError(f"called number '{called}' is not a telephone number", field="called")
    if isinstance(at, str) and not _ZONED.search(at.strip()):
        raise InputError(f"time '{at}' has no UTC offset: write it as ISO 8601 with an offset "
                         "or Z, e.g. 2026-03-07T20:02:11Z or 2026-03-07T14:02:11-06:00",
                         field="at")
    at_us = parse_one(at) if isinstance(at, str) else int(at)
    if at_us == NAT:
        raise InputError(f"time '{at}' is not ISO 8601 (e.g. 2026-03-07T20:02:11Z)", field="at")
    if skew is None:
        from workbench.trace.skew import estimate_skew
        skew = estimate_skew(case)
    call = Call(calling_e164 or calling, calling_key, called_e164 or called, called_key, at_us)
    return drive(case, trace_steps(case, call, tolerance_s=tolerance_s,
                                   from_provider=from_provider, traceback=traceback, skew=skew))


def trace_steps(case: Case, call: Call, *, tolerance_s: float | None = None,
                from_provider: str | None = None, traceback: Traceback | None = None,
                skew: Mapping[SourceId, Skew]) -> Steps:
    """The trace of one call as steps: every store lookup is yielded as a ``Need``, so one
    driver serves a single call and another batches the needs of thousands of calls (one
    store query per hop level) through the very same decisions."""
    tol = float(tolerance_s if tolerance_s is not None else case.config.tolerance_s)
    calling_e164 = call.calling if call.calling_key >= 0 else None
    called_e164 = call.called
    at_us = call.at_us
    run = _Run(case, skew, call.calling_key, call.called_key, tol)
    first, first_match, first_src = yield from run.terminating(at_us, from_provider, traceback)
    result = TraceResult(call.calling, call.called, at_us, Outcome.NOT_FOUND,
                         [], None, dict(skew), tol,
                         traceback.traceback_id if traceback else None)
    provider: str = first
    match: Match | None = None
    src: CdrSource | None = None
    # the reference time of the call: `at` is on the terminating provider's clock
    ref_us = at_ref = at_us - int(round(run.skew_s(first_src) * US)) if first_src else at_us
    prev_duration: float | None = None
    prev_origid: str | None = None
    visited: list[str] = []
    while True:
        if provider in visited:
            result.outcome, result.loop_to = Outcome.LOOP, provider
            result.notes.append(Note(NoteKind.LOOP, {"provider": provider}))
            break
        visited.append(provider)
        sources = case.sources_of(provider)
        if not sources:
            result.hops.append(Hop(provider, False,
                                   role=_role(case, provider, len(result.hops), None, None),
                                   notes=[Note(NoteKind.NO_CDRS)]))
            result.outcome = Outcome.NO_RECORDS
            break
        if match is None:
            found = yield run.need(sources)
            match, src = run.best_in(sources, ref_us, run.skew_s, prev_duration, prev_origid,
                                     found=found)
            if match.best is None and not result.hops and first_match is not None:
                match, src = first_match, first_src  # `at` was given on the reference clock
        if match.best is None:
            hop = Hop(provider, False, role=_role(case, provider, len(result.hops), None, None),
                      source=src.id if src else None, notes=list(match.notes))
            hop.notes.append(Note(NoteKind.NOT_IN_WINDOW, {
                "calling": calling_e164, "called": called_e164, "window_s": match.window_s}))
            if match.nearest_outside is not None:
                n = match.nearest_outside
                hop.notes.append(Note(NoteKind.NEAREST, {"line": n.line, "offset_s": n.offset_s}))
            result.hops.append(hop)
            result.outcome = Outcome.NOT_FOUND
            break
        assert src is not None  # a match always comes from a source
        hop = _hop_from(case, provider, src, match, skew, len(result.hops))
        result.hops.append(hop)
        if hop.customer is not None:
            result.outcome = Outcome.ORIGIN
            result.origin = Origin(provider, hop.customer)
            break
        if hop.upstream is None:
            result.outcome, result.unmapped_ingress = Outcome.UNMAPPED_INGRESS, hop.ingress
            hop.notes.append(Note(NoteKind.UNMAPPED_INGRESS, {"ingress": hop.ingress}))
            break
        ref_us = match.best.corrected_us
        prev_duration, prev_origid = match.best.duration, match.best.origid or prev_origid
        provider, match, src = hop.upstream, None, None
    for h in result.hops:  # each hop's time relative to the call, on the reference clock
        if h.found and h.start_us != NAT:
            observed = h.start_us - int(round((h.skew_s or 0.0) * US))
            h.offset_s = (observed - at_ref) / US
    if traceback is not None:
        _compare_traceback(case, result, traceback)
    annotate_shaken(result)
    return result


def trace_traceback(case: Case, traceback_id: str, *, tolerance_s: float | None = None,
                    from_provider: str | None = None,
                    skew: Mapping[SourceId, Skew] | None = None) -> TraceResult:
    tb = case.traceback(traceback_id)
    if not tb.called or tb.call_time_us == NAT:
        raise InputError(f"traceback {traceback_id} lacks a called number or call time",
                         file=tb.source, field="called" if not tb.called else "call_time")
    return trace(case, calling=tb.calling or "", called=tb.called, at=tb.call_time_us,
                 tolerance_s=tolerance_s, from_provider=from_provider, traceback=tb, skew=skew)


class _Run:
    """One trace's fixed inputs: the case, its skew and the call's numbers."""

    def __init__(self, case: Case, skew: Mapping[SourceId, Skew], calling_key: int,
                 called_key: int, tol: float):
        self.case, self.skew = case, skew
        self.calling_key, self.called_key, self.tol = calling_key, called_key, tol

    def skew_s(self, src: CdrSource | None) -> float:
        s = self.skew.get(src.id) if src is not None else None
        return s.offset_s if s else 0.0

    def reliable(self, src: CdrSource) -> bool:
        s = self.skew.get(src.id)
        return s is not None and (s.basis == "manual" or
                                  (s.basis == "estimated" and s.calls >= RELIABLE_SKEW_CALLS))

    def need(self, sources: Sequence[CdrSource]) -> Need:
        return Need(tuple(sources), self.calling_key, self.called_key)

    def best_in(self, sources: Sequence[CdrSource], ref_us: int, skew_s: SkewFn,
                ref_duration: float | None = None, ref_origid: str | None = None,
                reliable: Callable[[CdrSource], bool] | None = None, *,
                found: _Lookup) -> tuple[Match, CdrSource]:
        """The best match among ``sources``, from the records ``found`` for them."""
        reliable = reliable or self.reliable
        best: tuple[Match, CdrSource] | None = None
        for src in sources:
            m = find_call(found.rows[src.id], src.summary, calling_key=self.calling_key,
                          at_us=ref_us, skew_s=skew_s(src), tol_s=self.tol,
                          ref_duration=ref_duration, ref_origid=ref_origid,
                          allow_fallbacks=not reliable(src))
            if best is None or (m.best is not None and
                                (best[0].best is None or m.confidence > best[0].confidence)):
                best = (m, src)
        assert best is not None  # sources is never empty here
        return best

    def terminating(self, at_us: int, from_provider: str | None, traceback: Traceback | None
                    ) -> Generator[Need, _Lookup, tuple[str, Match | None, CdrSource | None]]:
        """The first hop: --from, else the holder of the call that no other holder names
        upstream (one store call for every source of the case)."""
        case = self.case
        if from_provider:
            name = case.directory.canonical(from_provider) or from_provider
            sources = case.sources_of(name)
            if not sources:
                known = ", ".join(case.providers_with_records())
                raise InputError(f"no CDRs from provider '{from_provider}' in this case "
                                 f"(providers with CDRs: {known})", field="from")
            m, src = self.best_in(sources, at_us, lambda s: 0.0, found=(yield self.need(sources)))
            return name, m, src
        everything = yield self.need(case.sources)
        found: dict[str, tuple[Match, CdrSource]] = {}
        own_clock: set[str] = set()
        for name in case.providers_with_records():
            sources = case.sources_of(name)
            # `at` is this provider's own clock if it is the terminating one
            m, src = self.best_in(sources, at_us, lambda s: 0.0, reliable=lambda s: True,
                                  found=everything)
            if m.best is not None:
                own_clock.add(name)
            else:  # or the reference clock, if its own clock is off
                m2, src2 = self.best_in(sources, at_us, self.skew_s, reliable=lambda s: True,
                                        found=everything)
                if m2.best is not None:
                    m, src = m2, src2
            if m.best is not None:
                found[name] = (m, src)
        named = set()
        for name, (m, src) in found.items():
            assert m.best is not None
            up, _ = case.upstream_of(src, m.best.ingress)
            if up:
                named.add(up)
        heads = [n for n in found if n not in named]
        if traceback is not None and traceback.hops:
            tb_first = case.directory.canonical(traceback.hops[0].provider) or ""
            if tb_first in heads or (not heads and tb_first not in found):
                if tb_first in found:
                    return tb_first, *found[tb_first]
                return tb_first, None, None
        if heads:  # a match on the provider's own clock beats one that needed skew correction
            heads.sort(key=lambda n: (n not in own_clock, abs(_offset(found[n][0]))))
            return heads[0], *found[heads[0]]
        if found:  # everyone is named by someone: a loop; start at the nearest record
            best = min(found, key=lambda n: abs(_offset(found[n][0])))
            return best, *found[best]
        if traceback is not None and traceback.hops:
            name = case.directory.canonical(traceback.hops[0].provider) or ""
            return name, None, None
        first = case.providers_with_records()
        if not first:
            raise InputError("the case has no CDR sources", file=str(case.config.file))
        return first[0], None, None


def _offset(m: Match) -> float:
    return m.best.offset_s if m.best is not None else float("inf")


def _hop_from(case: Case, provider: str, src: CdrSource, match: Match,
              skew: Mapping[SourceId, Skew], index: int) -> Hop:
    c = match.best
    assert c is not None
    upstream, customer = case.upstream_of(src, c.ingress)
    sk = skew.get(src.id)
    return Hop(provider, True, role=_role(case, provider, index, upstream, customer),
               upstream=upstream, customer=customer, ingress=c.ingress, egress=c.egress,
               start_us=c.start_us, corrected_us=c.corrected_us, confidence=match.confidence,
               alternatives=len(match.alternatives), source=src.id, line=c.line, row=c.row,
               duration=c.duration, skew_s=sk.offset_s if sk else None,
               skew_calls=sk.calls if sk else None, attest=c.attest, origid=c.origid,
               verstat=c.verstat, candidates=[c] + match.alternatives[:MAX_CANDIDATES - 1],
               notes=list(match.notes), calling_key=c.calling_key, called_key=c.called_key,
               pp_orig=c.pp_orig, pp_dest=c.pp_dest, pp_iat_us=c.pp_iat_us, pp_x5u=c.pp_x5u)


def _is_foreign(case: Case, name: str | None) -> bool:
    """Foreign: marked so, or registered in a country other than the case's own."""
    info = case.directory.info(name) if name else None
    home = (case.config.default_country or "US").upper()
    return info is not None and (info.foreign or bool(info.country and
                                                      info.country.upper() != home))


def _role(case: Case, provider: str, index: int, upstream: str | None,
          customer: str | None) -> str:
    info = case.directory.info(provider)
    if index == 0:
        return Role.TERMINATING if customer is None else Role.TERMINATING_ORIGINATING
    if customer is not None:
        return Role.ORIGINATING
    if _is_foreign(case, upstream):
        return Role.GATEWAY
    if info is not None and info.role:
        return info.role
    if _is_foreign(case, provider):
        return Role.FOREIGN
    return Role.TRANSIT if upstream or customer else Role.UNKNOWN


def _compare_traceback(case: Case, result: TraceResult, tb: Traceback) -> None:
    for hop in result.hops:
        rec = next((h for h in tb.hops
                    if case.directory.canonical(h.provider) == hop.provider), None)
        if rec is None:
            continue
        hop.traceback_status = rec.status
        said = case.directory.canonical(rec.upstream) if rec.upstream else None
        hop.traceback_upstream = rec.upstream
        if not hop.found:
            hop.traceback_agrees = None
            continue
        if said is None:
            if rec.status == "originator" and hop.customer is not None:
                hop.traceback_agrees = True
            elif rec.status == "originator" and hop.customer is None:
                hop.traceback_agrees = False
                hop.traceback_upstream = "(originator)"
            else:
                hop.traceback_agrees = None
            continue
        cdr = hop.upstream or hop.customer
        hop.traceback_agrees = said == cdr or (hop.customer is not None and
                                               said.lower() == hop.customer.lower())
        if not hop.traceback_agrees:
            hop.notes.append(Note(NoteKind.TRACEBACK_DISAGREES,
                                  {"said": rec.upstream, "cdr": cdr}))
