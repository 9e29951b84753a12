"""The trace engine: follow one call from the terminating provider to where it entered.

Every hop costs one batched store query (``CdrStore.candidates``) for the records of
the call's numbers in that provider's sources; matching then works on those rows.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from workbench.case.model import Case
from workbench.columns.arrow_numpy import to_numpy
from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, US, parse_one
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback, TracebackHop
from workbench.store.protocol import CallKey, SourceId
from workbench.store.source import CdrSource
from workbench.trace.fast_match import Glance, LevelRows, glance, quick_match
from workbench.trace.match import Match, PairRows, find_call, settle_pass
from workbench.trace.results import (
    Candidate,
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


class Need(NamedTuple):
    """What one step of a trace asks of the store: the call's records in these sources.
    (A named tuple: a batch makes one per call and hop.)"""

    sources: tuple[CdrSource, ...]
    source_ids: tuple[SourceId, ...]
    calling_key: int
    called_key: int

    def keys(self) -> list[CallKey]:
        return [CallKey(sid, self.called_key, self.calling_key) for sid in self.source_ids]


class _Lookup:
    """The records a Need asked for, per source: bounds into one store answer for a level.

    ``fast`` lets plain shapes be settled by ``fast_match.quick_match`` (batches); else, and
    for whatever it declines, ``find_call`` gets the source's rows."""

    __slots__ = ("level", "fast", "sources", "cuts", "first")

    def __init__(self, need: Need, level: LevelRows | None = None,
                 cuts: list[int] | None = None, first: int = 0, fast: bool = False):
        # a batch makes one per call and level: the bounds are read from the level's cuts
        # when asked, not laid out in a dict per lookup
        self.level, self.fast, self.first = level, fast, first
        self.cuts: list[int] = cuts if cuts is not None else []
        self.sources: tuple[CdrSource, ...] = (
            need.sources if level is not None and cuts is not None else ())

    def span(self, src: CdrSource) -> tuple[int, int]:
        """Rows [a, b) of the level that answer ``src`` ((0, 0): none, or not asked)."""
        try:  # by identity: a source object is equal only to itself
            i = self.sources.index(src) + self.first
        except ValueError:
            return 0, 0
        return self.cuts[i], self.cuts[i + 1]

    def asked(self, src: CdrSource) -> bool:
        """Whether the store was asked for ``src``'s records in this lookup."""
        return src in self.sources

    def rows(self, src: CdrSource) -> PairRows:
        """The source's rows as find_call takes them (empty when the store had none)."""
        a, b = self.span(src)
        if self.level is None:
            return LevelRows.empty()
        return self.level.slice(a, b)

    def glance(self, src: CdrSource, *, at_us: int, skew_s: float,
               tol_s: float) -> Glance | None:
        """Whether the source has the call at ``at_us`` (no downstream record, no fallbacks,
        the time on the source's clock after ``skew_s``), where the quick path can tell
        without scoring; None: ask ``match``."""
        if not self.fast or self.level is None:
            return None
        a, b = self.span(src)
        return glance(self.level, a, b, src.summary, at_us=at_us, skew_s=skew_s, tol_s=tol_s)

    def match(self, src: CdrSource, *, calling_key: int, at_us: int,
              skew_s: float, tol_s: float, ref_duration: float | None,
              ref_origid: str | None, allow_fallbacks: bool,
              downstream: Candidate | None = None, answer_lag_s: float | None = None) -> Match:
        """find_call's answer for this source (the quick path where its shape is plain; not
        while a repeated local hour is open or a ring time is estimated apart)."""
        plain = answer_lag_s is None and (downstream is None or downstream.alt_us == NAT)
        if self.fast and self.level is not None and plain:
            a, b = self.span(src)
            m = quick_match(self.level, a, b, src.summary, calling_key=calling_key,
                            at_us=at_us, skew_s=skew_s, tol_s=tol_s,
                            ref_duration=ref_duration, ref_origid=ref_origid,
                            allow_fallbacks=allow_fallbacks)
            if m is not None:
                return m
        return find_call(self.rows(src), src.summary, calling_key=calling_key, at_us=at_us,
                         skew_s=skew_s, tol_s=tol_s, ref_duration=ref_duration,
                         ref_origid=ref_origid, allow_fallbacks=allow_fallbacks,
                         downstream=downstream, answer_lag_s=answer_lag_s)


def serve(case: Case, needs: Sequence[Need], *, fast: bool = False) -> list[_Lookup]:
    """Every need answered with ONE store call (``CdrStore.candidates`` over all their keys),
    its columns converted once for the whole level."""
    keys: list[CallKey] = []
    firsts: list[int] = []
    for need in needs:
        firsts.append(len(keys))
        keys += need.keys()
    if not keys:
        return [_Lookup(n) for n in needs]
    table = case.store.candidates(keys)
    q = to_numpy(table.column("q"))  # ordered by q: each key's rows are one slice
    cuts = np.searchsorted(q, np.arange(len(keys) + 1), "left").tolist()
    level = LevelRows(PairRows.from_table(table))
    return [_Lookup(n, level, cuts, f, fast) for n, f in zip(needs, firsts)]


class Call(NamedTuple):
    """A call to trace, its numbers and time already normalized (one or many at a time;
    a named tuple: a batch makes one per call)."""

    calling: str  # E.164 where it normalized, else as given
    calling_key: int  # -1: no calling number
    called: str
    called_key: int
    at_us: int  # UTC µs, as seen at the terminating provider
    #: a traceback record's local call time in a repeated hour: its second pass (``at_us``
    #: is the first); the first provider's records choose (NAT: not ambiguous)
    alt_us: int = NAT


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
    alt_us = (traceback.call_time_alt_us if traceback is not None
              and at_us == traceback.call_time_us else NAT)
    call = Call(calling_e164 or calling, calling_key, called_e164 or called, called_key, at_us,
                alt_us)
    return drive(case, trace_steps(case, call, tolerance_s=tolerance_s,
                                   from_provider=from_provider, traceback=traceback, skew=skew))


def trace_steps(case: Case, call: Call, *, tolerance_s: float | None = None,
                from_provider: str | None = None, traceback: Traceback | None = None,
                skew: Mapping[SourceId, Skew], view: CaseView | None = None) -> Steps:
    """The trace of one call as steps: every store lookup is yielded as a ``Need``, so one
    driver serves a single call and another batches the needs of thousands of calls (one
    store query per hop level) through the very same decisions. A batch passes one
    ``view`` to all its calls."""
    tol = float(tolerance_s if tolerance_s is not None else case.config.tolerance_s)
    calling_e164 = call.calling if call.calling_key >= 0 else None
    called_e164 = call.called
    at_us = call.at_us
    view = view or CaseView(case)
    run = _Run(view, skew, call.calling_key, call.called_key, tol)
    first, seen = yield from run.terminating(at_us, from_provider, traceback, call.alt_us)
    at_us = run.at_us if run.at_us != NAT else at_us  # the pass the record's time was read at
    first_src = seen.src if seen is not None else None
    result = TraceResult(call.calling, call.called, at_us, Outcome.NOT_FOUND,
                         [], None, dict(skew), tol,
                         traceback.traceback_id if traceback else None)
    if run.pass_note is not None:
        result.notes.append(run.pass_note)
    if run.record_first_missed:
        result.notes.append(Note(NoteKind.RECORD_FIRST_NOT_FOUND, {
            "provider": first, "found_at": ", ".join(run.record_first_missed)}))
    provider: str = first
    match: Match | None = None
    src: CdrSource | None = None
    # the reference time of the call: `at` is on the terminating provider's clock
    ref_us = at_ref = at_us - int(round(run.skew_s(first_src) * US)) if first_src else at_us
    prev_duration: float | None = None
    prev_origid: str | None = None
    prev: Candidate | None = None  # the record of the hop before (its answer time, DST pass)
    visited: list[str] = []
    while True:
        if provider in visited:
            end_in_loop(result, provider)
            break
        visited.append(provider)
        sources = view.sources_of(provider)
        if not sources:
            end_without_records(view, result, provider)
            break
        if match is None:
            found = run.already_found(sources) or (yield run.need(sources))
            match, src = run.best_in(sources, ref_us, run.skew_s, prev_duration, prev_origid,
                                     found=found, downstream=prev)
            if match.best is None and not result.hops and seen is not None:
                match, src = run.matched(seen)  # `at` was given on the reference clock
        if match.best is None:
            end_not_found(view, result, provider, src, match, calling_e164, called_e164)
            break
        assert src is not None  # a match always comes from a source
        hop = _hop_from(view, provider, src, match, run.clock(src), len(result.hops))
        result.hops.append(hop)
        at_ref += settle_pass(result.hops)  # an upstream record settled a repeated local hour
        if ends_at(result, provider, hop):
            break
        assert hop.upstream is not None  # ends_at ends a chain whose ingress names nobody
        ref_us, prev = match.best.corrected_us, match.best
        prev_duration, prev_origid = match.best.duration, match.best.origid or prev_origid
        provider, match, src = hop.upstream, None, None
    return finish(view, result, at_ref, traceback)


# -- how a chain ends, shared with the columnar batch (trace.columnar) -------------------

_NO_CDRS = Note(NoteKind.NO_CDRS)  # a note is a value: every such hop shares it
# read once: an Enum member read through its class costs several plain attribute reads
_ORIGIN, _NO_RECORDS = Outcome.ORIGIN, Outcome.NO_RECORDS


def end_in_loop(result: TraceResult, provider: str) -> None:
    """The chain would visit ``provider`` twice."""
    result.outcome, result.loop_to = Outcome.LOOP, provider
    result.notes.append(Note(NoteKind.LOOP, {"provider": provider}))


def end_without_records(view: CaseView, result: TraceResult, provider: str) -> None:
    """The chain names a provider whose CDRs the case lacks."""
    result.hops.append(Hop(provider, False,
                           role=view.role(provider, len(result.hops), None, None),
                           notes=[_NO_CDRS]))
    result.outcome = _NO_RECORDS


def end_not_found(view: CaseView, result: TraceResult, provider: str, src: CdrSource | None,
                  match: Match, calling: str | None, called: str) -> None:
    """The provider's CDRs are in the case, the call is not (with the nearest record)."""
    hop = Hop(provider, False, role=view.role(provider, len(result.hops), None, None),
              source=view.sid(src) if src else None, notes=list(match.notes))
    hop.notes.append(Note(NoteKind.NOT_IN_WINDOW, {
        "calling": calling, "called": called, "window_s": match.window_s}))
    if match.nearest_outside is not None:
        n = match.nearest_outside
        hop.notes.append(Note(NoteKind.NEAREST, {"line": n.line, "offset_s": n.offset_s}))
    result.hops.append(hop)
    result.outcome = Outcome.NOT_FOUND


def ends_at(result: TraceResult, provider: str, hop: Hop) -> bool:
    """Whether the chain ends at this found hop: its customer (the origin), or an ingress
    that names nobody. False: it goes on to ``hop.upstream``."""
    if hop.customer is not None:
        result.outcome = _ORIGIN
        result.origin = Origin(provider, hop.customer)
        return True
    if hop.upstream is None:
        result.outcome, result.unmapped_ingress = Outcome.UNMAPPED_INGRESS, hop.ingress
        hop.notes.append(Note(NoteKind.UNMAPPED_INGRESS, {"ingress": hop.ingress}))
        return True
    return False


def finish(view: CaseView, result: TraceResult, at_ref: int,
           traceback: Traceback | None) -> TraceResult:
    """Each hop's offset from the call on the reference clock, the record's comparison and
    the STIR/SHAKEN checks: the last steps of every trace."""
    for h in result.hops:  # each hop's time relative to the call, on the reference clock
        if h.found and h.start_us != NAT:
            observed = h.start_us - _skew_us(h.skew_s or 0.0)
            h.offset_s = (observed - at_ref) / US
    if traceback is not None:
        _compare_traceback(view, result, traceback)
    annotate_shaken(result)
    return result


_SKEW_US: dict[float, int] = {}  # a source's skew in µs, per skew (a case has a few)


def _skew_us(skew_s: float) -> int:
    """``int(round(skew_s * US))``, remembered: every hop of a batch asks its source's."""
    got = _SKEW_US.get(skew_s)
    if got is None:
        got = int(round(skew_s * US))
        if len(_SKEW_US) < 4096:
            _SKEW_US[skew_s] = got
    return got


def trace_traceback(case: Case, traceback_id: str, *, tolerance_s: float | None = None,
                    from_provider: str | None = None,
                    skew: Mapping[SourceId, Skew] | None = None) -> TraceResult:
    tb = case.traceback(traceback_id)
    if not tb.called or tb.call_time_us == NAT:
        raise InputError(f"traceback {traceback_id} lacks a called number or call time",
                         file=tb.source, field="called" if not tb.called else "call_time")
    return trace(case, calling=tb.calling or "", called=tb.called, at=tb.call_time_us,
                 tolerance_s=tolerance_s, from_provider=from_provider, traceback=tb, skew=skew)


class CaseView:
    """What every trace asks of the case again and again (a source's id, a provider's
    sources, what an ingress names, a hop's role), worked out once per trace or per batch.

    Valid while the case is not edited: a batch makes one and drops it at the end. Sources
    are remembered by object identity, which holds because the case keeps them alive."""

    def __init__(self, case: Case):
        self.case = case
        self._ids: dict[CdrSource, SourceId] = {s: s.id for s in case.sources}
        self._sources_of: dict[str, list[CdrSource]] = {}
        self._with_records: list[str] | None = None
        self._named: dict[tuple[CdrSource, str | None], tuple[str | None, str | None]] = {}
        self._roles: dict[tuple[str, bool, str | None, str | None], str] = {}
        self._hop_names: dict[tuple[str, CdrSource, str | None, bool],
                              tuple[str | None, str | None, str, SourceId]] = {}
        self._canonical = _Canonical(case)
        self._skew_map: Mapping[SourceId, Skew] | None = None
        self._clocks: dict[CdrSource, _Clock] = {}
        self._groups: dict[int, tuple[Sequence[CdrSource], tuple[CdrSource, ...],
                                      tuple[SourceId, ...]]] = {}

    def canonical(self, name: str) -> str:
        return self._canonical[name]

    def clocks(self, skew: Mapping[SourceId, Skew]) -> dict[CdrSource, _Clock]:
        """Every source's clock under ``skew``, worked out once (a batch passes the same
        mapping for every call, so its traces share one dict)."""
        if skew is not self._skew_map or not self._clocks:
            self._skew_map = skew
            self._clocks = {s: _clock(skew.get(sid)) for s, sid in self._ids.items()}
        return self._clocks

    def sid(self, src: CdrSource) -> SourceId:
        got = self._ids.get(src)
        if got is None:
            got = self._ids[src] = src.id
        return got

    def group(self, sources: Sequence[CdrSource]
              ) -> tuple[tuple[CdrSource, ...], tuple[SourceId, ...]]:
        """A provider's (or the case's) sources and their ids as a Need holds them; the
        lists come from this view or the case, which keep them alive, so their identity
        is a key."""
        got = self._groups.get(id(sources))
        if got is None or got[0] is not sources:
            got = self._groups[id(sources)] = (
                sources, tuple(sources), tuple(self.sid(s) for s in sources))
        return got[1], got[2]

    def sources_of(self, provider: str) -> list[CdrSource]:
        got = self._sources_of.get(provider)
        if got is None:
            got = self._sources_of[provider] = self.case.sources_of(provider)
        return got

    def providers_with_records(self) -> list[str]:
        if self._with_records is None:
            self._with_records = self.case.providers_with_records()
        return self._with_records

    def upstream_of(self, src: CdrSource, ingress: str | None
                    ) -> tuple[str | None, str | None]:
        key = (src, ingress)
        got = self._named.get(key)
        if got is None:
            got = self._named[key] = self.case.upstream_of(src, ingress)
        return got

    def hop_names(self, provider: str, src: CdrSource, ingress: str | None, first: bool
                  ) -> tuple[str | None, str | None, str, SourceId]:
        """A found hop's upstream, customer, role and source id from its record's ingress
        (``first``: the chain's first hop), worked out once per provider, source and ingress
        (a batch builds tens of thousands of hops from a few trunks)."""
        key = (provider, src, ingress, first)
        got = self._hop_names.get(key)
        if got is None:
            upstream, customer = self.upstream_of(src, ingress)
            got = self._hop_names[key] = (
                upstream, customer, self.role(provider, 0 if first else 1, upstream, customer),
                self.sid(src))
        return got

    def role(self, provider: str, index: int, upstream: str | None,
             customer: str | None) -> str:
        key = (provider, index == 0, upstream, customer)  # _role reads index == 0 only
        got = self._roles.get(key)
        if got is None:
            got = self._roles[key] = _role(self.case, provider, index, upstream, customer)
        return got


class _Canonical(dict[str, str]):
    """The directory's name for each name as written, worked out when first asked (a dict:
    a hit costs no Python call, and a batch compares every hop with its record)."""

    def __init__(self, case: Case):
        super().__init__()
        self.directory = case.directory

    def __missing__(self, name: str) -> str:
        got = self[name] = self.directory.canonical(name)
        return got


class _Clock(NamedTuple):
    """A source's clock as the engine reads it, from its ``Skew`` (None: not estimated)."""

    skew: Skew | None
    offset_s: float
    reliable: bool  # estimated from enough shared calls, or set by hand
    answer_lag_s: float | None


def _clock(s: Skew | None) -> _Clock:
    if s is None:
        return _Clock(None, 0.0, False, None)
    reliable = s.basis == "manual" or (s.basis == "estimated" and s.calls >= RELIABLE_SKEW_CALLS)
    return _Clock(s, s.offset_s, reliable, s.answer_lag_s)


class _Run:
    """One trace's fixed inputs: the case, its skew and the call's numbers."""

    def __init__(self, view: CaseView, skew: Mapping[SourceId, Skew], calling_key: int,
                 called_key: int, tol: float):
        self.view, self.case, self.skew = view, view.case, skew
        self.clocks = view.clocks(skew)
        self.calling_key, self.called_key, self.tol = calling_key, called_key, tol
        self.everything: _Lookup | None = None  # the terminating step's store answer
        self.record_first_missed: list[str] = []  # who found a call the record's first did not
        self.at_us = NAT  # the call's time when the terminating step chose a pass of it
        self.pass_note: Note | None = None

    def clock(self, src: CdrSource) -> _Clock:
        got = self.clocks.get(src)
        if got is None:  # a source the case did not list when the view was made
            got = self.clocks[src] = _clock(self.skew.get(self.view.sid(src)))
        return got

    def skew_s(self, src: CdrSource | None) -> float:
        return self.clock(src).offset_s if src is not None else 0.0

    def reliable(self, src: CdrSource) -> bool:
        return self.clock(src).reliable

    def answer_lag(self, src: CdrSource) -> float | None:
        return self.clock(src).answer_lag_s

    def already_found(self, sources: Sequence[CdrSource]) -> _Lookup | None:
        """The first hop's records, once: the terminating step already asked the store for
        the call's records in every source (same keys, so the same rows)."""
        got, self.everything = self.everything, None
        if got is None or not all(got.asked(s) for s in sources):
            return None
        return got

    def need(self, sources: Sequence[CdrSource]) -> Need:
        return Need(*self.view.group(sources), self.calling_key, self.called_key)

    def best_in(self, sources: Sequence[CdrSource], ref_us: int, skew_s: SkewFn,
                ref_duration: float | None = None, ref_origid: str | None = None,
                reliable: Callable[[CdrSource], bool] | None = None, *,
                found: _Lookup, downstream: Candidate | None = None,
                own_clock: bool = False) -> tuple[Match, CdrSource]:
        """The best match among ``sources``, from the records ``found`` for them
        (``own_clock``: the time is as the source's file wrote it, ring time included)."""
        reliable = reliable or self.reliable
        if len(sources) == 1:  # most providers: one source, nothing to weigh
            src = sources[0]
            return found.match(src, calling_key=self.calling_key, at_us=ref_us,
                               skew_s=skew_s(src), tol_s=self.tol, ref_duration=ref_duration,
                               ref_origid=ref_origid, allow_fallbacks=not reliable(src),
                               downstream=downstream,
                               answer_lag_s=None if own_clock else self.answer_lag(src)), src
        best: tuple[Match, CdrSource] | None = None
        for src in sources:
            m = found.match(src, calling_key=self.calling_key,
                            at_us=ref_us, skew_s=skew_s(src), tol_s=self.tol,
                            ref_duration=ref_duration, ref_origid=ref_origid,
                            allow_fallbacks=not reliable(src), downstream=downstream,
                            answer_lag_s=None if own_clock else self.answer_lag(src))
            if best is None or (m.best is not None and
                                (best[0].best is None or m.confidence > best[0].confidence)):
                best = (m, src)
        assert best is not None  # sources is never empty here
        return best

    def terminating(self, at_us: int, from_provider: str | None, traceback: Traceback | None,
                    alt_us: int = NAT) -> Generator[Need, _Lookup, tuple[str, _Seen | None]]:
        """The first hop: --from, else the holder of the call that no other holder names
        upstream (one store call for every source of the case)."""
        case = self.case
        if from_provider:
            name = case.directory.canonical(from_provider) or from_provider
            sources = self.view.sources_of(name)
            if not sources:
                known = ", ".join(self.view.providers_with_records())
                raise InputError(f"no CDRs from provider '{from_provider}' in this case "
                                 f"(providers with CDRs: {known})", field="from")
            m, src = self.best_in(sources, at_us, lambda s: 0.0, found=(yield self.need(sources)),
                                  own_clock=True)
            c = m.best
            return name, _Seen(src, True, c.offset_s if c else 0.0, c.ingress if c else None, m)
        if traceback is not None and traceback.hops:
            # a trace of a record starts where the record starts: where that provider did
            # not find the call, the chain stops there and says who did find it (only then
            # are the other providers' records needed)
            tb_first = self.view.canonical(traceback.hops[0].provider) or ""
            if tb_first in self.view.providers_with_records():
                sources = self.view.sources_of(tb_first)
                held = self.everything = yield self.need(sources)
                seen = self._seen_either(sources, at_us, held)
                if alt_us != NAT:
                    seen = self._pass_of(seen, self._seen_either(sources, alt_us, held),
                                         at_us, alt_us, traceback)
                if seen is not None:
                    return tb_first, seen
            everything = yield self.need(case.sources)
            found = self._found(at_us, everything)
            if alt_us != NAT:
                found = {**self._found(alt_us, everything), **found}
            self.record_first_missed = sorted(found)
            return tb_first, None
        everything = self.everything = yield self.need(case.sources)
        found = self._found(at_us, everything)
        named = set()
        for seen in found.values():
            up, _ = self.view.upstream_of(seen.src, seen.ingress)
            if up:
                named.add(up)
        heads = [n for n in found if n not in named]
        if heads:  # a match on the provider's own clock beats one that needed skew correction
            heads.sort(key=lambda n: (not found[n].own_clock, abs(found[n].offset_s)))
            return heads[0], found[heads[0]]
        if found:  # everyone is named by someone: a loop; start at the nearest record
            best = min(found, key=lambda n: abs(found[n].offset_s))
            return best, found[best]
        first = self.view.providers_with_records()
        if not first:
            raise InputError("the case has no CDR sources", file=str(case.config.file))
        return first[0], None

    def _pass_of(self, first: _Seen | None, second: _Seen | None, at_us: int, alt_us: int,
                 traceback: Traceback) -> _Seen | None:
        """Which pass of a record's repeated local hour the call is at, from the record's
        first provider's own records: the pass it has a record at; at both, the one whose
        ingress names the upstream the traceback record names, else the nearer record
        (the first pass on a tie). Sets the call's time and the note that says why."""
        if first is None and second is None:
            return None
        hours = round((alt_us - at_us) / (3600 * US))
        how = "only"
        if first is not None and second is not None:
            said = (self.view.canonical(traceback.hops[1].provider)
                    if len(traceback.hops) > 1 else None)
            agree = [said is not None and self.view.upstream_of(s.src, s.ingress)[0] == said
                     for s in (first, second)]
            if agree[0] != agree[1]:
                take_second, how = agree[1], "record"
            else:
                take_second, how = abs(second.offset_s) < abs(first.offset_s), "nearest"
        else:
            take_second = first is None
        self.at_us = alt_us if take_second else at_us
        self.pass_note = Note(NoteKind.RECORD_TIME_PASS, {
            "pass": "second" if take_second else "first", "both": how != "only",
            "hours": hours, "how": how})
        return second if take_second else first

    def _found(self, at_us: int, everything: _Lookup) -> dict[str, _Seen]:
        """Every provider holding the call at ``at_us``, with its record as seen."""
        found: dict[str, _Seen] = {}
        for name in self.view.providers_with_records():
            # `at` is this provider's own clock if it is the terminating one, or the
            # reference clock if its own clock is off
            seen = self._seen_either(self.view.sources_of(name), at_us, everything)
            if seen is not None:
                found[name] = seen
        return found

    def _seen_either(self, sources: Sequence[CdrSource], at_us: int, everything: _Lookup
                     ) -> _Seen | None:
        """``_seen`` on the provider's own clock, else on the reference clock; a lone
        source with no record of the pair at all is settled at once (most providers of
        most calls in a batch)."""
        if len(sources) == 1 and everything.fast and everything.level is not None:
            a, b = everything.span(sources[0])
            if a == b:
                return None  # no row to find on either clock
        return (self._seen(sources, at_us, everything, own_clock=True) or
                self._seen(sources, at_us, everything, own_clock=False))

    def _seen(self, sources: Sequence[CdrSource], at_us: int, everything: _Lookup, *,
              own_clock: bool) -> _Seen | None:
        """A provider's record of the call at the terminating step (None: it has none).
        Most providers are only asked whether they have it: a glance where the quick path
        can tell, the full match (kept) where it cannot."""
        skew_s: SkewFn = _no_skew if own_clock else self.skew_s
        if len(sources) == 1 and (own_clock or self.answer_lag(sources[0]) is None):
            src = sources[0]
            g = everything.glance(src, at_us=at_us, skew_s=skew_s(src),
                                  tol_s=self.tol)
            if g is not None:
                return _Seen(src, own_clock, g.offset_s, g.ingress, None, at_us,
                             everything) if g.found else None
        m, src = self.best_in(sources, at_us, skew_s, reliable=_always, found=everything,
                              own_clock=own_clock)
        if m.best is None:
            return None
        return _Seen(src, own_clock, m.best.offset_s, m.best.ingress, m)

    def matched(self, seen: _Seen) -> tuple[Match, CdrSource]:
        """The full match of the provider the chain starts at, built when the chain needs
        it (the same search as the glance stood for, so the same record)."""
        if seen.match is None:
            assert seen.found is not None
            seen.match, _ = self.best_in([seen.src], seen.at_us,
                                         _no_skew if seen.own_clock else self.skew_s,
                                         reliable=_always, found=seen.found,
                                         own_clock=seen.own_clock)
        return seen.match, seen.src


@dataclass
class _Seen:
    """A provider's record of the call as the terminating step saw it: enough to choose
    where the chain starts; the full Match is built for that provider only."""

    src: CdrSource
    own_clock: bool  # found on the provider's own clock, not after skew correction
    offset_s: float
    ingress: str | None
    match: Match | None = None
    at_us: int = NAT  # what the glance searched, to build the match later
    found: _Lookup | None = None


def _no_skew(src: CdrSource) -> float:
    return 0.0


def _always(src: CdrSource) -> bool:
    return True


def _hop_from(view: CaseView, provider: str, src: CdrSource, match: Match, clock: _Clock,
              index: int) -> Hop:
    c = match.best
    assert c is not None
    upstream, customer, role, sid = view.hop_names(provider, src, c.ingress, index == 0)
    sk = clock.skew
    rivals = match.alternatives
    # positional, in Hop's field order (a batch builds one per hop: keywords cost a third
    # more); tests/test_trace_engine.py checks each field against the record
    return Hop(provider, True, role,
               upstream, customer, c.ingress, c.egress,  # upstream, customer, ingress, egress
               c.start_us, c.corrected_us, None,  # start_us, corrected_us, offset_s (set later)
               match.confidence, len(rivals), sid,  # confidence, alternatives, source
               c.line, c.row, c.duration,  # line, row, duration
               sk.offset_s if sk else None, sk.calls if sk else None,  # skew_s, skew_calls
               c.attest, c.origid, c.verstat,  # attest, origid, verstat
               [c] + rivals[:MAX_CANDIDATES - 1] if rivals else [c],  # candidates
               list(match.notes) if match.notes else [],  # notes
               None, None, None,  # traceback_agrees, traceback_upstream, traceback_status
               c.calling_key, c.called_key,  # the record's own numbers
               c.pp_orig, c.pp_dest, c.pp_iat_us, c.pp_x5u)  # its PASSporT


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


def _compare_traceback(view: CaseView, result: TraceResult, tb: Traceback) -> None:
    canonical = view._canonical.__getitem__  # view.canonical, without its Python call
    records: dict[str, TracebackHop] = {}  # the record's first hop naming each provider
    for h in tb.hops:
        name = canonical(h.provider)
        if name not in records:
            records[name] = h
    for hop in result.hops:
        rec = records.get(hop.provider)
        if rec is None:
            continue
        hop.traceback_status = rec.status
        hop.traceback_upstream = rec.upstream
        if not hop.found:
            hop.traceback_agrees = None
            continue
        said = canonical(rec.upstream) if rec.upstream else None
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
