"""The embedded CdrStore: each source's normalized table, memory-mapped from the cache.

Lookups use the (called, start) index built at import: two binary searches per key.
Results are small Arrow tables with plain (not dictionary) strings, so that every
backend returns the same shapes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

from workbench.columns.times import NAT, US
from workbench.store.normalize import SourceSummary
from workbench.store.protocol import CANDIDATE_FIELDS, CallKey, SourceId
from workbench.store.source import CdrSource

_EMPTY = np.zeros(0, dtype=np.int64)
_NUMERIC = {"line", "start", "answer", "duration", "flags", "calling_key", "called_key",
            "pp_iat"}


class ArrowStore:
    """CdrStore over the loaded sources of a case (see ``store.protocol``)."""

    def __init__(self, sources: Sequence[CdrSource]):
        self._sources: dict[SourceId, CdrSource] = {}
        for s in sources:
            self._sources[s.id] = s

    def source(self, sid: SourceId) -> CdrSource:
        try:
            return self._sources[sid]
        except KeyError:
            raise KeyError(f"no source {sid} in this store") from None

    # -- the protocol ------------------------------------------------------------------
    def source_ids(self) -> list[SourceId]:
        return list(self._sources)

    def summary(self, source: SourceId) -> SourceSummary:
        return self.source(source).summary

    def candidates(self, keys: Sequence[CallKey]) -> pa.Table:
        by_source: dict[SourceId, list[tuple[int, np.ndarray]]] = {}
        for q, key in enumerate(keys):
            rows = self._lookup(self.source(key.source), key)
            by_source.setdefault(key.source, []).append((q, rows))
        parts = []
        for sid, found in by_source.items():
            rows = np.concatenate([r for _, r in found])
            qs = np.concatenate([np.full(len(r), q, dtype=np.int32) for q, r in found])
            parts.append(self._gather(self.source(sid), rows, qs))
        if not parts:
            return _empty_candidates()
        if len(parts) == 1 and len(keys) == 1:
            return parts[0]
        out = pa.concat_tables(parts)
        return out.sort_by([("q", "ascending")])  # stable: each lookup keeps its index order

    def _gather(self, src: CdrSource, rows: np.ndarray, qs: np.ndarray) -> pa.Table:
        """CANDIDATE_FIELDS of these rows: numpy gathers for numbers, Arrow takes (decoded to
        plain strings) for text. A lookup returns a handful of rows: per-call overhead rules."""
        idx = pa.array(rows)
        cols: dict[str, pa.Array] = {"q": pa.array(qs, pa.int32()),
                                     "row": pa.array(rows, pa.int64())}
        for name in CANDIDATE_FIELDS[2:]:
            if name in _NUMERIC:
                cols[name] = pa.array(src.col(name)[rows])
            else:
                col = src.table.column(name).take(idx)
                if pa.types.is_dictionary(col.type):
                    col = col.cast(col.type.value_type)
                cols[name] = col
        return pa.table(cols)

    def pair_offsets(self, a: SourceId, ingresses: Sequence[str], b: SourceId,
                     max_offset_s: float) -> np.ndarray:
        sa, sb = self.source(a), self.source(b)
        ing = sa.table.column("ingress")
        if ing.null_count == len(ing) or not ingresses:
            return np.zeros(0, dtype=np.float64)
        hit = pc.is_in(ing.cast(pa.string()), value_set=pa.array(list(ingresses), pa.string()))
        mask = hit.fill_null(False).to_numpy(zero_copy_only=False)
        pa_ = _unique_pairs(sa.col("calling_key")[mask], sa.col("called_key")[mask],
                            sa.col("start")[mask])
        pb = _unique_pairs(sb.col("calling_key"), sb.col("called_key"), sb.col("start"))
        if pa_.empty or pb.empty:
            return np.zeros(0, dtype=np.float64)
        m = pa_.merge(pb, on=["calling_key", "called_key"], suffixes=("_a", "_b"))
        off = (m["start_a"].to_numpy() - m["start_b"].to_numpy()) / US
        return np.asarray(off[np.abs(off) <= max_offset_s], dtype=np.float64)

    def ingress_counts(self, sources: Sequence[SourceId]
                       ) -> Mapping[SourceId, list[tuple[str, int]]]:
        out: dict[SourceId, list[tuple[str, int]]] = {}
        for sid in sources:
            ing = self.source(sid).table.column("ingress")
            counts = ing.value_counts() if ing.num_chunks else []
            out[sid] = [(item["values"].as_py(), int(item["counts"].as_py())) for item in counts
                        if item["values"].as_py() is not None]
        return out

    def rows(self, source: SourceId, rows: np.ndarray, fields: Sequence[str]) -> pa.Table:
        idx = pa.array(np.asarray(rows, dtype=np.int64))
        return _plain(self.source(source).table.select(list(fields)).take(idx))

    def columns(self, source: SourceId, fields: Sequence[str]) -> pa.Table:
        return self.source(source).table.select(list(fields))

    def raw_lines(self, source: SourceId, lines: Sequence[int]) -> dict[int, str]:
        return self.source(source).raw_lines(list(lines))

    # -- internals ---------------------------------------------------------------------
    def _lookup(self, src: CdrSource, key: CallKey) -> np.ndarray:
        """Row ids of one key, in start order (two binary searches on the index)."""
        keys = src.col("idx_called")
        a = int(np.searchsorted(keys, key.called_key, "left"))
        b = int(np.searchsorted(keys, key.called_key, "right"))
        if a == b:
            return _EMPTY
        starts = src.col("idx_start")[a:b]
        lo = NAT + 1 if key.lo_us is None else max(int(key.lo_us), NAT + 1)
        i = int(np.searchsorted(starts, lo, "left"))
        j = b - a if key.hi_us is None else int(np.searchsorted(starts, key.hi_us, "right"))
        rows = src.col("idx_row")[a + i:a + j]
        if key.calling_key >= 0 and len(rows):
            rows = rows[src.col("calling_key")[rows] == key.calling_key]
        return np.asarray(rows, dtype=np.int64)


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded to plain strings (every backend returns the same types)."""
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _empty_candidates() -> pa.Table:
    types = {"q": pa.int32(), "row": pa.int64(), "line": pa.int64(), "start": pa.int64(),
             "answer": pa.int64(), "duration": pa.float64(), "flags": pa.uint32(),
             "calling_key": pa.int64(), "called_key": pa.int64(), "pp_iat": pa.int64()}
    return pa.table({f: pa.array([], types.get(f, pa.string())) for f in CANDIDATE_FIELDS})


def _unique_pairs(calling: np.ndarray, called: np.ndarray, start: np.ndarray) -> pd.DataFrame:
    import pandas as pd  # only the skew join needs it: a warm trace never imports pandas
    df = pd.DataFrame({"calling_key": calling, "called_key": called, "start": start})
    df = df[(df["calling_key"] >= 0) & (df["called_key"] >= 0) & (df["start"] != NAT)]
    counts = df.groupby(["calling_key", "called_key"], sort=False)["start"].transform("size")
    return df.loc[counts == 1, ["calling_key", "called_key", "start"]]
