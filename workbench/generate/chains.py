"""Training tracebacks: five kinds of chain, and the CDR rows of every call they trace.

Each kind has the CDR route its calls really take through the case's providers and what
each provider answers. The rotating-ANI customer's kind also carries that customer's whole
traffic (most of it never traced), so an analysis of Origin Voice Co's CDRs finds it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .clock import S, to_us
from .numberbook import NumberBook
from .rows import Rows, along
from .scenario import SCENARIO
from .sources import SOURCES
from .training import ROTATING, ROTATING_CAP, campaign_times, rotating_calling

SLOW = "Bluefin Networks"  # answers every traceback request, 25-60 h after it arrives
SILENT = "Prairie Exchange"  # notified, never answers
ROTATING_NAME = "Acme Vehicle Services LLC"
_T, _M, _L, _SP, _O = ("Terminus Wireless", "Midway Transit", "Lakeshore Carrier Services",
                       "Seaport Gateway LLC", "Origin Voice Co")
_UP = "upstream_identified"


@dataclass(frozen=True)
class Chain:
    """One kind of training traceback: the CDR route (terminating end first) and the answers."""

    key: str
    weight: float
    route: tuple[tuple[str, str], ...]  # (source key, ingress id as written)
    stated: tuple[tuple[str, str, str], ...]  # (provider, status, upstream or customer)
    foreign_share: float = 0.02  # calls showing a foreign calling number
    gateway_signs_c: bool = False

    @property
    def origin(self) -> tuple[str, str] | None:
        """(provider, customer) when the chain ends at an identified originator."""
        last = self.stated[-1]
        return (last[0], last[2]) if last[1] == "originator" else None


CHAINS = (
    Chain("rotating", .40,
          (("terminus", "MWT-01"), ("midway", "0417"), ("lakeshore", "SGW-A"),
           ("seaport", "000307"), ROTATING),
          ((_T, _UP, _M), (_M, _UP, _L), (_L, _UP, _SP), (_SP, _UP, _O),
           (_O, "originator", ROTATING_NAME))),
    Chain("foreign_entry", .15,
          (("terminus", "MWT-01"), ("midway", "0420"), ("seaport", "000412")),
          ((_T, _UP, _M), (_M, _UP, _SP), (_SP, "foreign_point_of_entry", "Gullwing Telecom Ltd"),
           ("Gullwing Telecom Ltd", "refused", "")), foreign_share=.5, gateway_signs_c=True),
    Chain("slow_responder", .15, (("terminus", "TG-BLUEFIN"),),
          ((_T, _UP, SLOW), (SLOW, _UP, "Cobalt Voice"),
           ("Cobalt Voice", "originator", "Sunrise Benefits Group LLC"))),
    Chain("silent_provider", .15,
          (("terminus", "MWT-01"), ("midway", "0417"), ("lakeshore", "PRX-22")),
          ((_T, _UP, _M), (_M, _UP, _L), (_L, _UP, SILENT), (SILENT, "no_response", ""))),
    Chain("harborline_entry", .15, (("terminus", "MWT-01"), ("midway", "0388")),
          ((_T, _UP, _M), (_M, _UP, "Harborline Networks"),
           ("Harborline Networks", "foreign_point_of_entry", "Marisol Telecom SA"),
           ("Marisol Telecom SA", "not_found", ""))),
)
#: A traced call must not fall in a provider's CDR outage (the sample's TB-26-0105 gap).
_OUTAGES = [(to_us(tb.gap[0]) - 120 * S, to_us(tb.gap[1]) + 120 * S) for tb in SCENARIO if tb.gap]


def chain_counts(total: int) -> np.ndarray:
    """Tracebacks per chain kind: the weights' shares, largest remainders first, >= 1 each."""
    w = np.array([c.weight for c in CHAINS])
    exact = w / w.sum() * total
    counts: np.ndarray = np.maximum(np.floor(exact).astype(np.int64), 1)
    while counts.sum() > total:  # the floor of one each overshot a small total
        counts[int(np.argmax(counts))] -= 1
    short = total - int(counts.sum())
    for i in np.argsort(-(exact - np.floor(exact)), kind="stable")[:short]:
        counts[i] += 1
    return counts


@dataclass
class Traced:
    """The calls the training tracebacks trace: chain kind, invite at the terminating
    provider (UTC µs), calling and called number indexes."""

    chain: np.ndarray
    invite: np.ndarray
    calling: np.ndarray
    called: np.ndarray
    rotating_calls: int = 0


def campaign_traffic(counts: np.ndarray, rows: int, book: NumberBook,
                     rng: np.random.Generator) -> tuple[dict[str, list[Rows]], Traced]:
    """CDR rows of every traced call along its route, plus the rotating customer's traffic."""
    parts: dict[str, list[Rows]] = {s.key: [] for s in SOURCES}
    traced: list[tuple[int, dict[str, np.ndarray]]] = []
    n_rot = 0
    for k, (chain, n) in enumerate(zip(CHAINS, counts)):
        if chain.key == "rotating":
            batches, picked = _rotating(int(n), rows, book, rng)
            n_rot = sum(len(b[2]["inv"]) for b in batches)
        else:
            batches, picked = [_ordinary(chain, int(n), book, rng)], None
        for keys, ids, calls, shared in batches:
            for key, part in along(keys, ids, calls, shared, rng).items():
                parts[key].append(part)
        calls, shared = batches[0][2], batches[0][3]
        sel = np.arange(len(calls["inv"])) if picked is None else picked
        traced.append((k, {"invite": calls["inv"][sel], "calling": shared["calling"][sel],
                           "called": shared["called"][sel]}))
    return parts, Traced(
        chain=np.concatenate([np.full(len(t["invite"]), k, np.int8) for k, t in traced]),
        invite=np.concatenate([t["invite"] for _, t in traced]),
        calling=np.concatenate([t["calling"] for _, t in traced]),
        called=np.concatenate([t["called"] for _, t in traced]), rotating_calls=n_rot)


Batch = tuple[list[str], list[np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]


def _batch(route: tuple[tuple[str, str], ...], calls: dict[str, np.ndarray],
           shared: dict[str, np.ndarray]) -> Batch:
    n = len(calls["inv"])
    return ([k for k, _ in route], [np.full(n, i) for _, i in route], calls, shared)


def _outside_outages(inv: np.ndarray) -> np.ndarray:
    for lo, hi in _OUTAGES:
        inv = np.where((inv >= lo) & (inv < hi), inv + (hi - lo) + 600 * S, inv)
    return inv


def _ordinary(chain: Chain, n: int, book: NumberBook, rng: np.random.Generator) -> Batch:
    """Answered calls along one chain's route, as a complainant would have received them."""
    foreign = rng.random(n) < chain.foreign_share
    calling = np.where(foreign, rng.choice(book.pool("foreign"), n),
                       rng.choice(book.pool("us"), n)).astype(np.int32)
    attest = (np.full(n, 3, np.int8) if chain.gateway_signs_c
              else rng.choice(4, n, p=[.2, .35, .25, .2]).astype(np.int8))
    calls: dict[str, np.ndarray] = {
        "inv": _outside_outages(campaign_times(n, rng)), "ring": rng.integers(3 * S, 12 * S, n),
        "dur": rng.integers(15_000, 95_000, n), "answered": np.ones(n, bool)}
    shared: dict[str, np.ndarray] = {
        "calling": calling, "called": rng.choice(book.pool("chicago"), n).astype(np.int32),
        "attest": attest, "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8)}
    return _batch(chain.route, calls, shared)


def _rotating(traced: int, rows: int, book: NumberBook,
              rng: np.random.Generator) -> tuple[list[Batch], np.ndarray]:
    """The rotating-ANI customer's calls: a share reaches Terminus through the whole case
    (the traced ones among them), the rest leaves through Seaport or straight out of Origin.
    Short, rarely answered, signed B or C, from a new calling number nearly every time."""
    n = min(ROTATING_CAP, max(rows // 20, 6 * traced, 300))
    n_full = min(n, max(math.ceil(1.3 * traced), int(.3 * n)))
    route = np.repeat(np.arange(3), [n_full, (n - n_full) // 2, n - n_full - (n - n_full) // 2])
    full = route == 0
    called = np.where(full, rng.choice(book.pool("chicago"), n),
                      rng.choice(book.pool("us"), n)).astype(np.int32)
    neighbour = rng.random(n) < np.where(full, .25, .5)
    calling = rotating_calling(called, neighbour, book, rng)
    answered = rng.random(n) < .12
    picked = np.sort(rng.choice(n_full, traced, replace=False))
    answered[picked] = True  # the complainants picked up and heard the message
    hangup = rng.random(n) < .65
    dur = np.where(hangup, rng.integers(1000, 5500, n),
                   np.clip(rng.lognormal(np.log(20_000), .6, n), 6000, 180_000).astype(np.int64))
    dur[picked] = rng.integers(20_000, 75_000, len(picked))
    calls = {"inv": _outside_outages(campaign_times(n, rng)),
             "ring": rng.integers(2 * S, 9 * S, n), "dur": np.where(answered, dur, 0),
             "answered": answered}
    shared = {"calling": calling, "called": called,
              "attest": np.where(rng.random(n) < .6, 3, 2).astype(np.int8),
              "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8)}
    full_route = CHAINS[0].route
    routes = (full_route, full_route[3:], full_route[4:])
    batches = []
    for r, hops in enumerate(routes):
        idx = np.flatnonzero(route == r)
        batches.append(_batch(hops, {k: v[idx] for k, v in calls.items()},
                              {k: v[idx] for k, v in shared.items()}))
    return batches, picked
