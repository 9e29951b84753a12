"""Clock skew: each source's constant offset, from calls seen on both sides of a hand-off.

For a source A and an upstream B it names, the calls A received from B and
the calls in B's file are paired on (calling, called) where the pair occurs
exactly once on each side (``CdrStore.pair_offsets``). The densest two-minute
window of their offsets (robust against coincidental pairs and retries) gives
A-minus-B; a weighted least-squares solve turns the pairwise offsets into one
offset per source, centred so that the median source is the reference clock.
Whole-hour offsets (a file in the wrong zone) come out the same way.

A switch that logs answer time instead of the INVITE is a clock offset plus a ring
time that varies per call. Where the other side of a hand-off records when its calls
were answered, the two are estimated apart: the answer times give the clock, and the
start offsets minus the clock give the answer basis (the median ring time,
``Skew.answer_lag_s``), which then also comes off this switch's other hand-offs. Where
no neighbour records answer times the two stay folded in one offset, as before.

CDR rows are reached only through ``case.store``; sources are keyed by ``SourceId``.
This module keeps no memo and takes no lock: remembering the estimate between calls,
and across threads, is the investigation's job. The on-disk cache below is keyed by
the sources' hashes and settings, so concurrent estimates of one case write the same
entry (atomically).
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from workbench.case.model import Case
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.store import cache
from workbench.store.protocol import SourceId
from workbench.trace.results import Skew

MAX_OFFSET_S = 26 * 3600  # beyond a day and a zone, two records are not the same call
WINDOW_S = 120.0
MIN_CALLS = 2
CLUSTER_S = 3.0  # clocks within this of each other agree
_CACHE_FORMAT = 4  # 4: answer basis estimated apart from the clock (answer_lag_s)

#: A pairwise estimate between two sources, by position in the case: (a, b, A minus B, calls).
Edge = tuple[int, int, float, int]


def densest(off: np.ndarray) -> tuple[float, int]:
    """Median of the offsets inside the two-minute window holding the most of them."""
    off = np.sort(off)
    j = np.searchsorted(off, off + WINDOW_S, "right")
    counts = j - np.arange(len(off))
    i = int(np.argmax(counts))
    inside = off[i:j[i]]
    return float(np.median(inside)), int(len(inside))


def estimate_skew(case: Case, *, progress: ProgressFn = no_progress,
                  should_stop: StopFn = never_stop) -> dict[SourceId, Skew]:
    """Offset of every source of ``case`` (SourceId -> Skew, in case order), cached on disk
    by the sources' hashes and settings."""
    ids = [s.id for s in case.sources]
    key = _cache_key(case)
    hit = _from_cache(cache.load_json(f"skew-{key}"), ids)
    if hit is not None:
        return hit
    pos = {sid: i for i, sid in enumerate(ids)}
    answer = [case.store.summary(s.id).time_basis == "answer" for s in case.sources]
    edges: list[Edge] = []
    folded: list[Edge] = []  # edges whose offset still holds an answer-time switch's ring
    lags: dict[int, list[tuple[float, int]]] = {}
    n_src = len(case.sources)
    for ai, a in enumerate(case.sources):
        check(should_stop)
        progress(ai / max(n_src, 1), f"clock skew: {a.provider}")
        by_up: dict[str, list[str]] = {}
        for ingress, up in a.config.upstreams.items():
            by_up.setdefault(case.directory.canonical(up), []).append(ingress)
        for up, ingresses in by_up.items():
            for b in case.sources_of(up):
                off = case.store.pair_offsets(a.id, ingresses, b.id, MAX_OFFSET_S)
                if len(off) == 0:
                    continue
                offset, calls = densest(off)
                if calls < MIN_CALLS:
                    continue
                edge = (ai, pos[b.id], offset, calls)
                if answer[ai] == answer[edge[1]]:  # both or neither fold a ring time
                    edges.append(edge)
                    continue
                clock = _answer_clock(case, a.id, ingresses, b.id, answer[ai])
                if clock is None:
                    folded.append(edge)
                    continue
                x, sign = (ai, 1.0) if answer[ai] else (edge[1], -1.0)
                lags.setdefault(x, []).append((sign * (offset - clock[0]), clock[1]))
                edges.append((ai, edge[1], clock[0], clock[1]))
    lag = {x: _weighted_median(v) for x, v in lags.items()}
    edges += [_unfold(e, answer, lag) for e in folded]
    result = _solve(case, edges, lag)
    cache.store_json(f"skew-{key}", {"format": _CACHE_FORMAT,
                                     "sources": [v.to_dict() for v in result.values()]})
    progress(1.0, "clock skew estimated")
    return result


def _from_cache(hit: dict[str, Any] | None, ids: list[SourceId]) -> dict[SourceId, Skew] | None:
    """A cached estimate, if it is one of this format and lists exactly these sources."""
    if not isinstance(hit, dict) or hit.get("format") != _CACHE_FORMAT:
        return None
    try:
        skews = [Skew(**v) for v in hit["sources"]]
    except (KeyError, TypeError):
        return None
    if [SourceId(s.provider, s.path) for s in skews] != ids:
        return None
    return dict(zip(ids, skews))


def _answer_clock(case: Case, a: SourceId, ingresses: list[str], b: SourceId,
                  a_logs_answer: bool) -> tuple[float, int] | None:
    """A-minus-B clock offset from answer times (the answer-time switch's logged time against
    the other side's answer column) and the calls it rests on; None when too few calls
    carry an answer time on the other side."""
    # the join runs in the store, as the start-time one does: a lake's columns never come
    # whole to this process
    times = ("start", "answer") if a_logs_answer else ("answer", "start")
    off = case.store.pair_offsets(a, ingresses, b, MAX_OFFSET_S, times=times)
    if len(off) < MIN_CALLS:
        return None
    clock, calls = densest(off)
    return (clock, calls) if calls >= MIN_CALLS else None


def _weighted_median(values: list[tuple[float, int]]) -> float:
    v = sorted(values)
    total, acc = sum(w for _, w in v), 0
    for x, w in v:
        acc += w
        if acc * 2 >= total:
            return x
    return v[-1][0]


def _unfold(edge: Edge, answer: list[bool], lag: dict[int, float]) -> Edge:
    """A start-time edge of an answer-time switch, its ring time taken off where the switch's
    answer basis is known from another hand-off (else left folded)."""
    a, b, off, calls = edge
    if answer[a] and a in lag:
        return (a, b, off - lag[a], calls)
    if answer[b] and b in lag:
        return (a, b, off + lag[b], calls)
    return edge


def _solve(case: Case, edges: list[Edge],
           lag: dict[int, float] | None = None) -> dict[SourceId, Skew]:
    """One offset per source from the pairwise estimates, component by component."""
    n = len(case.sources)
    by_pos: dict[int, Skew] = {}
    adj: dict[int, list[int]] = {i: [] for i in range(n)}
    for a, b, _, _ in edges:
        adj[a].append(b)
        adj[b].append(a)
    seen: set[int] = set()
    for start in range(n):
        if start in seen:
            continue
        comp, stack = [], [start]
        seen.add(start)
        while stack:
            v = stack.pop()
            comp.append(v)
            for w in adj[v]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        comp_edges = [e for e in edges if e[0] in comp]
        x = _least_squares(comp, comp_edges, _trust(case, comp))
        calls = {i: 0 for i in comp}
        against: dict[int, list[str]] = {i: [] for i in comp}
        for a, b, _, c in comp_edges:
            calls[a] += c
            calls[b] += c
            against[a].append(case.sources[b].provider)
            against[b].append(case.sources[a].provider)
        for i in comp:
            s = case.sources[i]
            basis = "estimated" if comp_edges else "insufficient"
            off = x[i]
            if s.config.skew_s is not None:
                off, basis = float(s.config.skew_s), "manual"
            lag_i = (lag or {}).get(i) if basis == "estimated" else None
            by_pos[i] = Skew(s.provider, s.config.path, round(float(off), 3), int(calls[i]),
                             basis, sorted(set(against[i])),
                             None if lag_i is None else round(float(lag_i), 3))
    return {case.sources[i].id: by_pos[i] for i in range(n)}


def _trust(case: Case, comp: list[int]) -> dict[int, float]:
    """How much a source's clock deserves to be the reference: files whose times carry their
    own zone (offsets, Z, epochs) are trusted over wall times read in a declared zone, and an
    answer-time switch is never the reference if another clock is available."""
    out = {}
    for i in comp:
        sm = case.store.summary(case.sources[i].id)
        zoned = sm.zoned_rows >= max(1, sm.rows // 2)
        out[i] = (2.0 if zoned else 1.0) * (0.25 if sm.time_basis == "answer" else 1.0)
    return out


def _least_squares(comp: list[int], edges: list[Edge],
                   trust: dict[int, float]) -> dict[int, float]:
    """Offsets of ``comp``'s members that best explain ``edges`` (weighted by the square
    root of their calls), shifted so that the ``_reference`` clock reads 0."""
    if not edges:
        return {i: 0.0 for i in comp}
    pos = {v: k for k, v in enumerate(comp)}
    rows, rhs, w = [], [], []
    for a, b, off, c in edges:
        r = np.zeros(len(comp))
        r[pos[a]], r[pos[b]] = 1.0, -1.0
        rows.append(r)
        rhs.append(off)
        w.append(np.sqrt(c))
    anchor = np.zeros(len(comp))
    anchor[0] = 1.0
    A = np.vstack(rows + [anchor]) * np.array(w + [1.0])[:, None]
    y = np.array(rhs + [0.0]) * np.array(w + [1.0])
    sol, *_ = np.linalg.lstsq(A, y, rcond=None)
    ref = _reference(sol, np.array([trust[v] for v in comp]))
    return {v: float(sol[pos[v]] - ref) for v in comp}


def _reference(x: np.ndarray, trust: np.ndarray) -> float:
    """The clock that agrees with the most trusted weight of other clocks (within
    CLUSTER_S) is the reference: one skewed or wrong-zone clock is then the one that moves."""
    best, best_w = 0.0, -1.0
    for xi in x:
        member = np.abs(x - xi) <= CLUSTER_S
        w = float(trust[member].sum())
        centre = float(np.median(x[member & (trust >= trust[member].max())]))
        if w > best_w + 1e-9 or (abs(w - best_w) <= 1e-9 and abs(centre) < abs(best)):
            best, best_w = centre, w
    return best


def _cache_key(case: Case) -> str:
    from workbench.store.source import cache_params
    parts: list[object] = [(s.sha256, s.provider, s.config.path,
                             cache_params(s.config, s.format, case.config.default_country),
                             sorted(s.config.upstreams.items()), s.config.skew_s)
                            for s in case.sources]
    parts.append(sorted((p.name, tuple(p.aliases)) for p in case.config.providers))
    return hashlib.sha256(json.dumps([parts, cache.CACHE_VERSION, _CACHE_FORMAT], default=str)
                          .encode()).hexdigest()[:24]
