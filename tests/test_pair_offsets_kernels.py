"""The compiled pairing of ``matched_offsets`` (``pair_offsets_kernels``) agrees with the
numpy passes it replaced (``tests/pair_offsets_oracle.py``), byte for byte once sorted (the
order was never specified: callers sort).

Hostile inputs: few distinct numbers (pairs held twice or more on a side, on both sides,
on one), missing numbers (-1), missing starts and compared times (NAT), keep masks, offsets
at and past the limit, times far apart (int64 wrap), empty sides, and packed keys with few
top bits left (``bits`` near 64) so that runs of shared top bits hold several pairs, long
enough ones sending the hand-off back to numpy (``BAIL``)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pair_offsets_oracle import numpy_offsets
from workbench.columns.times import NAT
from workbench.store import pair_offsets as po
from workbench.store import pair_offsets_kernels as k
from workbench.store.pair_offsets import PairRows

_NUM = st.one_of(st.just(-1), st.integers(0, 5), st.integers(0, 2**62))
_TIME = st.one_of(st.just(NAT), st.integers(0, 10**7), st.integers(-(2**62), 2**62))


def _rows(draw: st.DrawFn, n: int) -> PairRows:
    col = lambda s: np.array([draw(s) for _ in range(n)], dtype=np.int64)  # noqa: E731
    return PairRows(col(_NUM), col(_NUM), col(_TIME), col(_TIME))


@st.composite
def _sides(draw: st.DrawFn) -> tuple[PairRows, PairRows, np.ndarray | None, float]:
    a = _rows(draw, draw(st.integers(0, 30)))
    b = _rows(draw, draw(st.integers(0, 30)))
    if draw(st.booleans()):  # B repeats some of A's pairs, so they meet
        take = draw(st.lists(st.integers(0, max(len(a.calling) - 1, 0)), max_size=20))
        take = [t for t in take if t < len(a.calling)]
        gone = np.array([draw(st.booleans()) for _ in take], dtype=np.bool_)  # no start
        shift = np.array([draw(st.integers(-6 * 10**6, 6 * 10**6)) for _ in take], np.int64)
        copied = PairRows(a.calling[take], a.called[take],
                          np.where(gone, NAT, a.start[take] if take else NAT),
                          np.where(a.when[take] == NAT, NAT, a.when[take] + shift))
        b = PairRows(*(np.concatenate([y, x]) for x, y in zip(copied, b)))
    keep = None
    if draw(st.booleans()):
        keep = np.array([draw(st.booleans()) for _ in a.calling], dtype=np.bool_)
    limit = draw(st.sampled_from([0.0, 1.0, 5.0, 1e9, float(2**70)]))
    return a, b, keep, limit


def _compiled(a: PairRows, b: PairRows, limit: float, keep: np.ndarray | None,
              bits: int) -> tuple[int, np.ndarray]:
    """The kernels with a chosen row-number width (the wider, the fewer top bits)."""
    packed = k.packed_keys(a.calling, a.called, a.start,
                           keep if keep is not None else np.zeros(0, dtype=np.bool_),
                           keep is not None, b.calling, b.called, b.start, bits)
    packed.sort()
    status, off = k.offsets(packed, bits, a.calling, a.called, a.when, b.calling, b.called,
                            b.when, limit)
    return int(status), off


def _same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == np.float64
    assert np.sort(got).tobytes() == np.sort(want).tobytes()


@settings(max_examples=400, deadline=None)
@given(_sides())
def test_matched_offsets_as_the_numpy_passes(sides):
    a, b, keep, limit = sides
    got = po._compiled_offsets(a, b, limit, keep)
    assert got is not None  # short runs only: never left to numpy here
    _same(got, numpy_offsets(a, b, limit, keep))
    _same(po.matched_offsets(a, b, limit, keep), numpy_offsets(a, b, limit, keep))


@settings(max_examples=400, deadline=None)
@given(_sides(), st.sampled_from([58, 60, 62, 63]))
def test_runs_of_shared_top_bits(sides, bits):
    """With 1-6 top bits left most runs hold several pairs: each is sorted out exactly, or
    (a long one) the whole hand-off comes back as BAIL."""
    a, b, keep, limit = sides
    status, off = _compiled(a, b, limit, keep, bits)
    if status == k.BAIL:
        assert len(off) == 0
        return
    assert status == k.OK
    _same(off, numpy_offsets(a, b, limit, keep))


def test_a_long_shared_run_bails_and_numpy_answers():
    rng = np.random.default_rng(7)
    n = 3 * k.MAX_SHARED
    a = PairRows(rng.integers(0, 10**9, n), rng.integers(0, 10**9, n),
                 np.zeros(n, np.int64), rng.integers(0, 10**9, n))
    b = PairRows(*(x.copy() for x in a))
    status, off = _compiled(a, b, 1e9, None, 63)  # one top bit: runs of ~n rows
    assert status == k.BAIL and len(off) == 0
    assert len(numpy_offsets(a, b, 1e9)) == n  # every pair once a side
    _same(po.matched_offsets(a, b, 1e9), numpy_offsets(a, b, 1e9))


def test_large_hand_off_as_the_numpy_passes():
    """2**20 rows a side, pairs held once, twice and on one side only, with the filters'
    false positives in play."""
    rng = np.random.default_rng(11)
    n = 1 << 20
    calling = rng.integers(0, 40_000, n)
    called = rng.integers(0, 40_000, n)
    start = np.where(rng.random(n) < 0.01, NAT, rng.integers(0, 10**12, n))
    a = PairRows(calling, called, start, start)
    pick = rng.permutation(n)[: n // 2]
    b_when = start[pick] + rng.integers(-5 * 10**6, 5 * 10**6, len(pick))
    b = PairRows(np.concatenate([calling[pick], rng.integers(0, 40_000, n // 2)]),
                 np.concatenate([called[pick], rng.integers(0, 40_000, n // 2)]),
                 np.concatenate([start[pick], rng.integers(0, 10**12, n // 2)]),
                 np.concatenate([b_when, rng.integers(0, 10**12, n // 2)]))
    keep = rng.random(n) < 0.5
    for kp in (None, keep):
        want = numpy_offsets(a, b, 3.0, kp)
        assert len(want) > 1000
        got = po._compiled_offsets(a, b, 3.0, kp)
        assert got is not None
        _same(got, want)


@pytest.mark.parametrize("change", ["int32", "keep_int", "keep_short", "2d"])
def test_other_columns_keep_the_numpy_passes(change):
    a = PairRows(*(np.arange(4, dtype=np.int64) for _ in range(4)))
    b = a
    keep = None
    if change == "int32":
        a = a._replace(calling=a.calling.astype(np.int32))
    elif change == "keep_int":
        keep = np.ones(4, dtype=np.int64)
    elif change == "keep_short":
        keep = np.ones(3, dtype=np.bool_)
    else:
        a = a._replace(when=a.when.reshape(2, 2))
    assert po._compiled_offsets(a, b, 1.0, keep) is None
