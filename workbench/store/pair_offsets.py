"""Calls seen on both sides of a hand-off: rows paired on (calling, called) where the pair
occurs exactly once on each side, and the time between the two records of each.

This is what the clock-skew estimate rests on, over millions of rows per source. The rows
of both sides are put in pair order by one sort of a 64-bit mix of the two number keys (a
single vectorized sort, ~15x faster than a two-key ``lexsort`` or a pandas merge); two
different pairs that share a mix are detected, and the exact two-key sort is used instead,
so the result never depends on the mix.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from workbench.columns.times import NAT, US

_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: spreads nearby keys apart


class PairRows(NamedTuple):
    """One side's rows: number keys (-1: none), start time and the time to compare
    (the start itself, or the answer time; NAT where the row has none)."""

    calling: np.ndarray
    called: np.ndarray
    start: np.ndarray
    when: np.ndarray


def matched_offsets(a: PairRows, b: PairRows, max_offset_s: float) -> np.ndarray:
    """Seconds A-minus-B of every (calling, called) pair that occurs once among A's rows and
    once among B's (rows with both numbers and a start), where both have a time to compare,
    kept when within ``max_offset_s``. Order is unspecified (callers sort)."""
    ia, ib = matched_rows(a, b)
    ta, tb = a.when[ia], b.when[ib]
    both = (ta != NAT) & (tb != NAT)
    off = np.asarray((ta[both] - tb[both]) / US, dtype=np.float64)
    return off[np.abs(off) <= max_offset_s]


def matched_rows(a: PairRows, b: PairRows) -> tuple[np.ndarray, np.ndarray]:
    """Row positions (into A's and into B's arrays) of the calls both sides hold: each
    (calling, called) pair that occurs once among A's usable rows and once among B's."""
    ka, kb = np.flatnonzero(_usable(a)), np.flatnonzero(_usable(b))
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
    mixed = calling.astype(np.uint64) * _MIX + called.astype(np.uint64)
    order = np.argsort(mixed)
    ordered = mixed[order]
    same = ordered[1:] == ordered[:-1]
    left, right = order[:-1][same], order[1:][same]
    if (calling[left] == calling[right]).all() and (called[left] == called[right]).all():
        return order, np.append(True, ~same)
    order = np.lexsort((calling, called))  # two pairs share a mix: the exact order
    c1, c2 = calling[order], called[order]
    return order, np.append(True, (c1[1:] != c1[:-1]) | (c2[1:] != c2[:-1]))


def _usable(side: PairRows) -> np.ndarray:
    usable: np.ndarray = (side.calling >= 0) & (side.called >= 0) & (side.start != NAT)
    return usable
