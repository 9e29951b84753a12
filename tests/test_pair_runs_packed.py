"""``pair_runs`` by a packed sort agrees with the plain ``np.argsort`` of the mix it replaced.

The packed sort keeps only the mix's top bits above the row number: runs of top bits shared
by different pairs are ordered by the whole mix afterwards. Here the row bits are made large
(few mix bits left) so such runs are common, and pairs that share the whole 64-bit mix are
built on purpose, to reach the exact two-key fallback."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.store import pair_offsets as po
from workbench.store.pair_offsets import PairRows, matched_rows

_MIX = 0x9E3779B97F4A7C15


def _old_pair_runs(calling: np.ndarray, called: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The code before the packed sort, kept as the oracle."""
    mixed = calling.astype(np.uint64) * po._MIX + called.astype(np.uint64)
    order = np.argsort(mixed)
    ordered = mixed[order]
    same = ordered[1:] == ordered[:-1]
    left, right = order[:-1][same], order[1:][same]
    if (calling[left] == calling[right]).all() and (called[left] == called[right]).all():
        return order, np.append(True, ~same)
    order = np.lexsort((calling, called))
    c1, c2 = calling[order], called[order]
    return order, np.append(True, (c1[1:] != c1[:-1]) | (c2[1:] != c2[:-1]))


def _runs(order: np.ndarray, new: np.ndarray, n: int) -> list[tuple[int, ...]]:
    starts = np.flatnonzero(new[:n]).tolist() + [n]
    return [tuple(sorted(order[a:b].tolist())) for a, b in zip(starts, starts[1:])]


def _twin(c: int, d: int) -> tuple[int, int]:
    """Another pair with the same 64-bit mix as (c, d)."""
    d2 = (d - _MIX) % (1 << 64)
    return c + 1, d2 - (1 << 64) if d2 >= 1 << 63 else d2


_KEYS = st.one_of(st.integers(-1, 6), st.integers(12_000_000_000, 12_000_000_004))


@settings(max_examples=150, deadline=None)
@given(pairs=st.lists(st.tuples(_KEYS, _KEYS), max_size=60), twins=st.booleans(),
       row_bits=st.one_of(st.none(), st.integers(6, 62)))
def test_packed_runs_are_the_argsort_runs(pairs, twins, row_bits):
    if twins and pairs:
        pairs = pairs + [_twin(*pairs[0])] * 2
    calling = np.array([p[0] for p in pairs], dtype=np.int64)
    called = np.array([p[1] for p in pairs], dtype=np.int64)
    n = len(pairs)
    mixed = calling.astype(np.uint64) * po._MIX + called.astype(np.uint64)
    if row_bits is None or n < 2:
        got = po.pair_runs(calling, called)
    else:  # few mix bits left: runs of shared top bits holding several pairs are common
        got = po._runs_by_packed_sort(calling, called, mixed, max(row_bits, (n - 1).bit_length()))
    want = _old_pair_runs(calling, called)
    assert _runs(*got, n) == _runs(*want, n)
    assert sorted(got[0].tolist()) == list(range(n))


@settings(max_examples=80, deadline=None)
@given(a=st.lists(st.tuples(_KEYS, _KEYS), max_size=40),
       b=st.lists(st.tuples(_KEYS, _KEYS), max_size=40))
def test_matched_rows_as_before(a, b):
    def side(pairs):
        c = np.array([p[0] for p in pairs], dtype=np.int64)
        d = np.array([p[1] for p in pairs], dtype=np.int64)
        s = np.zeros(len(pairs), dtype=np.int64)
        return PairRows(c, d, s, s)
    got = matched_rows(side(a), side(b))
    saved = po.pair_runs
    po.pair_runs = _old_pair_runs
    try:
        want = matched_rows(side(a), side(b))
    finally:
        po.pair_runs = saved
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
