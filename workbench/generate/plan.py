"""The special rows around each traced call: its record at every hop, a retry 30 s later,
and near-miss decoys, each tagged so the answer key can find its line after sorting."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clock import S, to_us
from .numberbook import NumberBook
from .rows import Rows
from .scenario import SCENARIO, TracedCall
from .sources import ATTESTS, BY_PROVIDER, EGRESS_TO, SOURCE, SOURCES, Source


@dataclass
class Plan:
    """Special rows (traced calls, retries, decoys) per source and what each tag means."""

    rows: dict[str, list[dict]] = field(default_factory=lambda: {s.key: [] for s in SOURCES})
    tags: dict[int, tuple[str, str, int]] = field(default_factory=dict)  # tag -> (tb, kind, hop)
    calls: dict[str, dict] = field(default_factory=dict)


def _uuid(rng: np.random.Generator) -> bytes:
    """Raw bytes of one random origid."""
    return rng.integers(0, 256, 16, dtype=np.uint8).tobytes()


def make_plan(book: NumberBook, rng: np.random.Generator) -> Plan:
    """Reserve the traced calls' numbers, then lay out every special row they need."""
    plan = Plan()
    for tb in SCENARIO:
        book.reserved.update((book.idx(tb.calling), book.idx(tb.called)))
    for tb in SCENARIO:
        t0 = to_us(tb.t0) + int(rng.integers(0, S))
        call = {"calling": book.idx(tb.calling), "called": book.idx(tb.called), "t0": t0,
                "ring": int(rng.integers(3 * S, 12 * S)), "dur": int(rng.integers(25_000, 140_000)),
                "attest": ATTESTS.index(tb.attest), "origid": _uuid(rng)}
        plan.calls[tb.tb_id] = call
        _propagate(plan, tb, call, "traced", book, rng)
        retry = dict(call, t0=t0 + int(rng.integers(28 * S, 32 * S)),
                     dur=int(rng.integers(1000, 4500)), ring=int(rng.integers(3 * S, 12 * S)),
                     origid=_uuid(rng))
        _propagate(plan, tb, retry, "retry", book, rng)
    return plan


def _propagate(plan: Plan, tb: TracedCall, call: dict, kind: str, book: NumberBook,
               rng: np.random.Generator) -> None:
    """Rows of one call at every hop it crossed, each hop a little earlier than the last."""
    hops = list(tb.path)
    if kind == "traced" and tb.beyond:
        hops += [("", "")] + list(tb.beyond)  # ("", "") = the provider that lost the record
    inv, downstream = call["t0"], None
    for k, (key, ingress) in enumerate(hops):
        if k:
            inv -= int(rng.integers(50_000, 800_000))
        if not key:
            downstream = BY_PROVIDER[SOURCE[hops[k - 1][0]].trunk(hops[k - 1][1]).name].provider
            continue
        src = SOURCE[key]
        tag = len(plan.tags)
        plan.tags[tag] = (tb.tb_id, kind if k < len(tb.path) else "beyond", k + 1)
        plan.rows[key].append({
            "inv": inv, "ring": call["ring"], "dur": call["dur"], "answered": True,
            "calling": call["calling"], "called": call["called"], "ingress": ingress,
            "egress": EGRESS_TO.get((key, downstream), ""), "attest": call["attest"],
            "origid": call["origid"], "callid": rng.integers(0, 256, 8, dtype=np.uint8).tobytes(),
            "tag": tag})
        if kind == "traced" and k < len(tb.path):
            _decoys(plan, src, inv, plan.rows[key][-1], book, rng)
        downstream = src.provider


def _decoys(plan: Plan, src: Source, inv: int, real: dict, book: NumberBook,
            rng: np.random.Generator) -> None:
    """Near misses: other ANIs to the same called number within a minute, and the same ANI to
    other numbers in the same second (the 30 s retry is propagated as a call of its own)."""
    def row(**kw) -> dict:
        r = dict(real, ring=int(rng.integers(3 * S, 12 * S)), dur=int(rng.integers(1000, 90_000)),
                 answered=src.answered_only or bool(rng.random() < .6),
                 attest=int(rng.integers(0, 4)), origid=_uuid(rng),
                 callid=rng.integers(0, 256, 8, dtype=np.uint8).tobytes(), tag=-1)
        r.update(kw)
        if not r["answered"]:
            r["dur"] = 0
        return r

    weights = np.array([t.weight for t in src.trunks])
    us_pool, called_pool = book.pool("us"), book.pool(src.called_pool)
    for _ in range(int(rng.integers(2, 4))):
        offset = int(rng.integers(15 * S, 55 * S)) * (1 if rng.random() < .5 else -1)
        t = src.trunks[int(rng.choice(len(src.trunks), p=weights / weights.sum()))]
        plan.rows[src.key].append(row(inv=inv + offset, calling=int(rng.choice(us_pool)),
                                      ingress=t.id, egress=""))
    second = inv - inv % S
    for _ in range(int(rng.integers(3, 6))):
        plan.rows[src.key].append(row(inv=second + int(rng.integers(0, S)),
                                      called=int(rng.choice(called_pool))))


def special_rows(src: Source, specials: list[dict], ingress_ids: list[str],
                 egress_ids: list[str]) -> Rows:
    """Plan rows of one source as columns; unseen trunk ids are appended to the id lists."""
    def ix(ids: list[str], value: str) -> int:
        if value not in ids:
            ids.append(value)
        return ids.index(value)

    n = len(specials)
    cols = {
        "inv": np.array([r["inv"] for r in specials], np.int64).reshape(n),
        "ring": np.array([r["ring"] for r in specials], np.int64).reshape(n),
        "dur": np.array([r["dur"] for r in specials], np.int64).reshape(n),
        "answered": np.array([r["answered"] for r in specials], bool).reshape(n),
        "calling": np.array([r["calling"] for r in specials], np.int32).reshape(n),
        "called": np.array([r["called"] for r in specials], np.int32).reshape(n),
        "ingress": np.array([ix(ingress_ids, r["ingress"]) for r in specials], np.int16).reshape(n),
        "egress": np.array([ix(egress_ids, r["egress"] or (egress_ids[0] if egress_ids else ""))
                            for r in specials], np.int16).reshape(n),
        "attest": np.array([r["attest"] for r in specials], np.int8).reshape(n),
        "origid": np.frombuffer(b"".join(r["origid"] for r in specials), np.uint8).reshape(n, 16),
        "callid": np.frombuffer(b"".join(r["callid"] for r in specials), np.uint8).reshape(n, 8),
        "tag": np.array([r["tag"] for r in specials], np.int32).reshape(n),
    }
    return Rows(cols)
