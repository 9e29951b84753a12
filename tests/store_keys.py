"""Lookups that exercise every shape of ``CdrStore.candidates``, built from a store's own rows:
the comparisons of the SQL stores against the embedded one share them."""
from __future__ import annotations

from workbench.columns.times import US
from workbench.store.protocol import CallKey, CdrStore

UNKNOWN_NUMBER = 19999999999  # a called number no source holds


def every_kind_of_key(store: CdrStore, *, every: int = 1, open_ended: bool = True
                      ) -> list[CallKey]:
    """Per source, for every ``every``-th row: its pair ±60 s, its called number alone and
    (``open_ended``) the called number up to the row's start; plus one unknown number."""
    keys: list[CallKey] = []
    for sid in store.source_ids():
        t = store.columns(sid, ["calling_key", "called_key", "start"])
        rows = list(zip(*(t.column(i).to_pylist() for i in range(3)), strict=True))
        for cg, cd, st in rows[::every]:
            keys += [CallKey(sid, cd, cg, st - 60 * US, st + 60 * US), CallKey(sid, cd)]
            if open_ended:
                keys.append(CallKey(sid, cd, -1, None, st))
        keys.append(CallKey(sid, UNKNOWN_NUMBER))
    return keys


PAIR_TIMES = [("start", "start"), ("start", "answer"), ("answer", "start"), ("answer", "answer")]


def every_pair_offset(store: CdrStore, max_offset_s: float = 26 * 3600
                      ) -> dict[tuple[int, int, tuple[str, str]], list[float]]:
    """``pair_offsets`` of every ordered pair of sources (all of A's ingresses), comparing
    every combination of start and answer times; each list sorted (order is the store's)."""
    sids = store.source_ids()
    out = {}
    for i, a in enumerate(sids):
        ingresses = [k for k, _ in store.ingress_counts([a])[a]]
        for j, b in enumerate(sids):
            for times in PAIR_TIMES:
                off = store.pair_offsets(a, ingresses, b, max_offset_s, times=times)
                out[(i, j, times)] = sorted(float(x) for x in off)
    return out
