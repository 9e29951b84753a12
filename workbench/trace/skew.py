"""Clock skew: each source's constant offset, from calls seen on both sides of a hand-off.

For a source A and an upstream B it names, the calls A received from B and
the calls in B's file are paired on (calling, called) where the pair occurs
exactly once on each side. The densest two-minute window of their offsets
(robust against coincidental pairs and retries) gives A-minus-B; a weighted
least-squares solve turns the pairwise offsets into one offset per source,
centred so that the median source is the reference clock. Whole-hour offsets
(a file in the wrong zone) and answer-time logging (a few seconds late) come
out the same way.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.columns.times import NAT, US
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.store import cache

MAX_OFFSET_S = 26 * 3600  # beyond a day and a zone, two records are not the same call
WINDOW_S = 120.0
MIN_CALLS = 2
CLUSTER_S = 3.0  # clocks within this of each other agree


@dataclass
class Skew:
    provider: str
    path: str
    offset_s: float
    calls: int
    basis: str  # "estimated" | "manual" | "reference" | "insufficient"
    against: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def pair_offset(a_rows: pd.DataFrame, b_rows: pd.DataFrame) -> tuple[float, int] | None:
    """Median offset (s) of A minus B over unique shared pairs, in the densest window."""
    a = _unique_pairs(a_rows)
    b = _unique_pairs(b_rows)
    if a.empty or b.empty:
        return None
    m = a.merge(b, on=["calling_key", "called_key"], suffixes=("_a", "_b"))
    if m.empty:
        return None
    off = (m["start_a"].to_numpy() - m["start_b"].to_numpy()) / US
    off = off[np.abs(off) <= MAX_OFFSET_S]
    if len(off) == 0:
        return None
    return densest(off)


def densest(off: np.ndarray) -> tuple[float, int]:
    """Median of the offsets inside the two-minute window holding the most of them."""
    off = np.sort(off)
    j = np.searchsorted(off, off + WINDOW_S, "right")
    counts = j - np.arange(len(off))
    i = int(np.argmax(counts))
    inside = off[i:j[i]]
    return float(np.median(inside)), int(len(inside))


def _unique_pairs(df: pd.DataFrame) -> pd.DataFrame:
    df = df[(df["calling_key"] >= 0) & (df["called_key"] >= 0) & (df["start"] != NAT)]
    counts = df.groupby(["calling_key", "called_key"], sort=False)["start"].transform("size")
    return df.loc[counts == 1, ["calling_key", "called_key", "start"]]


def estimate_skew(case, *, progress: ProgressFn = no_progress,
                  should_stop: StopFn = never_stop) -> dict[int, Skew]:
    """Offset of every source of ``case`` (index -> Skew), cached by the sources' hashes."""
    key = _cache_key(case)
    hit = cache.load_json(f"skew-{key}")
    if hit is not None:
        return {int(k): Skew(**v) for k, v in hit.items()}
    frames = {}

    def frame(i: int) -> pd.DataFrame:
        if i not in frames:
            s = case.sources[i]
            ingress = s.table.column("ingress")
            frames[i] = pd.DataFrame({"calling_key": s.col("calling_key"),
                                      "called_key": s.col("called_key"), "start": s.col("start"),
                                      "ingress": ingress.cast(pa.string()).to_pandas()
                                      if ingress.null_count < len(ingress) else None})
        return frames[i]

    edges: list[tuple[int, int, float, int]] = []
    n_src = len(case.sources)
    for ai, a in enumerate(case.sources):
        check(should_stop)
        progress(ai / max(n_src, 1), f"clock skew: {a.provider}")
        by_up: dict[str, list[str]] = {}
        for ingress, up in a.config.upstreams.items():
            by_up.setdefault(case.directory.canonical(up), []).append(ingress)
        for up, ingresses in by_up.items():
            for b in case.sources_of(up):
                bi = case.sources.index(b)
                fa = frame(ai)
                rows = fa[fa["ingress"].isin(ingresses)]
                res = pair_offset(rows, frame(bi))
                if res and res[1] >= MIN_CALLS:
                    edges.append((ai, bi, res[0], res[1]))
    result = _solve(case, edges)
    cache.store_json(f"skew-{key}", {str(k): v.to_dict() for k, v in result.items()})
    progress(1.0, "clock skew estimated")
    return result


def _solve(case, edges) -> dict[int, Skew]:
    n = len(case.sources)
    out: dict[int, Skew] = {}
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
            out[i] = Skew(s.provider, s.config.path, round(float(off), 3), int(calls[i]), basis,
                          sorted(set(against[i])))
    return out


def _trust(case, comp: list[int]) -> dict[int, float]:
    """How much a source's clock deserves to be the reference: files whose times carry their
    own zone (offsets, Z, epochs) are trusted over wall times read in a declared zone, and an
    answer-time switch is never the reference if another clock is available."""
    out = {}
    for i in comp:
        sm = case.sources[i].summary
        zoned = sm.zoned_rows >= max(1, sm.rows // 2)
        out[i] = (2.0 if zoned else 1.0) * (0.25 if sm.time_basis == "answer" else 1.0)
    return out


def _least_squares(comp: list[int], edges, trust: dict[int, float]) -> dict[int, float]:
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


def _cache_key(case) -> str:
    from workbench.store.source import cache_params
    parts = [(s.sha256, s.config.path, cache_params(s.config, s.format, case.config.default_country),
              sorted(s.config.upstreams.items()), s.config.skew_s)
             for s in case.sources]
    parts.append(sorted((p.name, tuple(p.aliases)) for p in case.config.providers))
    return hashlib.sha256(json.dumps([parts, cache.CACHE_VERSION, 2], default=str)
                          .encode()).hexdigest()[:24]
