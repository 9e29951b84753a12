"""Calls seen on both sides of a hand-off: rows paired on (calling, called) where the pair
occurs exactly once on each side, and the time between the two records of each.

This is what the clock-skew estimate rests on, over millions of rows per source. The rows
of both sides are put in pair order by one sort of a 64-bit mix of the two number keys (a
single vectorized sort, ~15x faster than a two-key ``lexsort`` or a pandas merge); two
different pairs that share a mix are detected, and the exact two-key sort is used instead,
so the result never depends on the mix.

Large hand-offs are paired by the compiled loops of ``pair_offsets_kernels`` (rows that
cannot pair filtered out first, then a packed sort of the rest); both give the same offsets.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.arrow_numpy import strings, to_numpy
from workbench.columns.times import NAT, US
from workbench.common.compiled import worth_compiling

_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: spreads nearby keys apart


class PairRows(NamedTuple):
    """One side's rows: number keys (-1: none), start time and the time to compare
    (the start itself, or the answer time; NAT where the row has none)."""

    calling: np.ndarray
    called: np.ndarray
    start: np.ndarray
    when: np.ndarray


#: The times ``CdrStore.pair_offsets`` may compare.
PAIR_TIMES = ("start", "answer")


def pair_times(times: tuple[str, str]) -> tuple[str, str]:
    """``times`` checked: each "start" or "answer" (the names reach SQL text)."""
    if len(times) != 2 or any(t not in PAIR_TIMES for t in times):
        raise ValueError(f"pair times must be 'start' or 'answer', not {times!r}")
    return times[0], times[1]


def ingress_rows(ingress: pa.ChunkedArray, names: Sequence[str]) -> np.ndarray:
    """Which rows arrived on one of the trunks ``names`` (bool per row; a null is no).

    A dictionary column is answered from its codes: the few trunk names are looked up
    once per chunk and each row takes its code's answer (a cast to plain strings of 2 M
    rows, then a lookup per row, cost ~0.05 s per hand-off). Any other type: the plain
    lookup."""
    if not all(pa.types.is_dictionary(c.type) for c in ingress.chunks) or \
            not pa.types.is_string(ingress.type.value_type) or not ingress.num_chunks:
        return _ingress_rows_plain(ingress, names)
    wanted = strings(list(names))
    parts = []
    for chunk in ingress.chunks:
        known = pc.is_in(chunk.dictionary, value_set=wanted).fill_null(False)
        answer = np.append(to_numpy(known).astype(bool), False)  # last: a null row's answer
        codes = _raw_codes(chunk.indices)
        if chunk.null_count:
            codes[~to_numpy(chunk.is_valid())] = len(answer) - 1
        if len(codes) and (codes.min() < 0 or codes.max() >= len(answer)):
            raise ValueError("a dictionary code outside its dictionary")  # damaged data
        parts.append(answer[codes])
    return np.concatenate(parts) if len(parts) != 1 else parts[0]


def _raw_codes(indices: pa.Array) -> np.ndarray:
    """A dictionary chunk's codes as a writable intp array, whatever lies under null slots."""
    if not len(indices):
        return np.zeros(0, dtype=np.intp)
    dtype = to_numpy(indices.slice(0, 0)).dtype  # an integer type: Arrow's rule for codes
    raw = np.frombuffer(indices.buffers()[1], dtype=dtype, count=len(indices),
                        offset=indices.offset * dtype.itemsize)
    return raw.astype(np.intp)


def _ingress_rows_plain(ingress: pa.ChunkedArray, names: Sequence[str]) -> np.ndarray:
    hit = pc.is_in(ingress.cast(pa.string()), value_set=pa.array(list(names), pa.string()))
    mask: np.ndarray = hit.fill_null(False).to_numpy(zero_copy_only=False)
    return mask


def matched_offsets(a: PairRows, b: PairRows, max_offset_s: float,
                    keep: np.ndarray | None = None) -> np.ndarray:
    """Seconds A-minus-B of every (calling, called) pair that occurs once among A's rows and
    once among B's (rows with both numbers and a start), where both have a time to compare,
    kept when within ``max_offset_s``. Order is unspecified (callers sort).

    ``keep`` (bool per A row) limits A to those rows: the same answer as A's arrays masked
    by it, without copying four columns first."""
    if worth_compiling(len(a.calling) + len(b.calling), KERNEL_ROWS):
        compiled = _compiled_offsets(a, b, max_offset_s, keep)
        if compiled is not None:
            return compiled
    ia, ib = matched_rows(a, b, keep)
    ta, tb = a.when[ia], b.when[ib]
    both = (ta != NAT) & (tb != NAT)
    off = np.asarray((ta[both] - tb[both]) / US, dtype=np.float64)
    return off[np.abs(off) <= max_offset_s]


#: Hand-offs of at least this many rows (both sides) are paired by the compiled loops:
#: loading numba costs ~0.3 s of CPU once a process, which the numpy passes spend on some
#: 4 M rows. Smaller ones keep the numpy passes unless numba is loaded already.
KERNEL_ROWS = 1 << 22


def _compiled_offsets(a: PairRows, b: PairRows, max_offset_s: float,
                      keep: np.ndarray | None) -> np.ndarray | None:
    """``matched_offsets`` by the compiled loops; None where they do not apply (columns not
    int64, too many rows for the packed key, a run they leave to numpy)."""
    columns = (*a, *b)
    if any(c.dtype != np.int64 or c.ndim != 1 for c in columns) or \
            len({len(c) for c in a}) != 1 or len({len(c) for c in b}) != 1 or \
            (keep is not None and (keep.dtype != np.bool_ or len(keep) != len(a.calling))):
        return None
    bits = (len(a.calling) + len(b.calling) - 1).bit_length()
    if bits > MAX_ROW_BITS:
        return None
    from workbench.store import pair_offsets_kernels as k
    packed = k.packed_keys(a.calling, a.called, a.start,
                           keep if keep is not None else np.zeros(0, dtype=np.bool_),
                           keep is not None, b.calling, b.called, b.start, bits)
    packed.sort()
    status, off = k.offsets(packed, bits, a.calling, a.called, a.when, b.calling, b.called,
                            b.when, float(max_offset_s))
    return off if status == k.OK else None


def matched_rows(a: PairRows, b: PairRows, keep: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (into A's and into B's arrays) of the calls both sides hold: each
    (calling, called) pair that occurs once among A's usable rows (those ``keep`` names,
    when given) and once among B's."""
    usable_a = _usable(a)
    if keep is not None:
        usable_a &= keep
    ka, kb = np.flatnonzero(usable_a), np.flatnonzero(_usable(b))
    n_a = len(ka)
    calling = np.concatenate([a.calling[ka], b.calling[kb]])
    called = np.concatenate([a.called[ka], b.called[kb]])
    if n_a == 0 or n_a == len(calling):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order, new = pair_runs(calling, called)
    ends = np.concatenate([new, [True, True]])
    two = np.flatnonzero(ends[:-2] & ~ends[1:-1] & ends[2:])  # a pair held by two rows ...
    lo, hi = order[two], order[two + 1]
    mixed = (lo < n_a) != (hi < n_a)  # ... one on each side
    lo, hi = lo[mixed], hi[mixed]
    return ka[np.minimum(lo, hi)], kb[np.maximum(lo, hi) - n_a]  # A's rows come first


def pair_runs(calling: np.ndarray, called: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A row order that puts equal (calling, called) pairs next to each other, and where a
    new pair starts in that order (True at the first row of each run)."""
    mixed = calling.astype(np.uint64)  # in place from here: no further temporaries
    mixed *= _MIX
    mixed += called.view(np.uint64) if called.dtype == np.int64 else \
        called.astype(np.uint64)  # a view: the bits astype gives, without the copy
    bits = (len(mixed) - 1).bit_length()
    if len(mixed) < 2 or bits > MAX_ROW_BITS:
        return _runs_by_argsort(calling, called, mixed)
    return _runs_by_packed_sort(calling, called, mixed, bits)


#: Row numbers take the low bits of the packed sort key (``_runs_by_packed_sort``); past this
#: many the mix keeps too few bits and ``np.argsort`` of the whole mix is used instead.
MAX_ROW_BITS = 40


def _runs_by_packed_sort(calling: np.ndarray, called: np.ndarray, mixed: np.ndarray,
                         bits: int) -> tuple[np.ndarray, np.ndarray]:
    """``pair_runs`` by one sort of plain uint64 values (numpy's vectorized sort, ~5x faster
    than ``np.argsort``): the mix's top bits with the row number below them. The rare runs of
    top bits shared by different pairs are then ordered by the whole mix, so the runs come
    out as ``np.argsort`` of the mix gives them."""
    shift = np.uint64(bits)
    packed = (mixed >> shift) << shift
    packed |= np.arange(len(mixed), dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << bits) - 1)).view(np.int64)  # row numbers: no copy
    packed >>= shift  # the mix's top bits, in that order
    same = packed[1:] == packed[:-1]
    del packed
    at = np.flatnonzero(same)
    left, right = order[at], order[at + 1]
    differ = (calling[left] != calling[right]) | (called[left] != called[right])
    if not differ.any():
        return order, np.append(True, ~same)
    # runs of shared top bits holding more than one pair (a few): those rows by the whole mix
    bounds = np.concatenate(([-1], np.flatnonzero(~same), [len(same)]))  # runs' last rows
    k = np.unique(np.searchsorted(bounds, at[differ]))  # the runs holding such a pair
    first, last = bounds[k - 1] + 1, bounds[k]
    sizes = last - first + 1
    run = np.repeat(np.arange(len(k)), sizes)
    rows = np.repeat(first - np.cumsum(sizes) + sizes, sizes) + np.arange(int(sizes.sum()))
    full = mixed[order[rows]]
    by = np.lexsort((full, run))
    order[rows] = order[rows][by]
    full = full[by]
    inner = np.flatnonzero(run[1:] == run[:-1])
    same[rows[inner]] = full[inner + 1] == full[inner]
    left, right = order[:-1][same], order[1:][same]
    if (calling[left] == calling[right]).all() and (called[left] == called[right]).all():
        return order, np.append(True, ~same)
    return _exact_runs(calling, called)  # two pairs share the whole mix


def _runs_by_argsort(calling: np.ndarray, called: np.ndarray, mixed: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(mixed)
    ordered = mixed[order]
    same = ordered[1:] == ordered[:-1]
    left, right = order[:-1][same], order[1:][same]
    if (calling[left] == calling[right]).all() and (called[left] == called[right]).all():
        return order, np.append(True, ~same)
    return _exact_runs(calling, called)


def _exact_runs(calling: np.ndarray, called: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two pairs share a mix: the exact two-key order."""
    order = np.lexsort((calling, called))
    c1, c2 = calling[order], called[order]
    return order, np.append(True, (c1[1:] != c1[:-1]) | (c2[1:] != c2[:-1]))


def _usable(side: PairRows) -> np.ndarray:
    usable: np.ndarray = (side.calling >= 0) & (side.called >= 0) & (side.start != NAT)
    return usable
