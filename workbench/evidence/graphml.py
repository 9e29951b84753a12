"""chain.graphml: the chain as a directed graph (call flow, upstream → downstream).

Node and edge attributes are plain strings and numbers so Gephi and Cytoscape read
them; missing values are left out rather than written as empty strings.
"""
from __future__ import annotations

import io

import networkx as nx

from .model import PacketView


def chain_graph(view: PacketView) -> nx.DiGraph:
    g = nx.DiGraph(name=f"Traceback chain — {view.case_name}", outcome=view.outcome,
                   call_at_utc=view.call.get("at_utc") or "",
                   calling=view.call.get("calling") or "", called=view.call.get("called") or "")
    for hop in view.hops:
        d = hop.data
        _node(g, hop.provider, kind=hop.kind, role=d.get("role"), role_label=hop.label,
              colour=hop.colour, hop=hop.n, found=bool(d.get("found")),
              start_utc=d.get("start"), start_corrected_utc=d.get("start_corrected"),
              offset_s=d.get("offset_s"), confidence=d.get("confidence"),
              evidence=hop.evidence,
              attest=d["shaken"].get("attest"), origid=d["shaken"].get("origid"),
              verstat=d["shaken"].get("verstat"),
              traceback_status=d.get("traceback_status"))
    for down, up in zip(view.hops, view.hops[1:]):
        d = down.data
        _edge(g, up.provider, down.provider, hop=down.n, ingress=d.get("ingress"),
              offset_s=d.get("offset_s"), confidence=d.get("confidence"),
              evidence=down.evidence if d.get("line") else None,
              traceback_agrees=d.get("traceback_agrees"))
    if view.hops:
        first = view.hops[-1]
        if view.origin and view.origin.get("customer"):
            cust = f"customer: {view.origin['customer']}"
            _node(g, cust, kind="customer", role_label="Customer of the originating provider")
            _edge(g, cust, first.provider, hop=first.n, ingress=first.data.get("ingress"),
                  offset_s=first.data.get("offset_s"), confidence=first.data.get("confidence"))
        called = f"called party {view.call.get('called')}"
        _node(g, called, kind="called", role_label="Called party")
        _edge(g, view.hops[0].provider, called, hop=0)
    return g


def _clean(attrs: dict) -> dict:
    out = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[k] = v if isinstance(v, (bool, int, float)) else str(v)
    return out


def _node(g: nx.DiGraph, name: str, **attrs) -> None:
    g.add_node(name, label=name, **_clean(attrs))


def _edge(g: nx.DiGraph, a: str, b: str, **attrs) -> None:
    g.add_edge(a, b, **_clean(attrs))


def graphml_bytes(view: PacketView) -> bytes:
    buf = io.BytesIO()
    nx.write_graphml(chain_graph(view), buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()
