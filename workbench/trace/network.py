"""The provider network of a case: who handed calls to whom, how often, and where.

Built from the traceback records, the traces run so far and the hand-offs the
CDRs show (ingress ids mapped to upstreams). Returned as numpy arrays a plot can
draw directly: node positions, an adjacency list, sizes and emphasis flags.
Calls flow from the upstream (left) to the downstream provider (right).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from workbench.case.model import Case
from workbench.ingest.tracebacks import Traceback
from workbench.trace.results import TraceResult

REPEAT_MIN = 2  # named as upstream in this many distinct tracebacks: a repeat upstream


@dataclass
class ProviderNetwork:
    names: list[str]
    pos: np.ndarray  # (n, 2) float, x from origins (0) to terminating (1)
    edges: np.ndarray  # (m, 2) int: (upstream index, downstream index)
    appearances: np.ndarray  # (n,) int: tracebacks/traces the provider appears in
    edge_calls: np.ndarray  # (m,) int: CDR rows across the hand-off
    edge_chains: np.ndarray  # (m,) int: tracebacks/traces crossing the hand-off
    upstream_count: np.ndarray  # (n,) int: distinct chains naming it as upstream
    has_records: np.ndarray  # (n,) bool: the case holds its CDRs
    foreign: np.ndarray  # (n,) bool
    graph: nx.DiGraph = field(repr=False, default_factory=nx.DiGraph)

    @property
    def repeat_upstream(self) -> np.ndarray:
        return self.upstream_count >= REPEAT_MIN

    @property
    def edge_repeat(self) -> np.ndarray:
        if not len(self.edges):
            return np.zeros(0, bool)
        repeat: np.ndarray = (self.repeat_upstream[self.edges[:, 0]]
                              & (self.edge_chains >= REPEAT_MIN))
        return repeat

    def index(self, name: str) -> int | None:
        try:
            return self.names.index(name)
        except ValueError:
            return None

    def describe(self, i: int) -> str:
        """A tooltip for node ``i`` in plain words."""
        g = self.graph
        name = self.names[i]
        ups = sorted(g.predecessors(name))
        downs = sorted(g.successors(name))
        lines = [name, f"in {int(self.appearances[i])} traceback(s)/trace(s)"]
        if self.upstream_count[i]:
            lines.append(f"named as upstream in {int(self.upstream_count[i])} chain(s)"
                         + (" — repeat upstream" if self.repeat_upstream[i] else ""))
        lines.append("CDRs in this case" if self.has_records[i] else "no CDRs in this case")
        if ups:
            lines.append("receives from: " + ", ".join(ups))
        if downs:
            lines.append("hands to: " + ", ".join(downs))
        return "\n".join(lines)


def _traceback_pairs(tb: Traceback, canon: Callable[[str], str]) -> set[tuple[str, str]]:
    """Hand-offs (upstream, downstream) a traceback record names; "" upstream at the origin."""
    return {(canon(h.upstream), canon(h.provider)) if h.upstream and h.status != "originator"
            else ("", canon(h.provider)) for h in tb.hops}


def chains(case: Case,
           results: Iterable[TraceResult] = ()) -> dict[str, list[tuple[str, str]]]:
    """Hand-offs (upstream, downstream) per traced call, keyed by traceback id or call."""
    canon = case.directory.canonical
    out: dict[str, set[tuple[str, str]]] = {}
    for tb in case.tracebacks:
        out.setdefault(f"tb:{tb.traceback_id}", set()).update(_traceback_pairs(tb, canon))
    for r in results:
        key = f"tb:{r.traceback_id}" if r.traceback_id else f"call:{r.calling}>{r.called}@{r.at_us}"
        s = out.setdefault(key, set())
        for h in r.hops:
            s.add((h.upstream or "", h.provider))
    return {k: sorted(v) for k, v in out.items()}


def traceback_counts(case: Case) -> dict[str, int]:
    """How many traceback records name each provider, as a hop or as a hop's upstream."""
    counts: dict[str, int] = {}
    for tb in case.tracebacks:
        for name in {n for pair in _traceback_pairs(tb, case.directory.canonical)
                     for n in pair if n}:
            counts[name] = counts.get(name, 0) + 1
    return counts


def build_network(case: Case, results: Iterable[TraceResult] = (), *, layout: str = "layered",
                  seed: int = 7) -> ProviderNetwork:
    """The network of every provider met in the case, laid out for drawing."""
    g = nx.DiGraph()
    canon = case.directory.canonical
    for name in case.providers_with_records():
        g.add_node(name)
    appear: dict[str, set[str]] = {}
    named_up: dict[str, set[str]] = {}
    for key, pairs in chains(case, results).items():
        for up, down in pairs:
            g.add_node(down)
            appear.setdefault(down, set()).add(key)
            if up:
                g.add_node(up)
                appear.setdefault(up, set()).add(key)
                named_up.setdefault(up, set()).add(key)
                _edge(g, up, down)["chains"].add(key)
    # hand-offs the CDRs show, counted in calls: one batched store call for every source
    counts = case.store.ingress_counts([src.id for src in case.sources])
    for src in case.sources:
        down = canon(src.provider)
        for value, n in counts.get(src.id, ()):
            upstream, _ = case.upstream_of(src, value)
            if upstream is not None:
                _edge(g, upstream, down)["calls"] += n
    names = sorted(g.nodes)
    idx = {n: i for i, n in enumerate(names)}
    edge_list = list(g.edges(data=True))
    edges = np.array([(idx[u], idx[v]) for u, v, _ in edge_list], dtype=np.int64).reshape(-1, 2)
    with_records = set(case.providers_with_records())
    foreign = [is_foreign(case, n) for n in names]
    pos = positions(g, names, layout, seed)
    return ProviderNetwork(
        names=names, pos=pos, edges=edges,
        appearances=np.array([len(appear.get(n, ())) for n in names], dtype=np.int64),
        edge_calls=np.array([d["calls"] for _, _, d in edge_list], dtype=np.int64),
        edge_chains=np.array([len(d["chains"]) for _, _, d in edge_list], dtype=np.int64),
        upstream_count=np.array([len(named_up.get(n, ())) for n in names], dtype=np.int64),
        has_records=np.array([n in with_records for n in names], dtype=bool),
        foreign=np.array(foreign, dtype=bool), graph=g)


def is_foreign(case: Case, name: str) -> bool:
    """Whether the directory calls ``name`` foreign, or places it in a country other than
    the case's ``default_country``."""
    info = case.directory.info(name)
    if info is None:
        return False
    home = (case.config.default_country or "US").upper()
    return bool(info.foreign or (info.country and info.country.upper() != home))


def _edge(g: nx.DiGraph, up: str, down: str) -> dict[str, Any]:
    """The attributes of the hand-off ``up -> down``, added with no calls or chains if new."""
    if not g.has_edge(up, down):
        g.add_edge(up, down, calls=0, chains=set())
    attrs: dict[str, Any] = g.edges[up, down]  # the graph's own dict: callers update it
    return attrs


def positions(g: nx.DiGraph, names: list[str], layout: str = "layered",
              seed: int = 7) -> np.ndarray:
    """Node positions in [0, 1]²: layered by distance from the terminating side, or spring."""
    if not names:
        return np.zeros((0, 2))
    if layout == "spring":
        try:
            p = nx.spring_layout(g, seed=seed)
        except ImportError:  # the sparse solver needs scipy: fall back to a circle
            p = nx.circular_layout(g)
        xy = np.array([p[n] for n in names], dtype=float)
    else:
        xy = _layered(g, names)
    span = xy.max(axis=0) - xy.min(axis=0)
    span[span == 0] = 1.0
    scaled: np.ndarray = (xy - xy.min(axis=0)) / span
    return scaled


def _layered(g: nx.DiGraph, names: list[str]) -> np.ndarray:
    """Columns by hops upstream of a terminating provider; rows ordered to limit crossings."""
    sinks = [n for n in names if g.out_degree(n) == 0] or names[:1]
    depth: dict[str, int] = {s: 0 for s in sinks}
    frontier = list(sinks)
    while frontier:
        nxt = []
        for v in frontier:
            for u in g.predecessors(v):
                if u not in depth:
                    depth[u] = depth[v] + 1
                    nxt.append(u)
        frontier = nxt
    far = max(depth.values(), default=0) + 1
    for n in names:
        depth.setdefault(n, far)
    layers: dict[int, list[str]] = {}
    for n in names:
        layers.setdefault(depth[n], []).append(n)
    y: dict[str, float] = {}
    for d in sorted(layers):
        members = layers[d]

        def bary(n: str) -> float:
            near = [y[m] for m in list(g.successors(n)) + list(g.predecessors(n)) if m in y]
            return float(np.mean(near)) if near else 0.0
        members.sort(key=lambda n: (bary(n), n))
        k = len(members)
        for j, n in enumerate(members):
            y[n] = (j - (k - 1) / 2) / max(k - 1, 1)
    return np.array([(-depth[n], y[n]) for n in names], dtype=float)
