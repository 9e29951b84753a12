"""Campaigns: traceback records grouped by campaign, with how they ended, where the calls
started and which providers most of their chains pass through.

One traced call stands for a campaign of millions (traceback.md §2), so the campaign, not
the single traceback, is what an investigator acts on: its origins say whom to stop, its
choke points say where blocking would cut most of it off. Grouping, choke points and the
"origin: Provider / Customer" names of records without a campaign come from
``workbench.trace.network``, so the network view and this report always agree.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.case.audit import read_audit
from workbench.case.model import Case
from workbench.columns.times import NAT
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.ingest.tracebacks import Traceback
from workbench.trace.network import (
    Chain,
    cached_canonical,
    case_chains,
    choke_points,
    record_origin,
    traceback_campaigns,
)
from workbench.trace.results import TraceResult

#: What a record's last answer says about how its chain ended (when no trace was run).
RECORD_OUTCOMES = {"originator": "origin", "foreign_point_of_entry": "foreign_point_of_entry",
                   "not_found": "not_found", "no_response": "no_response",
                   "refused": "refused", "pending": "pending"}


@dataclass(frozen=True)
class OriginCount:
    provider: str
    customer: str | None  # None: the originator's answer names no customer
    tracebacks: int


@dataclass(frozen=True)
class ChokePoint:
    provider: str
    tracebacks: int  # chains of the campaign passing it, upstream of the terminating provider
    share: float  # of the campaign's tracebacks


@dataclass
class Campaign:
    """One campaign: its traceback records and what they add up to."""

    name: str
    traceback_ids: list[str]
    outcomes: dict[str, int]  # most frequent first
    traced: int  # records whose outcome comes from a trace run in the case
    origins: list[OriginCount]  # most tracebacks first
    without_origin: int  # records whose origin neither the record nor a trace names
    choke_points: list[ChokePoint]
    first_call_us: int = NAT  # UTC µs; NAT when no record gives a call time
    last_call_us: int = NAT
    terminating: list[str] = field(default_factory=list)  # where its calls were sampled

    @property
    def tracebacks(self) -> int:
        return len(self.traceback_ids)

    @property
    def basis(self) -> str:
        """Where the outcomes come from: "traces", "records" or "traces and records"."""
        if self.traced == 0:
            return "records"
        return "traces" if self.traced == self.tracebacks else "traces and records"


@dataclass(frozen=True)
class _Traced:
    """The latest trace of one traceback record, from this session or the audit trail."""

    outcome: str
    origin: tuple[str, str] | None
    hops: list[tuple[str, str | None]]  # (provider, upstream), terminating first


def campaigns(case: Case, *, results: Iterable[TraceResult] = (),
              audit_entries: Sequence[Mapping[str, Any]] | None = None,
              progress: ProgressFn = no_progress,
              should_stop: StopFn = never_stop) -> list[Campaign]:
    """The case's campaigns, the largest first.

    Outcomes and origins come from the latest trace of each record when one was run (the
    ``results`` given, else the audit trail's trace entries; ``audit_entries=None`` reads the
    case's log, ``[]`` ignores it), else from the record's own answers. Traces of calls with
    no traceback record belong to no campaign."""
    progress(0.0, "grouping traceback records by campaign")
    results = [r for r in results if r.traceback_id]
    traced = _latest_traces(results, read_audit(case.root) if audit_entries is None
                            else audit_entries)
    check(should_stop)
    labels = traceback_campaigns(case)
    session = {r.traceback_id for r in results}  # their hops, not an older trace's, count
    logged = {tid: t.hops for tid, t in traced.items() if tid not in session}
    chains = case_chains(case, results, logged)
    records = case.tracebacks
    names = sorted(set(labels.values()))
    code = {n: i for i, n in enumerate(names)}
    camp = np.array([code[labels[tb.traceback_id]] for tb in records], dtype=np.int64)
    times = np.array([tb.call_time_us for tb in records], dtype=np.int64)
    canon = cached_canonical(case)
    outcome, origin, from_trace = [], [], []
    for tb in records:
        t = traced.get(tb.traceback_id)
        outcome.append(t.outcome if t else record_outcome(tb, canon))
        found = t.origin if t and t.origin else record_origin(tb, canon)
        origin.append(found)
        from_trace.append(t is not None)
    check(should_stop)
    progress(0.5, "counting outcomes, origins and choke points")
    traced_flags = np.array(from_trace, dtype=bool)
    out = [_campaign(names[j], [records[i] for i in rows], [outcome[i] for i in rows],
                     [origin[i] for i in rows], int(np.count_nonzero(traced_flags[rows])),
                     times[rows], [chains[f"tb:{records[i].traceback_id}"] for i in rows])
           for j, rows in _groups(camp, len(names))]
    out.sort(key=lambda c: (-c.tracebacks, c.name))
    progress(1.0, f"{len(out)} campaign(s)")
    return out


def record_outcome(tb: Traceback, canon: Callable[[str], str]) -> str:
    """How a record's chain ended, from its last answer: "origin", "no_response", ...; "loop"
    when the last upstream named is already in the chain, "open" when it is not asked yet."""
    if not tb.hops:
        return "unknown"
    last = tb.hops[-1]
    if last.status in RECORD_OUTCOMES:
        return RECORD_OUTCOMES[last.status]
    if not last.upstream:
        return "unknown"
    seen = {canon(h.provider) for h in tb.hops}
    return "loop" if canon(last.upstream) in seen else "open"


def _groups(codes: np.ndarray, n: int) -> list[tuple[int, np.ndarray]]:
    """(code, row indexes in input order) for each code present."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n + 1))
    return [(j, order[bounds[j]:bounds[j + 1]]) for j in range(n) if bounds[j + 1] > bounds[j]]


def _campaign(name: str, records: list[Traceback], outcomes: list[str],
              origins: list[tuple[str, str | None] | None], traced: int, times: np.ndarray,
              chains: Sequence[Chain]) -> Campaign:
    known = times[times != NAT]
    total = len(records)
    return Campaign(
        name=name, traceback_ids=[tb.traceback_id for tb in records],
        outcomes=_ranked(outcomes), traced=traced, origins=_origins(origins),
        without_origin=sum(o is None for o in origins),
        choke_points=[ChokePoint(p, k, k / total) for p, k in choke_points(chains)],
        first_call_us=int(known.min()) if len(known) else NAT,
        last_call_us=int(known.max()) if len(known) else NAT,
        terminating=sorted({t for c in chains for t in c.terminating}))


def _ranked(values: list[str]) -> dict[str, int]:
    names, counts = np.unique(np.array(values, dtype=object), return_counts=True)
    order = sorted(range(len(names)), key=lambda i: (-counts[i], names[i]))
    return {str(names[i]): int(counts[i]) for i in order}


def _origins(origins: list[tuple[str, str | None] | None]) -> list[OriginCount]:
    """Tracebacks per (provider, customer); customers that differ only in case or spacing
    are one, named as first written."""
    counts: dict[tuple[str, str], int] = {}
    spelled: dict[tuple[str, str], str | None] = {}
    for o in origins:
        if o is None:
            continue
        provider, customer = o
        key = (provider, " ".join((customer or "").split()).casefold())
        counts[key] = counts.get(key, 0) + 1
        spelled.setdefault(key, customer)
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [OriginCount(k[0], spelled[k], counts[k]) for k in ranked]


def _latest_traces(results: Iterable[TraceResult],
                   entries: Sequence[Mapping[str, Any]]) -> dict[str, _Traced]:
    """The latest trace of each traceback record: the audit trail's, overridden by the
    session's own results (later ones win in both)."""
    out: dict[str, _Traced] = {}
    for e in entries:
        d = e.get("details") if e.get("action") == "trace" else None
        if not isinstance(d, Mapping) or not d.get("traceback") or not d.get("outcome"):
            continue
        hops = [h for h in d.get("hops") or () if isinstance(h, Mapping) and h.get("provider")]
        ends = [h for h in hops if h.get("customer")]
        origin = ((str(ends[-1]["provider"]), str(ends[-1]["customer"]))
                  if d["outcome"] == "origin" and ends else None)
        out[str(d["traceback"])] = _Traced(
            str(d["outcome"]), origin,
            [(str(h["provider"]), h.get("upstream") or None) for h in hops])
    for r in results:
        if r.traceback_id:
            out[r.traceback_id] = _Traced(
                str(r.outcome), (r.origin.provider, r.origin.customer) if r.origin else None,
                [(h.provider, h.upstream) for h in r.hops])
    return out
