"""Kamailio acc syslog: the first ``;`` field of every line (syslog prefix, ``ACC: <kind>: ``
and the first ``name=value``) split.

Arrow's substring searches run near 1 GB/s while its copies are several times faster, so
the long first field (the whole syslog prefix) is searched as few times as possible.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import bytes_of

Fields = tuple[pa.Array, pa.Array, pa.Array, pa.Array]


def _split2(col: pa.Array | pa.ChunkedArray, sep: str, reverse: bool = False
            ) -> tuple[pa.Array, pa.Array]:
    """Both sides of the first (or last) ``sep`` of every value; ``sep`` must be present."""
    parts = pc.split_pattern(col, sep, max_splits=1, reverse=reverse)
    return pc.list_element(parts, 0), pc.list_element(parts, 1)


def first_field_split(col0: pa.Array | pa.ChunkedArray) -> Fields:
    """(is ACC line, kind, first key, first value) of the first ``;`` field: string splits
    only (3–5x faster than a regex over the syslog prefix)."""
    is_acc = pc.match_substring(col0, "ACC: ")
    _, rest = _split2(pc.binary_join_element_wise("ACC: ", col0, ""), "ACC: ", reverse=True)
    ok = pc.and_(is_acc, pc.match_substring(rest, ": "))
    kind, pair = _split2(pc.if_else(ok, rest, ": "), ": ")
    ok = pc.and_(ok, pc.match_substring(pair, "="))
    key, value = _split2(pc.if_else(ok, pair, "="), "=")
    return ok, kind, key, value


def first_field(col0: pa.Array | pa.ChunkedArray) -> Fields:
    """``first_field_split``, by positions in the column's bytes: the last ``ACC: `` of each
    value found from the ``A`` bytes of one blocked scan (Arrow's substring searches ran over
    the long syslog prefix twice, at ~0.3 µs a value), the rest of each value after it cut
    by one Arrow gather, and in those short pieces the first ``: `` and the first ``=`` after
    it. Every mark is ASCII, so each cut falls between characters."""
    if isinstance(col0, pa.ChunkedArray):
        if not col0.num_chunks:
            return first_field_split(col0)
        if col0.nbytes > COMBINE_MAX:  # past a 32-bit string's offsets: chunk by chunk
            done = [first_field(c) for c in col0.chunks]
            return (pa.chunked_array([d[0] for d in done], pa.bool_()),
                    *(pa.chunked_array([d[i] for d in done], done[0][i].type)
                      for i in (1, 2, 3)))
        col0 = col0.combine_chunks()
    if col0.null_count or not len(col0):
        return first_field_split(col0)
    arr, offs, data, big = bytes_of(col0)
    s, e = offs[:-1], offs[1:]
    acc = _find(data, 65)  # 'A' of "ACC: "
    acc = acc[acc + 4 < len(data)]
    acc = acc[(data[acc + 1] == 67) & (data[acc + 2] == 67) & (data[acc + 3] == 58)
              & (data[acc + 4] == 32)]
    # the last "ACC: " wholly inside each value; its rest (empty for other values)
    j = np.searchsorted(acc, e - 5, "right") - 1
    p = acc[np.maximum(j, 0)] if len(acc) else np.zeros(len(s), np.int64)
    is_acc = (j >= 0) & (p >= s)
    rest = spans(arr.buffers()[2], np.where(is_acc, p + 5, s), np.where(is_acc, e, s), big)
    _, ro, rd, _ = bytes_of(rest)
    rs, re_ = ro[:-1], ro[1:]
    colon = _find(rd, 58)
    colon = colon[colon + 1 < len(rd)]
    colon = colon[rd[colon + 1] == 32]
    q = _first_at(colon, rs, re_, 2)  # the first ": " in the rest
    ok1 = q >= 0
    pair = np.where(ok1, q + 2, rs)
    k = _first_at(_find(rd, 61), pair, re_, 1)  # and the first "=" after it
    ok = ok1 & (k >= 0)
    buf = rest.buffers()[2]
    kind = spans(buf, rs, np.where(ok1, q, rs), big)
    key = spans(buf, np.where(ok, pair, rs), np.where(ok, k, rs), big)
    value = spans(buf, np.where(ok, k + 1, rs), np.where(ok, re_, rs), big)
    return pa.array(ok), kind, key, value


#: the most bytes a chunked first column is made one array of (its offsets are 32-bit)
COMBINE_MAX = 2**31 - 2**24

#: bytes scanned at once: the comparison mask stays in the CPU cache
_BLOCK = 1 << 18


def _find(data: np.ndarray, byte: int) -> np.ndarray:
    """Positions of ``byte`` in ``data``, ascending (int64)."""
    found = [np.flatnonzero(data[i:i + _BLOCK] == byte) + i for i in range(0, len(data), _BLOCK)]
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def _first_at(found: np.ndarray, lo: np.ndarray, hi: np.ndarray, width: int) -> np.ndarray:
    """Per row, the first of the sorted positions ``found`` at or after ``lo`` whose mark
    (``width`` bytes) ends by ``hi``; -1 where none does."""
    at = np.searchsorted(found, lo, "left")
    pos = found[np.minimum(at, len(found) - 1)] if len(found) else np.full(len(lo), -1)
    return np.where((at < len(found)) & (pos + width <= hi), pos, -1)


def spans(buf: pa.Buffer, starts: np.ndarray, ends: np.ndarray, big: bool) -> pa.Array:
    """Strings ``buf[starts[i]:ends[i]]`` in one Arrow gather: the ranges (each within row
    ``i`` of a string array over ``buf``, so they never go backwards) and the gaps between
    them are the values of one binary array over ``buf``, whose even values are taken."""
    n = len(starts)
    if n == 0:
        return pa.array([], pa.large_string() if big else pa.string())
    inter = np.empty(2 * n, np.int64 if big else np.int32)
    inter[0::2] = starts
    inter[1::2] = ends
    if np.less(inter[1:], inter[:-1]).any() or inter[0] < 0 or inter[-1] > buf.size:
        raise ValueError("spans: ranges out of order or outside the buffer")  # never a bad read
    raw = pa.large_binary() if big else pa.binary()
    view = pa.Array.from_buffers(raw, 2 * n - 1, [None, pa.py_buffer(inter), buf])
    got = view.take(pa.array(np.arange(0, 2 * n, 2, dtype=np.int64)))
    return got.view(pa.large_string() if big else pa.string())
