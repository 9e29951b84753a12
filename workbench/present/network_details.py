"""The details of one provider of a network, for the panel beside the drawing: how often it
appears, who hands it calls and whom it hands them to, its campaigns and its roles.

Roles come from the provider's dossier (``analytics.dossier``) when one is given, so the
network panel and the Providers dock say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.analytics.dossier import Dossier
from workbench.trace.network import ProviderNetwork


@dataclass
class Link:
    """A neighbour across one hand-off: chains (tracebacks/traces) and CDR calls across it."""

    name: str
    chains: int
    calls: int


@dataclass
class ProviderDetails:
    name: str
    appearances: int
    upstreams: list[Link]  # hand calls to it, most chains first
    downstreams: list[Link]  # take calls from it
    campaigns: list[tuple[str, int, int, int]]  # (campaign, chains, choke chains, size)
    roles: dict[str, int] = field(default_factory=dict)  # from its dossier; {} without one
    has_records: bool = False
    foreign: bool = False
    repeat_upstream: int = 0  # chains naming it as upstream
    concerns: list[str] = field(default_factory=list)


def provider_details(net: ProviderNetwork, name: str,
                     dossier: Dossier | None = None) -> ProviderDetails | None:
    """What the panel shows for ``name``; None when the network does not hold it."""
    i = net.index(name)
    if i is None:
        return None
    e = net.edges

    def links(mask: np.ndarray, end: int) -> list[Link]:
        ks = np.flatnonzero(mask)
        out = [Link(net.names[int(e[k, end])], int(net.edge_chains[k]), int(net.edge_calls[k]))
               for k in ks.tolist()]
        return sorted(out, key=lambda lk: (-lk.chains, -lk.calls, lk.name))

    ups = links(e[:, 1] == i, 0) if len(e) else []
    downs = links(e[:, 0] == i, 1) if len(e) else []
    camps: list[tuple[str, int, int, int]] = []
    if net.node_campaigns.size:
        for j in np.flatnonzero(net.node_campaigns[i]).tolist():
            camps.append((net.campaigns[j], int(net.node_campaigns[i, j]),
                          int(net.choke_chains[i, j]), int(net.campaign_sizes[j])))
        camps.sort(key=lambda c: (-c[1], c[0]))
    return ProviderDetails(
        name=name, appearances=int(net.appearances[i]), upstreams=ups, downstreams=downs,
        campaigns=camps, roles=dict(dossier.roles) if dossier is not None else {},
        has_records=bool(net.has_records[i]), foreign=bool(net.foreign[i]),
        repeat_upstream=int(net.upstream_count[i]),
        concerns=list(dossier.concerns) if dossier is not None else [])


def search(names: list[str], text: str) -> list[int]:
    """Indices of the providers whose name contains ``text`` (case and spacing ignored):
    exact name first, then names starting with it, then the rest, each alphabetical."""
    want = " ".join(text.split()).casefold()
    if not want:
        return []
    folded = [" ".join(n.split()).casefold() for n in names]
    hits = [i for i, f in enumerate(folded) if want in f]
    return sorted(hits, key=lambda i: (folded[i] != want, not folded[i].startswith(want),
                                       folded[i]))
