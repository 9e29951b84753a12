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

The reader gathers a block of documents at a time (``Gathered``, as the scan hands their
spans over), into regions grown as they fill: the spans of every document at once were a
third of the fresh memory of a 1 M-document file, and fresh memory costs system time (half
of the scan's and gather's 1.1-2.7 s at 1 M on this project's benchmark machine).
``tests/test_freeswitch_xml_resume.py`` compares blocks of 1 to 4 documents with one.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HEX, HIGHS, ONES, prefetch, put_word, word

from .freeswitch_xml_kernels import INT32_BYTES

_PERCENTS = np.uint64(0x2525252525252525)
_THREE = np.uint64(3)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_AHEAD = 4096  # bytes of the file asked for ahead of each value (4 k: ~2 documents)


class Gathered:
    """The fields' texts gathered block by block as ``scan_docs`` hands over the spans
    (``add`` is its ``flush``), so that the spans of the whole file are never held (at 1 M
    documents they were 330 MB of fresh memory). Each field's bytes go to its own region of
    one buffer; a region too small for the next value is regrown to what the rows so far
    hold per byte of the file read, a quarter more. Room never written is never touched: it
    costs no memory. The arrays are numpy's, not the compiled loop's: numpy asks the kernel
    for huge pages for a large array, where an array made inside numba takes a page fault
    every 4 kB (32 k faults, ~0.04 s more, for the 133 MB of a 250 k-document file)."""

    def __init__(self, arr: np.ndarray, nv: int, nf: int, rows: int = 0, region: int = 0
                 ) -> None:
        """``rows``, ``region``: the rows and each field's bytes first made room for (0:
        from the file's size; the tests start them tiny, to regrow them often)."""
        self.arr, self.nv, self.nf = arr, nv, nf
        self.rows = 0
        region = region or max(4096, arr.size // 256)
        self.cap = np.full(nf, region, np.int64)  # each field's region
        self.base = np.zeros(nf + 1, np.int64)
        self.base[1:] = np.cumsum(self.cap)
        self.used = np.zeros(nf, np.int64)
        self.buf = np.empty(int(self.base[-1]), np.uint8)
        rows = rows or max(1024, arr.size // 1024)
        self.offs = np.empty((nf, rows + 1), np.int32 if arr.size < INT32_BYTES else np.int64)
        self.offs[:, 0] = 0
        self.valid = np.empty((nf, rows), np.bool_)
        self.wide: list[tuple[int, int, int, int]] = []  # (field, row, span start, end)

    def add(self, vs: np.ndarray, ve: np.ndarray) -> None:
        """Gather one block of rows (spans as ``scan_docs`` has them)."""
        k = len(vs)
        if k == 0:
            return
        if self.rows + k > self.valid.shape[1]:
            self._more_rows(k, int(ve.max()))  # (the block's last value ends near its end)
        wide = np.zeros((self.nv, k), np.bool_)
        j = 0
        while True:
            j = _fill(self.arr, vs, ve, self.nv, j, self.offs, self.valid, self.rows, self.buf,
                      self.base, self.used, self.base[:self.nf] + self.cap, wide)
            if j == k:
                break
            self._more_bytes(np.where(vs[j] >= 0, ve[j] - vs[j], 0), int(ve[j].max()))
        if wide.any():
            for f, j in zip(*np.nonzero(wide)):
                self.wide.append((int(f), self.rows + int(j), int(vs[j, f]), int(ve[j, f])))
        self.rows += k

    def _more_bytes(self, row: np.ndarray, read: int) -> None:
        """Regions for the values so far, a row of ``row`` bytes a field and what the rest of
        the file is projected to hold (never more than the file), from what the values so
        far hold per byte of the file up to that row (``read``)."""
        need = self.used + row + 8  # (a value's last word is written whole)
        guess = (self.used * (self.arr.size / max(read, 1)) * 1.25).astype(np.int64) + 4096
        cap = np.maximum(np.maximum(self.cap, need), np.minimum(guess, self.arr.size + 8))
        base = np.zeros(self.nf + 1, np.int64)
        base[1:] = np.cumsum(cap)
        buf = np.empty(int(base[-1]), np.uint8)
        for f in range(self.nf):
            u = int(self.used[f])
            buf[base[f]:base[f] + u] = self.buf[self.base[f]:self.base[f] + u]
        self.buf, self.base, self.cap = buf, base, cap

    def _more_rows(self, k: int, read: int) -> None:
        """Rows for the rows so far, ``k`` more and what the rest of the file is projected
        to hold, from the rows per byte of the file up to their end (``read``; a document
        takes 11 bytes at least: ``<cdr></cdr>``)."""
        ahead = self.arr.size / max(read, 1)
        guess = min(int((self.rows + k) * ahead * 1.1), self.arr.size // 11)
        rows = max(self.rows + k, guess)
        offs = np.empty((self.nf, rows + 1), self.offs.dtype)
        offs[:, :self.rows + 1] = self.offs[:, :self.rows + 1]
        valid = np.empty((self.nf, rows), np.bool_)
        valid[:, :self.rows] = self.valid[:, :self.rows]
        self.offs, self.valid = offs, valid

    def field(self, f: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(offsets, bytes, valid) of field ``f``'s rows."""
        a = int(self.base[f])
        return (self.offs[f, :self.rows + 1], self.buf[a:a + int(self.used[f])],
                self.valid[f, :self.rows])


@nb.njit(cache=True, nogil=True)
def _fill(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int, j0: int, offs: np.ndarray,
          valid: np.ndarray, row0: int, buf: np.ndarray, base: np.ndarray, used: np.ndarray,
          end: np.ndarray, wide: np.ndarray) -> int:
    """The values of the rows from ``j0`` into ``buf`` (field f's after the ``used[f]``
    bytes from ``base[f]``), their ends from the field's first byte into ``offs[f, row0 +
    row + 1]``, whether set into ``valid[f, row0 + row]``, the values an escape past ASCII
    decodes marked in ``wide`` [field, row of ``vs``]; ``used`` moved on. Returns the row
    it stopped at: the number of rows, or one with a value that would pass the end of its
    field's region (``end[f]``), none of whose values is written."""
    rows: int = vs.shape[0]
    nf = vs.shape[1]
    at = base[:nf] + used
    room = end - 7  # a value may end in words where it ends by these (its region's end)
    last = arr.size - 7  # (and the file's)
    j = j0
    while j < rows:
        for f in range(nf):
            a = vs[j, f]
            if a >= 0 and at[f] + (ve[j, f] - a) > end[f]:
                for g in range(nf):
                    used[g] = at[g] - base[g]
                return j
        for f in range(nf):
            a = vs[j, f]
            p = at[f]
            valid[f, row0 + j] = a >= 0
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
            offs[f, row0 + j + 1] = p - base[f]
        j += 1
    for f in range(nf):
        used[f] = at[f] - base[f]
    return rows


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
