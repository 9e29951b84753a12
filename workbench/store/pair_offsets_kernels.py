"""Compiled loops for ``pair_offsets.matched_offsets`` (numba).

The numpy way took some twenty passes over the rows of both sides, each with a fresh
temporary (usable masks, their positions, gathered keys, the mix, the packed keys, the
sorted rows, their pairs, ...) and sorted all of them: ~0.13 s of CPU per hand-off of
2.5 M rows (0.5 M of A's on the trunks, 2 M of B's), for a few calls held once a side.
Here ``packed_keys`` writes, in three passes, the sort keys of only the rows whose pair may
occur on both sides (a bit filter of A's pairs screens B's rows, one of B's rows kept
screens A's: some 0.25 M of the 2.5 M), numpy sorts them, and ``offsets`` walks the runs
of equal keys and writes the offsets of the pairs held once by each side.

A sort key is the way ``pair_offsets._runs_by_packed_sort`` packs one: a pair's 64-bit key
(here its mix, spread by a bijection) with the row number (here A's row, or len(A) plus
B's row) in its low bits. Rows of one pair share their top bits; a run of shared top bits
holding several pairs is sorted out by comparing the rows' numbers exactly. Such a run of
more than ``MAX_SHARED`` rows (it needs two pairs sharing the top bits of their spread key
and one of them held that often) comes back as ``BAIL`` and the numpy way answers.

Imported only where a hand-off is paired (numba costs ~0.2 s to import): never at the top of
a store module.
"""
from __future__ import annotations

import numba
import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)  # pair_offsets._MIX
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's: a second, independent spread
_F1, _F2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)  # fmix64's
_NAT = np.iinfo(np.int64).min  # times.NAT
_US = 1_000_000  # times.US

OK, BAIL = 0, 1
#: longest run of shared top bits holding more than one pair that is paired here (each row
#: against every other: k**2 steps)
MAX_SHARED = 64


@numba.njit(cache=True, nogil=True, inline="always")
def _mix(calling, called):  # type: ignore[no-untyped-def]
    """The pair's 64-bit key: pair_offsets' mix, spread over all 64 bits (MurmurHash3's
    finalizer, a bijection). The mix alone keeps the called number in its low bits, so one
    calling number's calls to nearby numbers would share their top bits and make runs as
    long as that caller's calls."""
    h = np.uint64(calling) * _MIX + np.uint64(called)
    h ^= h >> np.uint64(33)
    h *= _F1
    h ^= h >> np.uint64(33)
    h *= _F2
    h ^= h >> np.uint64(33)
    return h


@numba.njit(cache=True, nogil=True, inline="always")
def _slot(mixed, filter_bits):  # type: ignore[no-untyped-def]
    """A filter bit of a key's top bits (mixed again: the filter takes their low bits)."""
    h = (mixed ^ (mixed >> np.uint64(29))) * _MIX2
    return h >> np.uint64(64 - filter_bits)


@numba.njit(cache=True, nogil=True)
def _filter(packed, lo, hi, shift):  # type: ignore[no-untyped-def]
    """A one-hash membership filter of the mixes' top bits of ``packed[lo:hi]`` (16 to 32
    bits a key, at least 2**12): no false negatives, a few per cent false positives.
    (bit words, bit count)"""
    filter_bits = 12
    while (np.int64(1) << filter_bits) < 16 * (hi - lo):
        filter_bits += 1
    words = np.zeros((np.int64(1) << filter_bits) >> 6, dtype=np.uint64)
    for i in range(lo, hi):
        h = _slot(packed[i] >> shift, filter_bits)
        words[h >> np.uint64(6)] |= np.uint64(1) << (h & np.uint64(63))
    return words, filter_bits


@numba.njit(cache=True, nogil=True, inline="always")
def _member(words, filter_bits, top):  # type: ignore[no-untyped-def]
    h = _slot(top, filter_bits)
    return (words[h >> np.uint64(6)] >> (h & np.uint64(63))) & np.uint64(1) != 0


@numba.njit(cache=True, nogil=True)
def packed_keys(  # type: ignore[no-untyped-def]
        a_calling, a_called, a_start, keep, use_keep, b_calling, b_called, b_start, bits):
    """The packed keys (uint64) of the usable rows of A (those ``keep`` names, when
    ``use_keep``) and of B whose pair may occur on both sides: the pair key's top bits
    (``_mix``), shifted up by ``bits``, with row numbers (A's row, or len(A) + B's row)
    below. Unsorted.

    Rows whose pair the other side surely lacks are left out (a membership filter of the top
    bits of A's keys screens B's rows, one of B's rows kept screens A's): they can never be
    paired, and every row of a pair both sides hold is kept (its rows share their top bits),
    so the runs holding such a pair are counted as in full."""
    n_a, n_b = a_calling.shape[0], b_calling.shape[0]
    out = np.empty(n_a + n_b, dtype=np.uint64)  # only the pages written are ever touched
    shift = np.uint64(bits)
    na = 0
    for i in range(n_a):
        if use_keep and not keep[i]:
            continue
        c, d = a_calling[i], a_called[i]
        if c < 0 or d < 0 or a_start[i] == _NAT:
            continue
        out[na] = ((_mix(c, d) >> shift) << shift) | np.uint64(i)
        na += 1
    words, filter_bits = _filter(out, 0, na, shift)
    nb = na
    for i in range(n_b):
        c, d = b_calling[i], b_called[i]
        if c < 0 or d < 0:
            continue
        top = _mix(c, d) >> shift
        if _member(words, filter_bits, top) and b_start[i] != _NAT:  # few rows: start last
            out[nb] = (top << shift) | np.uint64(n_a + i)
            nb += 1
    words, filter_bits = _filter(out, na, nb, shift)
    n = 0
    for k in range(na):  # A's keys the filter of B's keeps, moved down in place
        if _member(words, filter_bits, out[k] >> shift):
            out[n] = out[k]
            n += 1
    for k in range(na, nb):  # then B's (n <= k: each is read before it is overwritten)
        out[n] = out[k]
        n += 1
    return out[:n]


@numba.njit(cache=True, nogil=True, inline="always")
def _pair_of(row, n_a, a_calling, a_called, b_calling, b_called):  # type: ignore[no-untyped-def]
    if row < n_a:
        return a_calling[row], a_called[row]
    return b_calling[row - n_a], b_called[row - n_a]


@numba.njit(cache=True, nogil=True)
def offsets(  # type: ignore[no-untyped-def]
        packed, bits, a_calling, a_called, a_when, b_calling, b_called, b_when,
        max_offset_s):
    """(status, seconds A-minus-B) of the pairs held by one row of A and one row of B, from
    ``packed_keys`` sorted; kept where both rows have a time and within ``max_offset_s``.
    Status ``BAIL``: a run too long to pair here (the offsets are then not given)."""
    n_a = a_calling.shape[0]
    n = packed.shape[0]
    out = np.empty(n // 2 + 1, dtype=np.float64)
    shift = np.uint64(bits)
    low = (np.uint64(1) << shift) - np.uint64(1)
    m = 0
    s = 0
    while s < n:
        top = packed[s] >> shift
        e = s + 1
        while e < n and (packed[e] >> shift) == top:
            e += 1
        if e - s >= 2:
            first = np.int64(packed[s] & low)
            c0, d0 = _pair_of(first, n_a, a_calling, a_called, b_calling, b_called)
            one = True
            for k in range(s + 1, e):
                c, d = _pair_of(np.int64(packed[k] & low), n_a, a_calling, a_called,
                                b_calling, b_called)
                if c != c0 or d != d0:
                    one = False
                    break
            if one:
                if e - s == 2:
                    m = _emit(np.int64(packed[s] & low), np.int64(packed[s + 1] & low), n_a,
                              a_when, b_when, max_offset_s, out, m)
            elif e - s > MAX_SHARED:
                return BAIL, out[:0]
            else:
                m = _shared_run(packed, s, e, low, n_a, a_calling, a_called, b_calling,
                                b_called, a_when, b_when, max_offset_s, out, m)
        s = e
    return OK, out[:m]


@numba.njit(cache=True, nogil=True)
def _shared_run(  # type: ignore[no-untyped-def]
        packed, s, e, low, n_a, a_calling, a_called, b_calling, b_called, a_when,
        b_when, max_offset_s, out, m):
    """The pairs of a run of shared top bits holding several pairs: each row of A whose pair
    occurs exactly twice in the run, the other time in B."""
    for i in range(s, e):
        ri = np.int64(packed[i] & low)
        if ri >= n_a:
            continue
        ci, di = _pair_of(ri, n_a, a_calling, a_called, b_calling, b_called)
        count = 0
        partner = np.int64(-1)
        for j in range(s, e):
            rj = np.int64(packed[j] & low)
            cj, dj = _pair_of(rj, n_a, a_calling, a_called, b_calling, b_called)
            if cj == ci and dj == di:
                count += 1
                if j != i:
                    partner = rj
        if count == 2 and partner >= n_a:
            m = _emit(ri, partner, n_a, a_when, b_when, max_offset_s, out, m)
    return m


@numba.njit(cache=True, nogil=True, inline="always")
def _emit(r0, r1, n_a, a_when, b_when, max_offset_s, out, m):  # type: ignore[no-untyped-def]
    """Writes the offset of rows r0, r1 (one of each side) at ``out[m]`` when kept; the next
    free position."""
    lo, hi = min(r0, r1), max(r0, r1)
    if lo >= n_a or hi < n_a:  # both rows on one side
        return m
    ta, tb = a_when[lo], b_when[hi - n_a]
    if ta == _NAT or tb == _NAT:
        return m
    off = np.float64(ta - tb) / np.float64(_US)
    if abs(off) <= max_offset_s:
        out[m] = off
        m += 1
    return m
