"""Asterisk's text fields cut on the Arrow buffer: channel peers, callerid names and numbers.

``between`` and ``through_last`` give what the shared helpers of ``common`` give; when every
non-empty value loses the same number of bytes at its start and at its end (a channel is
``TECH/peer-%08x``, so one technology gives one cut) the cut is one Arrow slice kernel
instead of a copy through a byte mask. ``clid_number`` reads ``<number>`` with numpy: each
clid holds its own number, so a regex over the distinct values is a regex over every row.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import bytes_of, substrings


def _cut(arr: pa.Array, offs: np.ndarray, data: np.ndarray, new_start: np.ndarray,
         new_end: np.ndarray, big: bool) -> pa.Array:
    """``substrings(arr, data, new_start, new_end, big)``; one slice kernel when the cut is
    the same on every non-empty value (an empty value stays empty under any slice)."""
    starts, ends = offs[:-1], offs[1:]
    some = ends > starts
    if arr.null_count:
        some &= np.asarray(arr.is_valid())
    head = (new_start - starts)[some]
    tail = (ends - new_end)[some]
    if len(head) and (head == head[0]).all() and (tail == tail[0]).all() \
            and ((ends - starts)[some] >= head[0] + tail[0]).all():
        raw = pa.large_binary() if big else pa.binary()
        # pyarrow 26 fails ("Negative buffer resize") when count × stop passes its size
        # type, so an open end is given as the longest value, and only where that is small
        stop = -int(tail[0]) if tail[0] else int((ends - starts).max())
        if stop < 0 or stop * len(arr) < 1 << 30:
            try:
                return pc.binary_slice(arr.view(raw), int(head[0]), stop).view(arr.type)
            except pa.ArrowInvalid:
                pass
    return substrings(arr, data, new_start, new_end, big)


def between(col, after: str, before: str) -> pa.Array:
    """``common.between``: the text after the first ``after`` and before the last ``before``
    of every value (a side whose character is missing kept whole)."""
    arr, offs, data, big = bytes_of(col)
    n = len(arr)
    if n == 0:
        return arr
    starts, ends = offs[:-1], offs[1:]
    at = pc.fill_null(pc.find_substring(arr, after), -1).to_numpy().astype(np.int64)
    new_start = np.where(at >= 0, starts + at + 1, starts)
    last_pos = np.flatnonzero(data == ord(before))
    j = np.searchsorted(last_pos, ends) - 1
    last = last_pos[np.maximum(j, 0)] if len(last_pos) else ends
    has_last = (j >= 0) & (last >= new_start) if len(last_pos) else np.zeros(n, bool)
    return _cut(arr, offs, data, new_start, np.where(has_last, last, ends), big)


def through_last(col, char: str) -> pa.Array:
    """``common.through_last``: every value up to and including its last ``char`` (ASCII);
    empty where it has none."""
    arr, offs, data, big = bytes_of(col)
    n = len(arr)
    if n == 0:
        return arr
    starts, ends = offs[:-1], offs[1:]
    pos = np.flatnonzero(data == ord(char))
    if not len(pos):
        return substrings(arr, data, starts, starts, big)
    j = np.searchsorted(pos, ends) - 1
    last = pos[np.maximum(j, 0)]
    has = (j >= 0) & (last >= starts)
    return _cut(arr, offs, data, starts, np.where(has, last + 1, starts), big)


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
