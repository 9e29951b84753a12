"""Which providers of a network to show: minimum appearances, the neighbourhood of a provider,
and the neighbourhoods the user expanded or collapsed, as an analyst does in i2 or Maltego.

The filtered network is a smaller ``ProviderNetwork`` laid out afresh, so a provider's
neighbours sit next to it instead of across a thousand-node drawing.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from workbench.trace.network import ProviderNetwork
from workbench.trace.network_layout import positions


@dataclass(frozen=True)
class NetworkFilter:
    """What the user asked to see. ``steps``: ("expand" | "collapse", provider) in the order
    the user gave them, so a later expand undoes an earlier collapse."""

    min_appearances: int = 0
    focus: str | None = None  # show only providers within ``hops`` of it
    hops: int = 0  # 0: no neighbourhood filter
    steps: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return bool(self.min_appearances > 1 or (self.focus and self.hops) or self.steps)

    def with_step(self, kind: str, name: str) -> NetworkFilter:
        kept = tuple(s for s in self.steps if s[1] != name)  # the last word on a node counts
        return replace(self, steps=kept + ((kind, name),))


def neighbours(net: ProviderNetwork, i: int) -> np.ndarray:
    """Indices of the providers handing calls to ``i`` or taking calls from it."""
    e = net.edges
    if not len(e):
        return np.zeros(0, np.int64)
    out: np.ndarray = np.unique(np.concatenate([e[e[:, 1] == i, 0], e[e[:, 0] == i, 1]]))
    return out


def within(net: ProviderNetwork, i: int, hops: int) -> np.ndarray:
    """(n,) bool: providers at most ``hops`` hand-offs from ``i``, either direction."""
    seen = np.zeros(len(net.names), bool)
    seen[i] = True
    frontier = np.array([i])
    e = net.edges
    for _ in range(hops):
        if not len(frontier) or not len(e):
            break
        near = np.concatenate([e[np.isin(e[:, 1], frontier), 0], e[np.isin(e[:, 0], frontier), 1]])
        frontier = np.unique(near[~seen[near]])
        seen[frontier] = True
    return seen


def visible(net: ProviderNetwork, flt: NetworkFilter) -> np.ndarray:
    """(n,) bool: the providers ``flt`` shows."""
    keep = net.appearances >= flt.min_appearances
    focus = net.index(flt.focus) if flt.focus else None
    if focus is not None and flt.hops > 0:
        keep &= within(net, focus, flt.hops)
        keep[focus] = True
    for kind, name in flt.steps:
        i = net.index(name)
        if i is None:
            continue
        near = neighbours(net, i)
        if kind == "expand":
            keep[i] = True
            keep[near] = True
        elif kind == "collapse":  # hide neighbours that hang on this provider alone
            keep[[j for j in near.tolist() if j != focus and _only_link(net, j, i, keep)]] = False
    return keep


def _only_link(net: ProviderNetwork, j: int, i: int, keep: np.ndarray) -> bool:
    """Whether ``i`` is the only shown provider ``j`` is linked to."""
    near = neighbours(net, j)
    return not np.any(keep[near[near != i]])


def hidden_neighbours(net: ProviderNetwork, keep: np.ndarray) -> np.ndarray:
    """(n,) int: per provider, how many of its neighbours the filter hides (a "+k" badge)."""
    e = net.edges
    if not len(e):
        return np.zeros(len(net.names), np.int64)
    out: np.ndarray = (np.bincount(e[~keep[e[:, 1]], 0], minlength=len(keep))
                       + np.bincount(e[~keep[e[:, 0]], 1], minlength=len(keep)))
    return out


def subnetwork(net: ProviderNetwork, keep: np.ndarray, layout: str = "layered",
               seed: int = 7) -> ProviderNetwork:
    """The providers ``keep`` marks and the hand-offs between them, laid out afresh."""
    idx = np.flatnonzero(keep)
    if len(idx) == len(net.names):
        return net
    new = np.full(len(net.names), -1, np.int64)
    new[idx] = np.arange(len(idx))
    both = keep[net.edges[:, 0]] & keep[net.edges[:, 1]] if len(net.edges) \
        else np.zeros(0, bool)
    edges = new[net.edges[both]].reshape(-1, 2)
    names = [net.names[i] for i in idx.tolist()]
    graph = nx.DiGraph(net.graph.subgraph(names))
    return replace(
        net, names=names, pos=positions(len(names), edges, layout, seed), edges=edges,
        appearances=net.appearances[idx], edge_calls=net.edge_calls[both],
        edge_chains=net.edge_chains[both], upstream_count=net.upstream_count[idx],
        has_records=net.has_records[idx], foreign=net.foreign[idx], graph=graph,
        node_campaigns=net.node_campaigns[idx] if net.node_campaigns.size else net.node_campaigns,
        edge_campaign=net.edge_campaign[both] if net.edge_campaign.size else net.edge_campaign,
        choke_chains=net.choke_chains[idx] if net.choke_chains.size else net.choke_chains)
