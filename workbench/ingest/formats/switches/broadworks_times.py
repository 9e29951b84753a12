"""BroadWorks' compact stamps with each record's offset as ISO text, at fixed byte places.

``YYYYMMDDhhmmss.mmm`` + ``-04:00`` → ``YYYY-MM-DDThh:mm:ss.mmm-04:00``. A regex replacement
over every value cost most of the local-time path; the stamp a BroadWorks server writes has
one 18-byte shape, rebuilt here by numpy straight from the Arrow buffers. Values of any other
shape (no or a shorter fraction, blanks, damage) go through ``slow``, the regex computation,
so every value is the one it gives.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from .common import NULL_TEXT, blank_to_null, bytes_of

WIDTH, SUFFIX = 18, 6  # "20240610160031.204", "-04:00"
OUT = WIDTH + 5 + SUFFIX
# output byte k comes from stamp byte _FROM[k] (-1: a separator of _SEP)
_FROM = np.array([0, 1, 2, 3, -1, 4, 5, -1, 6, 7, -1, 8, 9, -1, 10, 11, -1, 12, 13, 14, 15, 16,
                  17])
_SEP = np.zeros(WIDTH + 5, np.uint8)
_SEP[[4, 7, 10, 13, 16]] = np.frombuffer(b"--T::", np.uint8)
_CHUNK = 1 << 16


def with_offset(col, suffix: pa.Array, slow: Callable[[pa.Array, pa.Array], pa.Array]
                ) -> pa.Array:
    """``slow(col, suffix)`` (the regex computation), value for value."""
    raw = blank_to_null(col, NULL_TEXT, strip=True)
    arr, offs, data, _ = bytes_of(raw)
    sarr, soffs, sdata, _ = bytes_of(suffix)
    n = len(arr)
    valid = _valid(arr) & _valid(sarr)
    cand = np.flatnonzero(valid & (np.diff(offs) == WIDTH) & (np.diff(soffs) == SUFFIX))
    fast = np.zeros(n, bool)
    out = np.empty((len(cand), OUT), np.uint8)
    keep = np.zeros(len(cand), bool)
    for i in range(0, len(cand), _CHUNK):
        part = cand[i:i + _CHUNK]
        m = data[offs[part][:, None] + np.arange(WIDTH)]
        digits = m[:, [k for k in range(WIDTH) if k != 14]]
        ok = np.all((digits >= 48) & (digits <= 57), axis=1) & (m[:, 14] == 46)
        o = out[i:i + len(part)]
        o[:, :WIDTH + 5] = np.where(_FROM >= 0, m[:, np.maximum(_FROM, 0)], _SEP)
        o[:, WIDTH + 5:] = sdata[soffs[part][:, None] + np.arange(SUFFIX)]
        keep[i:i + len(part)] = ok
    cand, out = cand[keep], out[keep]
    fast[cand] = True
    if not len(cand):
        return slow(col, suffix)
    iso = pa.Array.from_buffers(pa.string(), len(cand), [
        None, pa.py_buffer(np.arange(0, (len(cand) + 1) * OUT, OUT, dtype=np.int32)),
        pa.py_buffer(out.tobytes())])
    rest = np.flatnonzero(~fast)
    if not len(rest):
        return iso
    other = slow(arr.take(pa.array(rest)), sarr.take(pa.array(rest)))
    where = np.empty(n, np.int64)  # row → its place in [iso, other]
    where[cand] = np.arange(len(cand))
    where[rest] = len(cand) + np.arange(len(rest))
    return pa.concat_arrays([iso, other.cast(pa.string())]).take(pa.array(where))


def _valid(arr: pa.Array) -> np.ndarray:
    if not arr.null_count:
        return np.ones(len(arr), bool)
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))
