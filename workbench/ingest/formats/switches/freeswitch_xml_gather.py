"""The text of the fields the XML scan found (``freeswitch_xml_kernels.scan_docs``' spans),
gathered into string-array buffers, a column per field, the variables URL-decoded.

Copied and searched for '%' a word (8 bytes) at a time: byte by byte the copy cost ~1 ns a
byte (0.29 -> 0.24 s of CPU for the 133 MB of a 250 k-document file). The property tests
of ``tests/test_freeswitch_xml_kernels.py`` compare the result with ``unquote_array``, and
``tests/test_freeswitch_xml_gather.py`` with the byte-by-byte loop it replaced.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HEX, HIGHS, ONES, put_word, word

_PERCENTS = np.uint64(0x2525252525252525)
_THREE = np.uint64(3)


@nb.njit(cache=True, nogil=True)
def gather(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spans' bytes as string-array buffers, a column per field: (offsets [field, row
    + 1] from the field's first byte, valid [field, row], bytes, where each field's bytes
    start in them [field + 1], wide). The first ``nv`` fields (variables) are URL-decoded as
    ``unquote_array`` does: a %XX escape of an ASCII character becomes its byte; a value
    with an escape past ASCII is marked in ``wide`` [field, row], for ``unquote`` itself."""
    return gather_into(arr, vs, ve, nv, np.empty((vs.shape[1], vs.shape[0] + 1), np.int64))


@nb.njit(cache=True, nogil=True)
def gather_into(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int, offs: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``gather`` with the offsets written to ``offs`` [field, row + 1] (int32 where the
    spans' bytes are fewer than 2**31: the string arrays take them without a copy)."""
    rows, nf = vs.shape
    valid = np.empty((nf, rows), np.bool_)
    base = np.zeros(nf + 1, np.int64)
    tot = np.zeros(nf, np.int64)
    for j in range(rows):
        for f in range(nf):
            a = vs[j, f]
            valid[f, j] = a >= 0
            if a >= 0:
                tot[f] += ve[j, f] - a
    for f in range(nf):
        base[f + 1] = base[f] + tot[f]
        offs[f, 0] = 0
    buf = np.empty(base[nf], np.uint8)
    at = base[:nf].copy()
    wide = np.zeros((nv, rows), np.bool_)
    for j in range(rows):
        for f in range(nf):
            a = vs[j, f]
            p = at[f]
            if a >= 0:
                b = ve[j, f]
                if f >= nv:
                    p = _copy(arr, a, b, buf, p)
                else:
                    p, wide[f, j] = _unquote(arr, a, b, buf, p)
                at[f] = p
            offs[f, j + 1] = p - base[f]
    return offs, valid, buf, base, wide


@nb.njit(cache=True, nogil=True)
def _copy(arr: np.ndarray, a: int, b: int, buf: np.ndarray, p: int) -> int:
    """``buf[p:p + b - a] = arr[a:b]``; where the copy ends in ``buf``."""
    while a + 8 <= b:
        put_word(buf, p, word(arr, a))
        a += 8
        p += 8
    while a < b:
        buf[p] = arr[a]
        a += 1
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def _unquote(arr: np.ndarray, a: int, b: int, buf: np.ndarray, p: int) -> tuple[int, bool]:
    """``arr[a:b]`` URL-decoded to ``buf`` from ``p``: (where it ends, whether an escape
    gave a byte past ASCII). A word is copied whole, and kept up to its first '%' (a word
    of the span only: the decoded text is never longer, so it stays in the field's room)."""
    high = False
    while a < b:
        if a + 8 <= b:
            w = word(arr, a)
            t = w ^ _PERCENTS
            found = (t - ONES) & ~t & HIGHS  # (exact below the first '%': its lowest bit)
            put_word(buf, p, w)
            if found == 0:
                a += 8
                p += 8
                continue
            k = np.int64(trailing_zeros(found) >> _THREE)  # type: ignore[call-arg]
            a += k
            p += k
        c = arr[a]
        if c == 37 and a + 2 < b and HEX[arr[a + 1]] >= 0 and HEX[arr[a + 2]] >= 0:
            c = HEX[arr[a + 1]] * 16 + HEX[arr[a + 2]]
            high = high or c >= 0x80
            a += 3
        else:
            a += 1
        buf[p] = c
        p += 1
    return p, high
