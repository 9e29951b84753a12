"""mod_cdr_csv's field columns put back into file order from the groups they were read in
(rows of each field count, then the repaired lines): ``common.concat_sorted`` on the raw
fields, with each column copied twice (end to end, then in file order) rather than four
times (chunks joined per group, blanks made null per group, joined, reordered), so the
per-value rules (quotes, blanks) run once on the result.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Part = tuple[dict[str, pa.Array | pa.ChunkedArray], np.ndarray]


def in_file_order(parts: list[Part]) -> tuple[dict[str, pa.Array], np.ndarray]:
    """One contiguous string column per field (a field missing from a group's lines is null
    there) and the rows' line numbers, ascending."""
    if len(parts) == 1:
        cols, lines = parts[0]
        return {k: _one(v) for k, v in cols.items()}, lines
    lines = np.concatenate([p[1] for p in parts])
    order = pa.array(np.argsort(lines, kind="stable"))
    out = {}
    for name in dict.fromkeys(k for p in parts for k in p[0]):  # first-seen order
        typ = _string_type(next(p[0][name].type for p in parts if name in p[0]))
        chunks: list[pa.Array] = []
        for cols, at in parts:
            col = cols.get(name)
            got = [pa.nulls(len(at), typ)] if col is None else \
                col.chunks if isinstance(col, pa.ChunkedArray) else [col]
            chunks += [c if c.type == typ else c.cast(typ) for c in got]
        out[name] = pc.take(pa.concat_arrays(chunks), order)
    return out, lines[np.asarray(order)]


def _string_type(typ: pa.DataType) -> pa.DataType:
    return typ if pa.types.is_string(typ) or pa.types.is_large_string(typ) else pa.string()


def _one(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``common.text``: one contiguous string array."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    return col if col.type == _string_type(col.type) else pc.cast(col, pa.string())
