"""Asterisk's callerid number cut on the Arrow buffer.

``clid_number`` reads ``<number>`` with numpy: each clid holds its own number, so a regex
over the distinct values is a regex over every row.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .common import bytes_of, substrings


def clid_number(clid: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The text between the first ``<`` and the first ``>`` after it; null where either is
    missing (what RE2's leftmost match of ``<([^>]*)>`` takes)."""
    arr, offs, data, big = bytes_of(clid)
    n = len(arr)
    if n == 0:
        return pa.array([], pa.string())
    starts, ends = offs[:-1], offs[1:]
    lt = np.flatnonzero(data == ord("<"))
    gt = np.flatnonzero(data == ord(">"))
    i = np.searchsorted(lt, starts)
    open_at = lt[np.minimum(i, len(lt) - 1)] if len(lt) else ends
    has_open = (i < len(lt)) & (open_at < ends) if len(lt) else np.zeros(n, bool)
    k = np.searchsorted(gt, open_at + 1)
    close_at = gt[np.minimum(k, len(gt) - 1)] if len(gt) else ends
    found = has_open & (k < len(gt)) & (close_at < ends) if len(gt) else np.zeros(n, bool)
    if arr.null_count:
        found &= np.asarray(arr.is_valid())
    cut = substrings(arr, data, np.where(found, open_at + 1, starts),
                     np.where(found, close_at, starts), big)
    _, obuf, dbuf = cut.buffers()
    valid = None if found.all() else pa.py_buffer(np.packbits(found, bitorder="little"))
    return pa.Array.from_buffers(cut.type, n, [valid, obuf, dbuf],
                                 null_count=int(n - np.count_nonzero(found)))
