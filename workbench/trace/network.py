"""The provider network of a case: who handed calls to whom, how often, and where.

Built from the traceback records, the traces run so far and the hand-offs the
CDRs show (ingress ids mapped to upstreams). Returned as numpy arrays a plot can
draw directly: node positions, an adjacency list, sizes and emphasis flags.
Calls flow from the upstream (left) to the downstream provider (right).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from workbench.case.model import Case
from workbench.common.errors import InputError
from workbench.ingest.tracebacks import Traceback
from workbench.trace.network_layout import positions
from workbench.trace.results import TraceResult

REPEAT_MIN = 2  # named as upstream in this many distinct tracebacks: a repeat upstream
CHOKE_SHARE = 0.5  # a choke point carries at least this share of a campaign's chains
CHOKE_MIN = 2  # ... and at least this many of them: one chain shows no convergence
TOOLTIP_CAMPAIGNS = 6  # campaigns named in a provider's tooltip, the largest share first


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
    campaigns: list[str] = field(default_factory=list)  # every campaign of the case, largest first
    campaign: str | None = None  # the one campaign shown; None: all
    campaign_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (k,)
    node_campaigns: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    """(n, k) int: chains of campaign j the provider appears in (any position)."""
    edge_campaign: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    """(m,) int: the campaign with most chains across the hand-off; -1 for CDR-only ones."""
    choke_chains: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int64))
    """(n, k) int: chains of campaign j passing the provider where it is a choke point, else 0."""
    _where: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

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

    @property
    def choke(self) -> np.ndarray:
        """(n,) bool: a choke point of at least one campaign shown."""
        if not self.choke_chains.size:
            return np.zeros(len(self.names), bool)
        return np.asarray((self.choke_chains > 0).any(axis=1), dtype=bool)

    @property
    def node_campaign(self) -> np.ndarray:
        """(n,) int: the campaign with most chains through the provider; -1 for none."""
        if not self.node_campaigns.size:
            return np.full(len(self.names), -1, np.int64)
        best: np.ndarray = np.where(self.node_campaigns.max(axis=1) > 0,
                                    self.node_campaigns.argmax(axis=1), -1)
        return best

    def index(self, name: str) -> int | None:
        if len(self._where) != len(self.names):
            self._where.clear()
            self._where.update((n, i) for i, n in enumerate(self.names))
        return self._where.get(name)

    def choke_words(self, i: int, short: bool = False) -> str:
        """Why node ``i`` is a choke point ("" if it is none); ``short`` for a graph label."""
        if not self.choke_chains.size:
            return ""
        where = np.flatnonzero(self.choke_chains[i])
        if not len(where):
            return ""
        if len(where) > 1:
            return f"choke ×{len(where)} campaigns" if short else \
                f"choke point of {len(where)} campaigns"
        j = int(where[0])
        n, total = int(self.choke_chains[i, j]), int(self.campaign_sizes[j])
        return f"choke {n}/{total}" if short else f"choke point: {n} of {total} chains"

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
        if self.node_campaigns.size:
            member = np.flatnonzero(self.node_campaigns[i])
            ranked = member[np.argsort(-self.node_campaigns[i, member], kind="stable")]
            for j in ranked[:TOOLTIP_CAMPAIGNS]:
                n_choke = int(self.choke_chains[i, j])
                lines.append(f"campaign {self.campaigns[j]}: {int(self.node_campaigns[i, j])} "
                             "chain(s)" + (f" — choke point ({n_choke} of "
                                           f"{int(self.campaign_sizes[j])} pass it)"
                                           if n_choke else ""))
            if len(ranked) > TOOLTIP_CAMPAIGNS:
                lines.append(f"… and {len(ranked) - TOOLTIP_CAMPAIGNS} more campaign(s)")
        return "\n".join(lines)


@dataclass
class Chain:
    """One traced call as the network sees it: hand-offs from its record and its trace."""

    key: str  # "tb:<traceback id>" or "call:<calling>><called>@<µs>"
    pairs: set[tuple[str, str]] = field(default_factory=set)  # (upstream, downstream); "" origin
    terminating: set[str] = field(default_factory=set)  # first hop of its record and trace
    campaign: str | None = None  # None: a trace of a call with no traceback record

    @property
    def passes(self) -> set[str]:
        """Providers the call passed upstream of the terminating provider (choke candidates)."""
        return {n for pair in self.pairs for n in pair if n} - self.terminating


def _traceback_pairs(tb: Traceback, canon: Callable[[str], str]) -> set[tuple[str, str]]:
    """Hand-offs (upstream, downstream) a traceback record names; "" upstream at the origin."""
    return {(canon(h.upstream), canon(h.provider)) if h.upstream and h.status != "originator"
            else ("", canon(h.provider)) for h in tb.hops}


def record_origin(tb: Traceback, canon: Callable[[str], str]) -> tuple[str, str | None] | None:
    """(originating provider, customer named) of a record whose chain reached its originator.

    The originator's answer names its customer in the ``upstream`` column."""
    for h in reversed(tb.hops):
        if h.status == "originator":
            customer = " ".join((h.upstream or "").split()) or None
            return canon(h.provider), customer
    return None


def origin_label(provider: str | None, customer: str | None) -> str:
    """The name of a group of records with no campaign: where their calls started."""
    if provider is None:
        return "origin: unknown"
    return f"origin: {provider} / {customer or 'customer not named'}"


def traceback_campaigns(case: Case) -> dict[str, str]:
    """The campaign of each traceback record, by id.

    The campaign field as written; a record without one is grouped by its origin
    ("origin: Provider / Customer", from the record alone, so a group does not change name
    when a trace is run), or under "origin: unknown" when the record never reached an
    originator. Names that differ only in case or spacing are one campaign, named as first
    written."""
    canon = cached_canonical(case)
    spelled: dict[str, str] = {}
    out: dict[str, str] = {}
    for tb in case.tracebacks:
        name = " ".join((tb.campaign or "").split())
        if not name:
            origin = record_origin(tb, canon)
            name = origin_label(*(origin or (None, None)))
        out[tb.traceback_id] = spelled.setdefault(name.casefold(), name)
    return out


def cached_canonical(case: Case) -> Callable[[str], str]:
    """``case.directory.canonical`` remembered per name: records repeat a few names often."""
    known: dict[str, str] = {}

    def canon(name: str) -> str:
        got = known.get(name)
        if got is None:
            got = known[name] = case.directory.canonical(name)
        return got
    return canon


def result_key(r: TraceResult) -> str:
    """The chain key of a trace: its traceback record's, or the call's."""
    return f"tb:{r.traceback_id}" if r.traceback_id else f"call:{r.calling}>{r.called}@{r.at_us}"


def case_chains(case: Case, results: Iterable[TraceResult] = (),
                logged: Mapping[str, Sequence[tuple[str, str | None]]] | None = None
                ) -> dict[str, Chain]:
    """Every traced call of the case: traceback records, the traces given, and (``logged``,
    by traceback id) the hops (provider, upstream) of traces kept elsewhere, e.g. the audit
    trail."""
    canon = cached_canonical(case)
    labels = traceback_campaigns(case)
    out: dict[str, Chain] = {}
    for tb in case.tracebacks:
        c = out.setdefault(f"tb:{tb.traceback_id}",
                           Chain(f"tb:{tb.traceback_id}", campaign=labels[tb.traceback_id]))
        c.pairs.update(_traceback_pairs(tb, canon))
        if tb.hops:
            c.terminating.add(canon(tb.hops[0].provider))
    traced = [(result_key(r), [(h.provider, h.upstream) for h in r.hops]) for r in results]
    traced += [(f"tb:{tid}", list(hops)) for tid, hops in (logged or {}).items()]
    for key, hops in traced:
        c = out.setdefault(key, Chain(key))
        c.pairs.update((up or "", down) for down, up in hops)
        if hops:
            c.terminating.add(hops[0][0])
    return out


def chains(case: Case,
           results: Iterable[TraceResult] = ()) -> dict[str, list[tuple[str, str]]]:
    """Hand-offs (upstream, downstream) per traced call, keyed by traceback id or call."""
    return {k: sorted(c.pairs) for k, c in case_chains(case, results).items()}


def traceback_counts(case: Case) -> dict[str, int]:
    """How many traceback records name each provider, as a hop or as a hop's upstream."""
    counts: dict[str, int] = {}
    for tb in case.tracebacks:
        for name in {n for pair in _traceback_pairs(tb, case.directory.canonical)
                     for n in pair if n}:
            counts[name] = counts.get(name, 0) + 1
    return counts


def choke_points(chains_of_campaign: Sequence[Chain]) -> list[tuple[str, int]]:
    """(provider, chains) for the providers most of a campaign's chains pass through.

    A choke point is a provider upstream of the terminating provider in at least half of the
    campaign's chains, and in at least two: cutting the campaign off there stops most of it.
    The terminating provider of a chain does not count for that chain: it is where the call
    was sampled (whose subscriber complained), not a route the campaign chose. Most chains
    first, then by name."""
    counts: dict[str, int] = {}
    for c in chains_of_campaign:
        for name in c.passes:
            counts[name] = counts.get(name, 0) + 1
    need = max(CHOKE_MIN, math.ceil(CHOKE_SHARE * len(chains_of_campaign)))
    return sorted(((n, k) for n, k in counts.items() if k >= need), key=lambda p: (-p[1], p[0]))


def campaign_sizes(chains_by_key: Mapping[str, Chain]) -> dict[str, int]:
    """Chains per campaign, the largest campaign first (then by name)."""
    sizes: dict[str, int] = {}
    for c in chains_by_key.values():
        if c.campaign is not None:
            sizes[c.campaign] = sizes.get(c.campaign, 0) + 1
    return {n: sizes[n] for n in sorted(sizes, key=lambda n: (-sizes[n], n))}


def build_network(case: Case, results: Iterable[TraceResult] = (), *, layout: str = "layered",
                  seed: int = 7, campaign: str | None = None) -> ProviderNetwork:
    """The network of every provider met in the case, laid out for drawing.

    With ``campaign``, only the chains of that campaign (see ``traceback_campaigns``): its
    providers and hand-offs, widened by the calls the CDRs show across those hand-offs."""
    every = case_chains(case, results)
    labels = list(campaign_sizes(every))
    if campaign is not None and campaign not in labels:
        known = ", ".join(labels[:10]) or "none"
        raise InputError(f"no campaign '{campaign}' in this case (known: {known})",
                         file=str(case.config.file), field="campaign")
    canon = case.directory.canonical
    # hand-offs the CDRs show, counted in calls: one batched store call for every source
    counts = case.store.ingress_counts([src.id for src in case.sources])
    calls: list[tuple[str, str, int]] = []
    for src in case.sources:
        down = canon(src.provider)
        for value, n in counts.get(src.id, ()):
            upstream, _ = case.upstream_of(src, value)
            if upstream is not None:
                calls.append((upstream, down, n))
    with_records = case.providers_with_records()
    return network_from_chains(every, campaign=campaign, calls=calls, with_records=with_records,
                               foreign=lambda name: is_foreign(case, name), layout=layout,
                               seed=seed)


def network_from_chains(every: Mapping[str, Chain], *, campaign: str | None = None,
                        calls: Iterable[tuple[str, str, int]] = (),
                        with_records: Sequence[str] = (),
                        foreign: Callable[[str], bool] = lambda name: False,
                        layout: str = "layered", seed: int = 7) -> ProviderNetwork:
    """The network of the given chains (all, or one ``campaign``'s), the providers with
    records (all shown) and the CDR hand-offs ``calls`` (upstream, downstream, calls).

    Apart from a case so a generated campaign-size network is built the same way."""
    g = nx.DiGraph()
    sizes = campaign_sizes(every)
    labels = list(sizes)
    shown = {k: c for k, c in every.items() if campaign is None or c.campaign == campaign}
    if campaign is None:
        g.add_nodes_from(with_records)
    appear: dict[str, set[str]] = {}
    named_up: dict[str, set[str]] = {}
    for key, c in shown.items():
        for up, down in sorted(c.pairs):
            g.add_node(down)
            appear.setdefault(down, set()).add(key)
            if up:
                g.add_node(up)
                appear.setdefault(up, set()).add(key)
                named_up.setdefault(up, set()).add(key)
                _edge(g, up, down)["chains"].add(key)
    for up, down, n in calls:
        if campaign is None or g.has_edge(up, down):
            _edge(g, up, down)["calls"] += n
    names = sorted(g.nodes)
    idx = {n: i for i, n in enumerate(names)}
    edge_list = list(g.edges(data=True))
    edges = np.array([(idx[u], idx[v]) for u, v, _ in edge_list], dtype=np.int64).reshape(-1, 2)
    records = set(with_records)
    pos = positions(len(names), edges, layout, seed)
    node_c, edge_c, choke = _campaign_arrays(shown, labels, names, idx, edge_list)
    return ProviderNetwork(
        names=names, pos=pos, edges=edges,
        appearances=np.array([len(appear.get(n, ())) for n in names], dtype=np.int64),
        edge_calls=np.array([d["calls"] for _, _, d in edge_list], dtype=np.int64),
        edge_chains=np.array([len(d["chains"]) for _, _, d in edge_list], dtype=np.int64),
        upstream_count=np.array([len(named_up.get(n, ())) for n in names], dtype=np.int64),
        has_records=np.array([n in records for n in names], dtype=bool),
        foreign=np.array([foreign(n) for n in names], dtype=bool), graph=g, campaigns=labels,
        campaign=campaign,
        campaign_sizes=np.array(list(sizes.values()), dtype=np.int64).reshape(-1),
        node_campaigns=node_c, edge_campaign=edge_c, choke_chains=choke)


def _campaign_arrays(shown: Mapping[str, Chain], labels: list[str], names: list[str],
                     idx: Mapping[str, int], edge_list: list[tuple[str, str, dict[str, Any]]]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per node and campaign: chains through it and choke-point chains; per edge: the campaign
    with most chains across it."""
    col = {lab: j for j, lab in enumerate(labels)}
    node_c = np.zeros((len(names), len(labels)), np.int64)
    by_campaign: dict[str, list[Chain]] = {}
    for key, c in shown.items():
        if c.campaign is None:
            continue
        by_campaign.setdefault(c.campaign, []).append(c)
        members = {n for pair in c.pairs for n in pair if n}
        node_c[[idx[n] for n in members], col[c.campaign]] += 1
    choke = np.zeros_like(node_c)
    for lab, cs in by_campaign.items():
        for name, k in choke_points(cs):
            choke[idx[name], col[lab]] = k
    edge_c = np.full(len(edge_list), -1, np.int64)
    for k, (_, _, d) in enumerate(edge_list):
        per = [col[lab] for lab in (shown[key].campaign for key in d["chains"])
               if lab is not None]
        if per:
            tally = np.bincount(per, minlength=len(labels))
            edge_c[k] = int(tally.argmax())  # ties: the larger campaign (lower index)
    return node_c, edge_c, choke


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
