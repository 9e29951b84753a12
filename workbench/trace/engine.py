"""The trace engine: follow one call from the terminating provider to where it entered."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from workbench.case.model import Case
from workbench.columns.numbers import normalize_one
from workbench.columns.times import NAT, US, iso_utc, parse_one
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback
from workbench.store.source import CdrSource

from .match import Match, find_call

_ZONED = re.compile(r"(Z|z|[+-]\d{2}(:?\d{2})?)$")
RELIABLE_SKEW_CALLS = 5
OUTCOMES = ("origin", "no_records", "not_found", "unmapped_ingress", "loop")


@dataclass
class Hop:
    provider: str
    found: bool
    role: str = "transit"
    upstream: str | None = None
    customer: str | None = None
    ingress: str | None = None
    egress: str | None = None
    start_us: int = NAT
    corrected_us: int = NAT
    offset_s: float | None = None
    confidence: float | None = None
    alternatives: int = 0
    source: str | None = None
    line: int | None = None
    row: int | None = None
    duration: float | None = None
    skew_s: float | None = None
    skew_calls: int | None = None
    attest: str | None = None
    origid: str | None = None
    verstat: str | None = None
    candidates: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    traceback_agrees: bool | None = None
    traceback_upstream: str | None = None
    traceback_status: str | None = None

    def to_json(self, with_traceback: bool = False) -> dict:
        d = {"provider": self.provider, "found": self.found, "role": self.role,
             "upstream": self.upstream, "customer": self.customer, "ingress": self.ingress,
             "egress": self.egress,
             "start": iso_utc(self.start_us), "start_corrected": iso_utc(self.corrected_us),
             "offset_s": None if self.offset_s is None else round(self.offset_s, 3),
             "confidence": self.confidence, "alternatives": self.alternatives,
             "source": self.source, "line": self.line, "duration_s": self.duration,
             "skew_s": self.skew_s, "skew_calls": self.skew_calls,
             "shaken": {"attest": self.attest, "origid": self.origid, "verstat": self.verstat},
             "candidates": self.candidates, "notes": self.notes}
        if with_traceback:
            d["traceback_agrees"] = self.traceback_agrees
            if self.traceback_agrees is False:
                d["traceback_says"] = self.traceback_upstream
                d["cdr_says"] = self.upstream or self.customer
            d["traceback_status"] = self.traceback_status
        return d


@dataclass
class TraceResult:
    calling: str
    called: str
    at_us: int
    outcome: str
    hops: list[Hop]
    origin: dict | None
    skew: dict[str, dict]
    tolerance_s: float
    traceback_id: str | None = None
    unmapped_ingress: str | None = None
    loop_to: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        tb = self.traceback_id is not None
        d = {"call": {"calling": self.calling, "called": self.called, "at": iso_utc(self.at_us)},
             "outcome": self.outcome, "origin": self.origin,
             "hops": [h.to_json(tb) for h in self.hops], "skew": self.skew,
             "tolerance_s": self.tolerance_s, "notes": self.notes}
        if tb:
            d["traceback_id"] = self.traceback_id
        if self.unmapped_ingress is not None:
            d["unmapped_ingress"] = self.unmapped_ingress
        if self.loop_to is not None:
            d["loop_to"] = self.loop_to
        return d


def trace(case: Case, *, calling: str, called: str, at: str | int, tolerance_s: float | None = None,
          from_provider: str | None = None, traceback: Traceback | None = None) -> TraceResult:
    """Follow the call hop by hop; stops with exactly one outcome of ``OUTCOMES``."""
    country = case.config.default_country
    tol = float(tolerance_s if tolerance_s is not None else case.config.tolerance_s)
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
    skew = case.skew()
    skew_of = {id(case.sources[i]): s for i, s in skew.items()}

    def skew_s(src: CdrSource) -> float:
        s = skew_of.get(id(src))
        return s.offset_s if s else 0.0

    def reliable(src: CdrSource) -> bool:
        s = skew_of.get(id(src))
        return s is not None and (s.basis == "manual" or
                                  (s.basis == "estimated" and s.calls >= RELIABLE_SKEW_CALLS))

    first, first_match, first_src = _terminating(case, calling_key, called_key, at_us, tol,
                                                 from_provider, traceback, skew_s, reliable)
    result = TraceResult(calling_e164 or calling, called_e164, at_us, "not_found", [], None,
                         _skew_json(case, skew), tol,
                         traceback.traceback_id if traceback else None)
    provider, match, src = first, None, None
    # the reference time of the call: `at` is on the terminating provider's clock
    ref_us = at_ref = at_us - int(round(skew_s(first_src) * US)) if first_src else at_us
    prev_duration = prev_origid = None
    visited: list[str] = []
    while True:
        if provider in visited:
            result.outcome, result.loop_to = "loop", provider
            result.notes.append(f"{provider} would appear twice in the chain")
            break
        visited.append(provider)
        sources = case.sources_of(provider)
        if not sources:
            result.hops.append(Hop(provider, False, role=_role(case, provider, len(result.hops),
                                                              None, None),
                                   notes=["the case holds no CDRs from this provider: the next "
                                          "traceback request goes here"]))
            result.outcome = "no_records"
            break
        if match is None:
            match, src = _best_in(sources, calling_key, called_key, ref_us, tol, skew_s,
                                  prev_duration, prev_origid, reliable)
            if match.best is None and not result.hops and first_match is not None:
                match, src = first_match, first_src  # `at` was given on the reference clock
        if match.best is None:
            hop = Hop(provider, False, role=_role(case, provider, len(result.hops), None, None),
                      source=src.config.path if src else None, notes=list(match.notes))
            hop.notes.append(f"no record of {calling_e164} → {called_e164} within "
                             f"±{match.window_s:.0f} s after skew correction")
            if match.nearest_outside is not None:
                n = match.nearest_outside
                hop.notes.append(f"nearest record of this pair: line {n.line}, "
                                 f"{n.offset_s:+.0f} s from the expected time")
            result.hops.append(hop)
            result.outcome = "not_found"
            break
        hop = _hop_from(case, provider, src, match, skew, len(result.hops))
        result.hops.append(hop)
        if hop.customer is not None:
            result.outcome = "origin"
            result.origin = {"provider": provider, "customer": hop.customer}
            break
        if hop.upstream is None:
            result.outcome, result.unmapped_ingress = "unmapped_ingress", hop.ingress
            hop.notes.append(f"ingress '{hop.ingress}' is in neither [sources.upstreams] nor "
                             "[sources.customers]")
            break
        ref_us = match.best.corrected_us
        prev_duration, prev_origid = match.best.duration, match.best.origid or prev_origid
        provider, match, src = hop.upstream, None, None
    for h in result.hops:  # each hop's time relative to the call, on the reference clock
        if h.found and h.start_us != NAT:
            observed = h.start_us - int(round((h.skew_s or 0.0) * US))
            h.offset_s = round((observed - at_ref) / US, 3)
    if traceback is not None:
        _compare_traceback(case, result, traceback)
    return result


def trace_traceback(case: Case, traceback_id: str, *, tolerance_s: float | None = None,
                    from_provider: str | None = None) -> TraceResult:
    tb = case.traceback(traceback_id)
    if not tb.called or tb.call_time_us == NAT:
        raise InputError(f"traceback {traceback_id} lacks a called number or call time",
                         file=tb.source, field="called" if not tb.called else "call_time")
    return trace(case, calling=tb.calling or "", called=tb.called, at=tb.call_time_us,
                 tolerance_s=tolerance_s, from_provider=from_provider, traceback=tb)


def _terminating(case, calling_key, called_key, at_us, tol, from_provider, traceback, skew_s,
                 reliable):
    """The first hop: --from, else the holder of the call that no other holder names upstream."""
    if from_provider:
        name = case.directory.canonical(from_provider)
        sources = case.sources_of(name)
        if not sources:
            known = ", ".join(case.providers_with_records())
            raise InputError(f"no CDRs from provider '{from_provider}' in this case "
                             f"(providers with CDRs: {known})", field="from")
        m, src = _best_in(sources, calling_key, called_key, at_us, tol, lambda s: 0.0,
                          reliable=reliable)
        return name, m, src
    found: dict[str, tuple[Match, CdrSource]] = {}
    own_clock: set[str] = set()
    for name in case.providers_with_records():
        # `at` is this provider's own clock if it is the terminating one
        m, src = _best_in(case.sources_of(name), calling_key, called_key, at_us, tol,
                          lambda s: 0.0, reliable=lambda s: True)
        if m.best is not None:
            own_clock.add(name)
        else:  # or the reference clock, if its own clock is off
            m2, src2 = _best_in(case.sources_of(name), calling_key, called_key,
                                at_us, tol, skew_s, reliable=lambda s: True)
            if m2.best is not None:
                m, src = m2, src2
        if m.best is not None:
            found[name] = (m, src)
    named = set()
    for name, (m, src) in found.items():
        ingress = src.text("ingress", [m.best.row])[0]
        up, _ = case.upstream_of(src, ingress)
        if up:
            named.add(up)
    heads = [n for n in found if n not in named]
    if traceback is not None and traceback.hops:
        tb_first = case.directory.canonical(traceback.hops[0].provider)
        if tb_first in heads or (not heads and tb_first not in found):
            if tb_first in found:
                return tb_first, *found[tb_first]
            return tb_first, None, None
    if heads:  # a match on the provider's own clock beats one that needed skew correction
        heads.sort(key=lambda n: (n not in own_clock, abs(found[n][0].best.offset_s)))
        return heads[0], *found[heads[0]]
    if found:  # everyone is named by someone: a loop; start at the nearest record
        best = min(found, key=lambda n: abs(found[n][0].best.offset_s))
        return best, *found[best]
    if traceback is not None and traceback.hops:
        name = case.directory.canonical(traceback.hops[0].provider)
        return name, None, None
    first = case.providers_with_records()
    if not first:
        raise InputError("the case has no CDR sources", file=str(case.config.file))
    return first[0], None, None


def _best_in(sources, calling_key, called_key, ref_us, tol, skew_s, ref_duration=None,
             ref_origid=None, reliable=None) -> tuple[Match, CdrSource]:
    best: tuple[Match, CdrSource] | None = None
    for src in sources:
        m = find_call(src, calling_key=calling_key, called_key=called_key, at_us=ref_us,
                      skew_s=skew_s(src), tol_s=tol, ref_duration=ref_duration,
                      ref_origid=ref_origid,
                      allow_fallbacks=not (reliable(src) if reliable else False))
        if best is None or (m.best is not None and
                            (best[0].best is None or m.confidence > best[0].confidence)):
            best = (m, src)
    return best


def _hop_from(case: Case, provider: str, src: CdrSource, match: Match, skew: dict,
              index: int) -> Hop:
    c = match.best
    r = c.row
    ingress = src.text("ingress", [r])[0]
    upstream, customer = case.upstream_of(src, ingress)
    sk = skew.get(case.sources.index(src))
    hop = Hop(provider, True, role=_role(case, provider, index, upstream, customer),
              upstream=upstream, customer=customer, ingress=ingress,
              egress=src.text("egress", [r])[0], start_us=c.start_us, corrected_us=c.corrected_us,
              confidence=match.confidence, alternatives=len(match.alternatives),
              source=src.config.path, line=c.line, row=r, duration=c.duration,
              skew_s=sk.offset_s if sk else None, skew_calls=sk.calls if sk else None,
              attest=src.text("attest", [r])[0], origid=c.origid,
              verstat=src.text("verstat", [r])[0],
              candidates=[x.to_dict() for x in [c] + match.alternatives[:9]],
              notes=list(match.notes))
    return hop


def _role(case: Case, provider: str, index: int, upstream: str | None,
          customer: str | None) -> str:
    info = case.directory.info(provider)
    if index == 0:
        return "terminating" if customer is None else "terminating+originating"
    if customer is not None:
        return "originating"
    up = case.directory.info(upstream) if upstream else None
    if up is not None and (up.foreign or (up.country and up.country.upper() != "US")):
        return "gateway"
    if info is not None and info.role:
        return info.role
    if info is not None and (info.foreign or (info.country and info.country.upper() != "US")):
        return "foreign"
    return "transit" if upstream or customer else "unknown"


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
            hop.notes.append(f"traceback record says upstream '{rec.upstream}'; the CDRs show "
                             f"'{cdr}'")


def _skew_json(case: Case, skew: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i, s in skew.items():
        key = s.provider if s.provider not in out else f"{s.provider} ({s.path})"
        out[key] = {"offset_s": s.offset_s, "calls": s.calls, "basis": s.basis,
                    "source": s.path}
    return out
