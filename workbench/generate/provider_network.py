"""A campaign-size provider network, generated: the traceback chains of many campaigns across
a thousand fictional providers, for the network view's benchmark and tests.

Shaped like the real thing: a few large terminating carriers receive most complaints, calls
cross one to three transits (a few hubs carry much of the traffic), often a gateway, and end
at an originator. Each campaign has its own originators and the gateways and transits it
favours, so choke points exist and campaigns form clusters.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.trace.network import Chain, ProviderNetwork, network_from_chains

CAMPAIGNS = ("Auto warranty", "Student loans", "Medicare braces", "Social Security suspension",
             "Amazon order", "Utility disconnect", "Tax relief", "Health insurance",
             "Credit card APR", "Package delivery", "Vacation prize", "Bank fraud alert")
_ROLE_SHARE = {"terminating": 0.12, "transit": 0.43, "gateway": 0.13, "origin": 0.32}
_FIRST = ("North", "South", "Blue", "Red", "Iron", "Silver", "Harbor", "Prairie", "Summit",
          "Cedar", "Granite", "Lake", "River", "Canyon", "Pine", "Maple", "Coastal", "Metro",
          "Union", "Liberty", "Pioneer", "Atlas", "Beacon", "Crescent", "Falcon", "Eagle",
          "Orion", "Polar", "Quarry", "Ridge", "Sable", "Tidal", "Vista", "Willow", "Zenith",
          "Amber", "Birch", "Copper", "Delta", "Ember")
_SECOND = ("Gate", "Line", "Link", "Wave", "Point", "Bridge", "Path", "Stream", "Reach",
           "Field", "Port", "Crest", "Way", "Star", "Peak", "Bay", "Core", "Net", "Span",
           "Works", "Hub", "Trail", "Cross", "Run", "Mark")
_KIND = {"terminating": ("Wireless", "Mobile", "Telephone Co", "Cellular"),
         "transit": ("Transit", "Carrier Services", "Telecom", "Networks", "Exchange"),
         "gateway": ("Gateway LLC", "International", "Global Voice", "Interconnect"),
         "origin": ("VoIP LLC", "Voice Co", "Cloud Telecom", "Dialer Services", "SIP Inc")}


@dataclass
class GeneratedNetwork:
    """Chains, CDR hand-offs and provider facts, as ``network_from_chains`` takes them."""

    chains: dict[str, Chain]
    calls: list[tuple[str, str, int]]
    with_records: list[str]
    foreign: set[str]
    roles: dict[str, str]

    def network(self, layout: str = "layered", campaign: str | None = None) -> ProviderNetwork:
        return network_from_chains(self.chains, campaign=campaign, calls=self.calls,
                                   with_records=self.with_records,
                                   foreign=self.foreign.__contains__, layout=layout)


def provider_names(n: int, rng: np.random.Generator) -> dict[str, list[str]]:
    """``n`` distinct fictional provider names, by role."""
    out: dict[str, list[str]] = {}
    used: set[str] = set()
    counts = {r: max(1, int(round(n * s))) for r, s in _ROLE_SHARE.items()}
    counts["origin"] = n - sum(v for r, v in counts.items() if r != "origin")
    for role, k in counts.items():
        names: list[str] = []
        while len(names) < k:
            name = (f"{_FIRST[rng.integers(len(_FIRST))]}{_SECOND[rng.integers(len(_SECOND))]} "
                    f"{_KIND[role][rng.integers(len(_KIND[role]))]}")
            if name in used:
                name = f"{name} {len(used) % 97 + 2}"
            if name not in used:
                used.add(name)
                names.append(name)
        out[role] = names
    return out


def generate_network(providers: int = 1000, handoffs: int = 5000, seed: int = 11,
                     campaigns: int = len(CAMPAIGNS)) -> GeneratedNetwork:
    """Chains across ``providers`` providers until they name ``handoffs`` distinct hand-offs;
    every provider appears in at least one chain."""
    rng = np.random.default_rng(seed)
    by_role = provider_names(providers, rng)
    weights = {r: _zipf(len(v), rng) for r, v in by_role.items()}
    plans = [_campaign_plan(by_role, rng) for _ in range(campaigns)]
    pending = {r: list(rng.permutation(len(v))) for r, v in by_role.items()}
    chains: dict[str, Chain] = {}
    edges: set[tuple[str, str]] = set()
    while len(edges) < handoffs:
        j = int(rng.integers(campaigns))
        route = _route(by_role, weights, plans[j], pending, rng)
        chain = Chain(f"tb:GEN-{len(chains) + 1:05d}", campaign=CAMPAIGNS[j % len(CAMPAIGNS)],
                      terminating={route[0]})
        for down, up in zip(route, route[1:]):
            chain.pairs.add((up, down))
        chain.pairs.add(("", route[-1]))
        chains[chain.key] = chain
        edges.update(p for p in chain.pairs if p[0])
    roles = {n: r for r, names in by_role.items() for n in names}
    with_records = by_role["terminating"][:60] + by_role["transit"][:40]
    calls = [(up, down, int(rng.lognormal(6, 1.5))) for up, down in sorted(edges)
             if down in set(with_records)]
    foreign = {n for n in by_role["gateway"] + by_role["origin"] if rng.random() < 0.2}
    return GeneratedNetwork(chains, calls, with_records, foreign, roles)


def _zipf(k: int, rng: np.random.Generator) -> np.ndarray:
    """Popularity of ``k`` providers of a role: a few hubs, a long tail."""
    w = 1.0 / np.arange(1, k + 1) ** 0.9
    w = w[rng.permutation(k)]
    out: np.ndarray = w / w.sum()
    return out


def _campaign_plan(by_role: dict[str, list[str]], rng: np.random.Generator) -> dict[str, list[str]]:
    """The originators, gateways and transits a campaign favours."""
    pick = {"origin": 8, "gateway": 2, "transit": 3}
    plan = {r: [by_role[r][i] for i in rng.choice(len(by_role[r]), k, replace=False)]
            for r, k in pick.items()}
    plan["choke_share"] = [str(rng.choice([0.0, 0.55, 0.7]))]
    return plan


def _one(role: str, by_role: dict[str, list[str]], weights: dict[str, np.ndarray],
         pending: dict[str, list[int]], rng: np.random.Generator,
         favoured: list[str] | None = None, share: float = 0.0) -> str:
    """A provider of ``role``: one not met yet first, then a favoured one or a popular one."""
    if pending[role]:
        return by_role[role][pending[role].pop()]
    if favoured and rng.random() < share:
        return favoured[int(rng.integers(len(favoured)))]
    return by_role[role][int(rng.choice(len(by_role[role]), p=weights[role]))]


def _route(by_role: dict[str, list[str]], weights: dict[str, np.ndarray],
           plan: dict[str, list[str]], pending: dict[str, list[int]],
           rng: np.random.Generator) -> list[str]:
    """One call's providers, terminating provider first, originator last, no repeats."""
    route = [_one("terminating", by_role, weights, pending, rng)]
    if rng.random() < float(plan["choke_share"][0]):  # the campaign's favourite wholesale route
        route.append(plan["transit"][0])
    for k in range(int(rng.integers(1, 4))):
        route.append(_one("transit", by_role, weights, pending, rng, plan["transit"],
                          0.6 if k == 0 else 0.3))
    if rng.random() < 0.8:
        route.append(_one("gateway", by_role, weights, pending, rng, plan["gateway"], 0.7))
    route.append(_one("origin", by_role, weights, pending, rng, plan["origin"], 0.85))
    return list(dict.fromkeys(route))
