"""Kamailio acc: the first BYE of every Call-ID, for the INVITE rows it closes.

A hash group-by of the BYE rows, a hash join of every row against it and a sort back into
row order cost more than the rest of the table export's assembly. The BYE rows' Call-IDs are
numbered once (``dictionary_encode``), the earliest time of each found by one sort of the
BYE rows alone, and each kept INVITE row (not every row: half a table export's rows are
BYEs or unplaceable) looks its Call-ID up in that numbering (``index_in``).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def first_bye(call_id: pa.Array, stamp: pa.Array, is_bye: pa.Array) -> pa.Array:
    """Per row, the least ``stamp`` of the BYE rows with its ``call_id`` (null: none, a null
    Call-ID, or no BYE of it with a time). ``stamp`` is a time or the DATETIME text, whose
    least is the first in byte order, as Arrow's ``min`` takes it."""
    return lookup_bye(bye_times(pc.filter(call_id, is_bye), pc.filter(stamp, is_bye)), call_id)


def bye_times(call_id: pa.Array, stamp: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Of the BYE rows alone (``call_id``, ``stamp``): their distinct Call-IDs and, for each,
    its least time (null: no BYE of it with a time)."""
    enc = pc.dictionary_encode(call_id)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    keys, codes = enc.dictionary, enc.indices
    times = stamp
    if isinstance(times, pa.ChunkedArray):
        times = times.combine_chunks()
    if len(keys) == len(times):  # one BYE per Call-ID, none null: numbered in row order
        return keys, times
    usable = pc.and_(pc.is_valid(codes), pc.is_valid(times))
    byes = pa.table({"k": codes, "t": times}).filter(usable)
    order = pc.sort_indices(byes, sort_keys=[("k", "ascending"), ("t", "ascending")])
    k = pc.take(byes["k"], order).to_numpy()
    lead = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1]))) if len(k) else \
        np.zeros(0, np.int64)
    best = np.full(len(keys), -1, np.int64)  # per Call-ID: its earliest BYE among ``byes``
    best[k[lead]] = order.to_numpy()[lead]
    per_key = pc.take(byes["t"], pa.array(best, mask=best < 0))
    if isinstance(per_key, pa.ChunkedArray):
        per_key = per_key.combine_chunks()
    return keys, per_key


def lookup_bye(byes: tuple[pa.Array, pa.Array], call_id: pa.Array) -> pa.Array:
    """Per row of ``call_id`` (any rows: only the kept ones need it), its first BYE's time
    from ``bye_times``."""
    keys, per_key = byes
    return pc.take(per_key, pc.index_in(call_id, value_set=keys))
