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
