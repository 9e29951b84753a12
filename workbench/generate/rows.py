"""Background traffic as numpy columns: calls only one provider holds, and through-route
calls that several providers' files share (so clock offsets can be estimated from the data)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .clock import WINDOW_DAYS, WINDOW_START, S, to_us
from .numberbook import NumberBook
from .sources import EGRESS_TO, FOREIGN, SOURCE, SOURCES, Source

FIELDS = ("inv", "ring", "dur", "answered", "calling", "called", "ingress", "egress",
          "attest", "origid", "callid", "tag")


@dataclass
class Rows:
    """Columns of one source before formatting: true invite instant (UTC µs), ring and talk
    time (µs / ms), number and trunk indexes, attestation code, random id bytes, tag."""

    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.cols["inv"])

    def take(self, idx: np.ndarray) -> "Rows":
        return Rows({k: v[idx] for k, v in self.cols.items()})

    @staticmethod
    def concat(a: "Rows", b: "Rows") -> "Rows":
        return Rows({k: np.concatenate([a.cols[k], b.cols[k]]) for k in FIELDS})

    def recorded(self, src: Source) -> np.ndarray:
        """The instant the source writes as its start (skewed clock, answer basis)."""
        rec = self.cols["inv"] + src.skew_s * S
        return rec + self.cols["ring"] if src.answer_basis else rec


_HOURLY = np.array([.5, .35, .2, .12, .08, .06, .06, .08, .12, .2, .35, .55,
                    .8, 1, 1, 1, 1, 1, 1, 1, .95, .9, .8, .65])


def _calls(n: int, rng: np.random.Generator, answered_share: float = 0.7) -> dict[str, np.ndarray]:
    """Invite instants with a daily rhythm (U.S. daytime busiest), ring and talk times."""
    day = rng.integers(0, WINDOW_DAYS, n)
    hour = rng.choice(24, n, p=_HOURLY / _HOURLY.sum())
    inv = to_us(WINDOW_START) + (day * 86400 + hour * 3600) * S + rng.integers(0, 3600 * S, n)
    answered = rng.random(n) < answered_share
    dur = np.clip(rng.lognormal(np.log(38_000), 1.0, n), 1000, 3_600_000).astype(np.int64)
    return {"inv": inv.astype(np.int64), "ring": rng.integers(3 * S, 12 * S, n),
            "dur": np.where(answered, dur, 0), "answered": answered}


def _callings(n: int, foreign_share: np.ndarray | float, rng: np.random.Generator,
              book: NumberBook) -> np.ndarray:
    us_pool, fo_pool = book.pool("us"), book.pool("foreign")
    return np.where(rng.random(n) < foreign_share, rng.choice(fo_pool, n),
                    rng.choice(us_pool, n)).astype(np.int32)


def _random_attest(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.choice(4, n, p=[.2, .35, .25, .2]).astype(np.int8)


def background(src: Source, n: int, rng: np.random.Generator, book: NumberBook) -> Rows:
    """Calls only this provider's file holds (the rest of its traffic went elsewhere)."""
    calls = _calls(n, rng, 1.0 if src.answered_only else 0.7)
    weights = np.array([t.weight for t in src.trunks])
    ingress = rng.choice(len(src.trunks), n, p=weights / weights.sum()).astype(np.int16)
    foreign_trunk = np.array([t.name in FOREIGN for t in src.trunks])[ingress]
    attest = _random_attest(n, rng) if src.signs else np.zeros(n, np.int8)
    if src.key == "seaport":
        attest = np.where(foreign_trunk & (attest > 0), 3, attest).astype(np.int8)
    return Rows({
        **calls,
        "calling": _callings(n, np.where(foreign_trunk, 0.4, 0.02), rng, book),
        "called": rng.choice(book.pool(src.called_pool), n).astype(np.int32),
        "ingress": ingress,
        "egress": rng.integers(0, max(len(src.egress), 1), n).astype(np.int16),
        "attest": attest,
        "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8),
        "callid": rng.integers(0, 256, (n, 8), dtype=np.uint8),
        "tag": np.full(n, -1, np.int32),
    })


_ACCOUNTS = ("ACCT-1001", "ACCT-1002", "ACCT-1003", "ACCT-1017", "ACCT-2093")
_SEAPORT_OTHERS = ("000412", "000519", "000633", "000777")
#: Routes of ordinary traffic through several of the case's providers (weight, hops from the
#: downstream end, ingress ids to draw from). They make the files share calls, as real
#: neighbours' CDRs do, so per-source clock offsets can be estimated from the data.
ROUTES = (
    (.16, (("terminus", ("MWT-01",)), ("midway", ("0417",)), ("lakeshore", ("SGW-A",)),
           ("seaport", ("000307",)), ("origin", _ACCOUNTS))),
    (.12, (("terminus", ("MWT-01",)), ("midway", ("0417",)), ("lakeshore", ("SGW-A",)),
           ("seaport", _SEAPORT_OTHERS))),
    (.08, (("terminus", ("MWT-01",)), ("midway", ("0420",)), ("seaport", ("000307",)),
           ("origin", _ACCOUNTS))),
    (.08, (("terminus", ("MWT-01",)), ("midway", ("0420",)), ("seaport", _SEAPORT_OTHERS))),
    (.14, (("terminus", ("MWT-01",)), ("midway", ("0417",)),
           ("lakeshore", ("PRX-22", "CUST-0031", "TG-0999")))),
    (.14, (("terminus", ("MWT-01",)), ("midway", ("0388", "CUST-88", "0502")))),
    (.14, (("midway", ("0417",)), ("lakeshore", ("SGW-A",)), ("seaport", ("000307",)),
           ("origin", _ACCOUNTS))),
    (.14, (("lakeshore", ("SGW-A",)), ("seaport", ("000307",)), ("origin", _ACCOUNTS))),
)
THROUGH_SHARE = 0.45  # through-route calls per source row requested


#: Reshapes one batch of through-route calls before it is laid along its route: called with
#: the route's source keys, each hop's ingress ids, the batch's calls and shared columns.
Shaper = Callable[[list[str], list[np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]],
                  None]


def through_traffic(rows: int, rng: np.random.Generator, book: NumberBook,
                    shape: Shaper | None = None) -> dict[str, Rows]:
    """Calls that cross several providers: same numbers at every hop, each hop a little
    earlier than the one downstream, ingress/egress ids consistent with the case tables.
    ``shape`` (training cases only) may rewrite a batch's customers and numbers first."""
    parts: dict[str, list[Rows]] = {s.key: [] for s in SOURCES}
    for weight, hops in ROUTES:
        n = int(rows * THROUGH_SHARE * weight)
        calls = _calls(n, rng)
        picks = [rng.integers(0, len(ids), n) for _, ids in hops]
        ingress = [np.array(ids)[p] for (_, ids), p in zip(hops, picks)]
        keys = [k for k, _ in hops]
        foreign = np.zeros(n, bool)
        if "seaport" in keys:
            ids = ingress[keys.index("seaport")]
            foreign = np.isin(ids, ("000412", "000633"))
        attest = _random_attest(n, rng)
        if "origin" in keys:
            attest = rng.choice(np.array([1, 2], np.int8), n, p=[.6, .4])
        attest = np.where(foreign, 3, attest).astype(np.int8)
        shared = {"calling": _callings(n, np.where(foreign, 0.4, 0.02), rng, book),
                  "called": rng.choice(book.pool("chicago" if keys[0] == "terminus" else "us"),
                                       n).astype(np.int32),
                  "attest": attest, "origid": rng.integers(0, 256, (n, 16), dtype=np.uint8)}
        if shape is not None:
            shape(keys, ingress, calls, shared)
        for key, part in along(keys, ingress, calls, shared, rng).items():
            parts[key].append(part)
    out = {}
    for key, chunks in parts.items():
        merged = chunks[0]
        for c in chunks[1:]:
            merged = Rows.concat(merged, c)
        out[key] = merged
    return out


def along(keys: list[str], ingress: list[np.ndarray], calls: dict[str, np.ndarray],
          shared: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, Rows]:
    """One batch of calls as each provider of a route records it (terminating end first):
    each hop a little earlier than the one downstream, egress towards the next provider."""
    n = len(calls["inv"])
    out: dict[str, Rows] = {}
    inv, downstream = calls["inv"].copy(), None
    for j, key in enumerate(keys):
        src = SOURCE[key]
        if j:
            inv = inv - rng.integers(50_000, 800_000, n)
        trunk_ids = [t.id for t in src.trunks]
        if downstream is None:
            others = [k for k, e in enumerate(src.egress) if e not in EGRESS_TO.values()]
            egress = rng.choice(np.array(others or [0]), n)
        else:
            egress = np.full(n, src.egress.index(EGRESS_TO[(key, downstream)]))
        keep = calls["answered"] if src.answered_only else np.ones(n, bool)
        codes = np.zeros(n, np.int16)
        for k, t in enumerate(trunk_ids):  # a handful of ids: one vectorized compare each
            codes[ingress[j] == t] = k
        part = Rows({**calls, **shared, "inv": inv, "ingress": codes,
                     "egress": egress.astype(np.int16),
                     "callid": rng.integers(0, 256, (n, 8), dtype=np.uint8),
                     "tag": np.full(n, -1, np.int32)})
        out[key] = part.take(np.flatnonzero(keep))
        downstream = src.provider
    return out
