"""The text of the fields the XML scan found (``freeswitch_xml_kernels.scan_docs``' spans),
gathered into string-array buffers, a column per field, the variables URL-decoded.

The cost is per value (~5 M values at 250 k documents), mostly waiting on the file's memory:
each value asks the memory for the file ``_AHEAD`` bytes further on (two documents), which
the loop reaches a few values later (0.20 -> 0.17 s of CPU at 250 k). Values are copied and
searched for '%' a word (8 bytes) at a time, their last word whole too: it may write up to 7
bytes past the value, into the room of the field's next values (written after it), so only
where the word stays inside the field's bytes and the file (else byte by byte). The property
tests of ``tests/test_freeswitch_xml_kernels.py`` compare the result with ``unquote_array``,
``tests/test_freeswitch_xml_gather.py`` with the byte-by-byte loop it replaced.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HEX, HIGHS, ONES, prefetch, put_word, word

_PERCENTS = np.uint64(0x2525252525252525)
_THREE = np.uint64(3)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_AHEAD = 4096  # bytes of the file asked for ahead of each value (4 k: ~2 documents)


def gather(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spans' bytes as string-array buffers, a column per field: (offsets [field, row
    + 1] from the field's first byte, valid [field, row], bytes, where each field's bytes
    start in them [field + 1], wide). The first ``nv`` fields (variables) are URL-decoded as
    ``unquote_array`` does: a %XX escape of an ASCII character becomes its byte; a value
    with an escape past ASCII is marked in ``wide`` [field, row], for ``unquote`` itself."""
    return gather_into(arr, vs, ve, nv, np.empty((vs.shape[1], vs.shape[0] + 1), np.int64))


def gather_into(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int, offs: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``gather`` with the offsets written to ``offs`` [field, row + 1] (int32 where the
    spans' bytes are fewer than 2**31: the string arrays take them without a copy).

    The output arrays are numpy's, not the compiled loop's: numpy asks the kernel for huge
    pages for a large array, where an array made inside numba takes a page fault every 4 kB
    (32 k faults, ~0.04 s more, for the 133 MB of a 250 k-document file)."""
    rows, nf = vs.shape
    valid = np.empty((nf, rows), np.bool_)
    base = _sizes(vs, ve, valid)
    buf = np.empty(base[nf], np.uint8)
    wide = np.zeros((nv, rows), np.bool_)
    _fill(arr, vs, ve, nv, offs, buf, base, wide)
    return offs, valid, buf, base, wide


@nb.njit(cache=True, nogil=True)
def _fill(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int, offs: np.ndarray,
          buf: np.ndarray, base: np.ndarray, wide: np.ndarray) -> None:
    """The values into ``buf`` (each field's from ``base[field]``), their ends into ``offs``,
    the values an escape past ASCII decodes marked in ``wide``."""
    rows, nf = vs.shape
    at = base[:nf].copy()
    room = base[1:] - 7  # a value may end in words where it ends by these (its field's end)
    last = arr.size - 7  # (and the file's)
    offs[:, 0] = 0
    for j in range(rows):
        for f in range(nf):
            a = vs[j, f]
            p = at[f]
            if a >= 0:
                b = ve[j, f]
                prefetch(arr, min(a + _AHEAD, arr.size - 1))  # type: ignore[call-arg]
                whole = b <= last and p + (b - a) <= room[f]
                if f >= nv:
                    p = _copy_words(arr, a, b, buf, p) if whole else _copy(arr, a, b, buf, p)
                else:
                    p, high = (_unquote_words(arr, a, b, buf, p) if whole
                               else _unquote(arr, a, b, buf, p))
                    if high:
                        wide[f, j] = True
                at[f] = p
            offs[f, j + 1] = p - base[f]
    for f in range(nf):  # (the room a decoded field left over: zeros, not the words' bytes)
        buf[at[f]:base[f + 1]] = 0


@nb.njit(cache=True, nogil=True)
def _sizes(vs: np.ndarray, ve: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Where each field's bytes start [field + 1] in the spans' text; ``valid`` [field, row]
    set."""
    rows, nf = vs.shape
    tot = np.zeros(nf, np.int64)
    for j in range(rows):
        for f in range(nf):
            a = vs[j, f]
            valid[f, j] = a >= 0
            if a >= 0:
                tot[f] += ve[j, f] - a
    base = np.zeros(nf + 1, np.int64)
    for f in range(nf):
        base[f + 1] = base[f] + tot[f]
    return base


@nb.njit(cache=True, nogil=True)
def _copy_words(arr: np.ndarray, a: int, b: int, buf: np.ndarray, p: int) -> int:
    """``_copy`` a whole word at a time, up to 7 bytes written past the value's end (the
    caller's to make sure both arrays have them: ``b + 7 <= arr.size``)."""
    end = p + (b - a)
    while a < b:
        put_word(buf, p, word(arr, a))
        a += 8
        p += 8
    return end


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
def _unquote_words(arr: np.ndarray, a: int, b: int, buf: np.ndarray, p: int
                   ) -> tuple[int, bool]:
    """``_unquote`` a whole word at a time, the last one too: its '%' searched only in the
    span's bytes, up to 7 bytes written past the value (the caller's to make sure both
    arrays have them, as for ``_copy_words``)."""
    high = False
    while a < b:
        w = word(arr, a)
        put_word(buf, p, w)
        t = w ^ _PERCENTS
        found = (t - ONES) & ~t & HIGHS  # (exact below the first '%': its lowest bit)
        n = b - a
        if n < 8:
            found &= _ALL >> np.uint64(64 - 8 * n)
        if found == 0:
            n = min(n, 8)
            a += n
            p += n
            continue
        k = np.int64(trailing_zeros(found) >> _THREE)  # type: ignore[call-arg]
        a += k
        p += k
        c = arr[a]  # (a '%')
        if a + 2 < b and HEX[arr[a + 1]] >= 0 and HEX[arr[a + 2]] >= 0:
            c = HEX[arr[a + 1]] * 16 + HEX[arr[a + 2]]
            high = high or c >= 0x80
            a += 3
        else:
            a += 1
        buf[p] = c
        p += 1
    return p, high


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
