"""The per-header ``identity_claims_distinct`` that the batch reader replaced: every distinct
header decoded by ``decode_identity`` (kept as the tests' oracle)."""
from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.sip import CLAIM_COLUMNS, _claim, decode_identity


def _text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr


def _distinct(arr: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    enc = pc.dictionary_encode(_text(arr))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return enc.dictionary, enc.indices


def identity_claims_distinct(arr: pa.Array, names: Iterable[str] = CLAIM_COLUMNS
                             ) -> tuple[dict[str, pa.Array], pa.Array]:
    values, indices = _distinct(arr)
    decoded = [decode_identity(v) for v in values.to_pylist()]
    cols = {}
    for name in names:
        typ = CLAIM_COLUMNS[name]
        vals = [_claim(d, name) for d in decoded]
        if typ == pa.int64():
            vals = [v if isinstance(v, int) and -2**62 < v < 2**62 else None for v in vals]
        cols[name] = pa.array(vals, typ)
    return cols, indices


def identity_claims(arr: pa.Array, names: Iterable[str] = CLAIM_COLUMNS
                    ) -> dict[str, pa.Array]:
    distinct, indices = identity_claims_distinct(arr, names)
    return {name: pc.take(col, indices) for name, col in distinct.items()}
