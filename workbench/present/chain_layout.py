"""Left-to-right layout of a traced chain: origin on the left, terminating provider right.

One node per provider of the chain, coloured by ``palette.hop_kind``; an edge per
hand-off labelled by ``ARROW_CONVENTION`` (the same on screen and in the packet). Rival
records that point to a different upstream become faint nodes above the chain,
so an ambiguous hop is never silently resolved on screen.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .palette import ROLE_LABELS, hop_kind

MAX_ALTERNATIVES = 2  # faint rival upstreams drawn per hop

#: How every chain drawing labels its arrows: on screen, in the packet's PNG/SVG and PDF.
ARROW_CONVENTION = ("an arrow into a provider carries that provider's own record of the call: "
                    "its time offset from the call, the match confidence and its rival records")
ARROW_LEGEND = "arrow into a provider: its own record's time offset · match confidence · rivals"


@dataclass
class ChainNode:
    label: str  # provider (or rival upstream) name
    kind: str  # palette key
    sub: str  # second line: role or outcome in words
    x: float
    y: float
    hop: int | None  # index into TraceResult.hops; None for a rival upstream
    faint: bool = False


@dataclass
class ChainEdge:
    src: int  # node index of the upstream end
    dst: int  # node index of the downstream end
    label: str
    faint: bool = False


@dataclass
class ChainLayout:
    nodes: list[ChainNode] = field(default_factory=list)
    edges: list[ChainEdge] = field(default_factory=list)

    @property
    def pos(self) -> np.ndarray:
        return np.array([(n.x, n.y) for n in self.nodes], dtype=float).reshape(-1, 2)

    @property
    def adjacency(self) -> np.ndarray:
        return np.array([(e.src, e.dst) for e in self.edges], dtype=np.int64).reshape(-1, 2)


def signed(x: float, digits: int = 1) -> str:
    """``+1.2`` / ``-0.4``, never ``-0.0``."""
    return f"{round(x, digits) + 0.0:+.{digits}f}"


def edge_label(hop) -> str:
    """How the record of the provider the arrow points to matched (``ARROW_CONVENTION``)."""
    if not hop.found:
        return "no matching record" if hop.source else "no CDRs in the case"
    parts = []
    if hop.offset_s is not None:
        parts.append(f"{signed(hop.offset_s)} s")
    if hop.confidence is not None:
        parts.append(f"conf {hop.confidence:.0%}")
    if hop.alternatives:
        parts.append(f"{hop.alternatives} rival" + ("s" if hop.alternatives > 1 else ""))
    return " · ".join(parts)


def node_sub(hop, kind: str, outcome: str, is_last: bool) -> str:
    words = ROLE_LABELS.get(kind, kind)
    if hop.customer:
        words += f"\ncustomer: {hop.customer}"
    elif is_last and outcome == "unmapped_ingress" and hop.ingress:
        words += f"\ningress {hop.ingress}"
    if hop.traceback_agrees is False:
        words += f"\n⚠ traceback record says: {hop.traceback_upstream}"
    return words


def layout_chain(result, case=None, *, revealed: int | None = None) -> ChainLayout:
    """Nodes and edges of ``result``'s chain; ``revealed`` limits it to the first N hops."""
    hops = result.hops if revealed is None else result.hops[:max(revealed, 0)]
    out = ChainLayout()
    shown = len(hops)
    full = len(result.hops)
    for i, hop in enumerate(hops):
        is_last = i == full - 1
        kind = hop_kind(hop, result.outcome, is_last)
        out.nodes.append(ChainNode(hop.provider, kind, node_sub(hop, kind, result.outcome, is_last),
                                   x=float(-i), y=0.0, hop=i))
    for i in range(1, shown):  # the arrow into hop i-1 carries hop i-1's own record
        out.edges.append(ChainEdge(src=i, dst=i - 1, label=edge_label(hops[i - 1])))
    if result.outcome == "origin" and shown == full and hops and hops[-1].customer:
        # the customer that placed the call, so the origin's record has its arrow too
        origin = hops[-1]
        out.nodes.append(ChainNode(origin.customer, "unknown", "customer: placed the call",
                                   x=float(-shown), y=0.0, hop=None))
        out.edges.append(ChainEdge(src=len(out.nodes) - 1, dst=shown - 1,
                                   label=edge_label(origin)))
    if result.outcome == "loop" and shown == full and result.loop_to:
        # the provider named again, drawn once more on the left so the chain stays a line
        out.nodes.append(ChainNode(result.loop_to, "unknown", "named again: a loop",
                                   x=float(-shown), y=0.0, hop=None))
        out.edges.append(ChainEdge(src=len(out.nodes) - 1, dst=shown - 1,
                                   label="loop", faint=True))
    if case is not None:
        for i, hop in enumerate(hops):
            _add_rivals(out, case, hop, i)
    return out


def _add_rivals(out: ChainLayout, case, hop, i: int) -> None:
    """Faint nodes for rival records of hop ``i`` whose ingress names another upstream."""
    chosen = _named(hop.upstream, hop.customer, hop.ingress)
    named = rival_upstreams(case, hop)
    level = 0
    for cand in hop.candidates[1:]:
        line = cand.line
        name = named.get(line)
        if name is None or name == chosen or any(n.label == name and n.faint and n.x == -i - 1
                                                  for n in out.nodes):
            continue
        level += 1
        if level > MAX_ALTERNATIVES:
            break
        when = f", {cand.offset_s:+.1f} s"
        out.nodes.append(ChainNode(name, "unknown", f"rival record: line {line}{when}"
                                   f"\nscore {cand.score:.2f}", x=float(-i - 1),
                                   y=float(level), hop=None, faint=True))
        out.edges.append(ChainEdge(src=len(out.nodes) - 1, dst=i, label="", faint=True))


def _named(upstream: str | None, customer: str | None, ingress: str | None) -> str | None:
    return upstream or (f"customer {customer}" if customer else
                        f"ingress {ingress}" if ingress else None)


def rival_upstreams(case, hop) -> dict[int, str | None]:
    """Line of each rival record of this hop -> the upstream (or customer) its ingress names.

    The candidates carry their own ingress (``Candidate.ingress``): no scan of the source
    and no store call, however many rows it holds. The first candidate of a line wins.
    """
    src = hop_source(case, hop)
    if src is None:
        return {}
    out: dict[int, str | None] = {}
    for c in hop.candidates[1:]:
        if c.line is None or int(c.line) in out:
            continue
        up, cust = case.upstream_of(src, c.ingress)
        out[int(c.line)] = _named(up, cust, c.ingress)
    return out


def hop_source(case, hop):
    """The case's CdrSource that holds ``hop``'s records (None if it has none)."""
    return case.find_source(hop.source)
