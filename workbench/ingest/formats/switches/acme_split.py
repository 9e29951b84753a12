"""``split_lenient`` over many lines at once: numpy over the lines' bytes, no per-line Python.

Acme lines whose quoted values hold bare quotes are refused by pyarrow; each is split again on
``","`` boundaries. Doing that line by line in Python was most of the reader's time on a file
with many such lines. Here field ``j`` of every line is found in one vectorized step (a search
among the closing quotes or the commas), for the first ``need`` fields only.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..delimited import ends_with_newline, line_starts


def line_bounds(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(first byte, end byte) of every line of ``data`` (lines as ``select_lines`` returns
    them, each ending in ``\n``), without the line end: the ``\n`` and the ``\r`` before it,
    as ``text.rstrip("\r")`` of a line split on ``\n`` leaves it."""
    buf = np.frombuffer(data, np.uint8)
    lo = line_starts(data)
    last = len(buf) - 1 if ends_with_newline(data) else len(buf)
    hi = np.append(lo[1:] - 1, last).astype(np.int64)  # where each line's "\n" is
    while True:  # trailing CRs (one at most once cr_to_lf has run; the loop says "all")
        cr = (hi > lo) & (buf[np.maximum(hi - 1, 0)] == 13)
        if not cr.any():
            return lo, hi
        hi = hi - cr


def split_fields(data: bytes, lo: np.ndarray, hi: np.ndarray, need: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first ``need`` fields of each line ``data[lo:hi]`` as ``split_lenient`` splits it.

    ``lo``/``hi`` come from ``line_bounds(data)``: the lines cover ``data`` but for their
    ends. Returns (ok, start, end): ``ok[i]`` when line ``i`` has at least ``need`` fields;
    ``start``/``end`` of shape (need, lines) hold byte bounds of field ``j`` (valid where ok).
    A quoted value (a quote at the field's start) runs to the first quote after it that is
    followed by a comma or ends the line; any other value runs to the next comma.
    Lines are taken in blocks of about ``BLOCK`` bytes, so the comma and quote positions held
    at once stay small."""
    buf = np.frombuffer(data, np.uint8)
    n = len(lo)
    ok = np.zeros(n, bool)
    start = np.zeros((need, n), np.int64)
    end = np.zeros((need, n), np.int64)
    i0 = 0
    while i0 < n:
        i1 = max(int(np.searchsorted(lo, lo[i0] + BLOCK)), i0 + 1)
        sl = slice(i0, i1)
        ok[sl] = _split_block(buf, lo[sl], hi[sl], need, start[:, sl], end[:, sl])
        i0 = i1
    return ok, start, end


BLOCK = 1 << 22


def _split_block(buf: np.ndarray, lo: np.ndarray, hi: np.ndarray, need: int,
                 start: np.ndarray, end: np.ndarray) -> np.ndarray:
    base = int(lo[0])
    seg = buf[base:int(hi[-1])]
    commas = np.flatnonzero(seg == 44) + base  # every one inside a line: only line ends lie
    quotes = np.flatnonzero(seg == 34) + base  # between the lines
    after = buf[np.minimum(quotes + 1, len(buf) - 1)]
    # a closing quote: a comma follows, or the line ends (its "\r\n" or "\n", or the data)
    closes = quotes[(after == 44) | (after == 10) | (after == 13) | (quotes + 1 >= len(buf))]
    pos = lo.copy()
    alive = np.ones(len(lo), bool)
    last = len(buf) - 1
    for j in range(need):
        alive &= pos <= hi
        quoted = alive & (pos < hi) & (buf[np.minimum(pos, last)] == 34)
        k = np.searchsorted(closes, pos + 1)
        close = closes[np.minimum(k, len(closes) - 1)] if len(closes) else hi
        closed = quoted & (k < len(closes)) & (close < hi)
        c = np.searchsorted(commas, pos)
        comma = commas[np.minimum(c, len(commas) - 1)] if len(commas) else hi
        comma = np.where((c < len(commas)) & (comma < hi), comma, hi)
        start[j] = np.where(closed, pos + 1, pos)
        end[j] = np.where(closed, close, comma)
        pos = np.where(closed, close + 2, comma + 1)
    return alive


def gather(data: bytes, start: np.ndarray, end: np.ndarray) -> pa.Array:
    """Strings ``data[start[i]:end[i]]`` (ascending, disjoint ranges at ASCII boundaries of
    UTF-8 text): one binary array whose values alternate field and gap, every other value
    taken by Arrow in one copy."""
    n = len(start)
    if not n:
        return pa.array([], pa.string())
    big = len(data) >= 2**31 - 1
    offsets = np.empty(2 * n + 1, np.int64)
    offsets[0:-1:2] = start
    offsets[1::2] = end
    offsets[-1] = end[-1]
    typ = pa.large_string() if big else pa.string()
    both = pa.Array.from_buffers(typ, 2 * n, [None, pa.py_buffer(
        offsets if big else offsets.astype(np.int32)), pa.py_buffer(data)])
    got = both.take(pa.array(np.arange(0, 2 * n, 2)))
    return got.cast(pa.string()) if big else got
