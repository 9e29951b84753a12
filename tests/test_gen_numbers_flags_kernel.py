"""The compiled ``nanp_validity`` and ``factorize_sorted`` of ``numbers_kernels`` against the
numpy passes they replace on the compiled path (``numbers._validity`` and
``keysort.factorize_sorted``, kept as the oracles and as the short-column path)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.columns import keysort
from workbench.columns import numbers as num
from workbench.columns import numbers_kernels as nk

_CODE = st.one_of(st.integers(0, 999), st.sampled_from(
    [0, 99, 100, 199, 200, 201, 211, 290, 299, 311, 555, 811, 900, 911, 989, 999]))
_LINE = st.one_of(st.integers(0, 9999), st.sampled_from([0, 99, 100, 150, 199, 200, 9999]))
_NANP = st.builds(lambda npa, nxx, line: 10_000_000_000 + npa * 10_000_000 + nxx * 10_000 + line,
                  _CODE, _CODE, _LINE)
#: NANP keys around every rule's boundary, the range's own edges, foreign and hostile keys
_KEY = st.one_of(_NANP, st.integers(-2**63, 2**63 - 1), st.sampled_from(
    [-1, 0, 1, 11_999_999_999, 12_000_000_000, 19_999_999_999, 20_000_000_000, 442071234567,
     4930123456, 33142685300, 2**63 - 1, -2**63]))


@settings(max_examples=400, deadline=None)
@given(keys=st.lists(_KEY, max_size=120))
def test_entry_flags_compiled_as_the_numpy_passes(keys):
    key = np.array(keys, dtype=np.int64)
    want = num._validity(key, np.ones(len(key), bool))
    assert num._entry_flags(key, False).tolist() == want.tolist()
    got = num._entry_flags(key, True)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()


_SORT_KEYS = st.lists(st.one_of(
    st.integers(12_000_000_000, 12_000_000_020),  # repeats
    st.integers(10_000_000_000, 99_999_999_999),
    st.integers(-2**63, 2**63 - 1),  # spans too wide for the packed sort: the radix order
    st.sampled_from([-1, 0, 1, 2**63 - 1, -2**63])), min_size=0, max_size=300)


@settings(max_examples=400, deadline=None)
@given(keys=_SORT_KEYS)
def test_factorize_sorted_compiled_as_the_numpy_passes(keys):
    key = np.array(keys, dtype=np.int64)
    order, ordered = keysort.sort_with_order(key)
    want_order, want_idx, want_distinct = keysort.factorize_sorted(key, order, ordered)
    for compiled in (False, True):
        idx, distinct = num._factorize_sorted(key, order, ordered, compiled)
        assert idx.dtype == want_idx.dtype and distinct.dtype == want_distinct.dtype
        assert idx.tolist() == want_idx.tolist()
        assert distinct.tolist() == want_distinct.tolist()
    assert want_order is order


def test_kernels_at_scale():
    """A called column's worth of keys, repeats and foreign numbers mixed in."""
    rng = np.random.default_rng(11)
    key = 10_000_000_000 + rng.integers(0, 10_000_000_000, 300_000)
    key[rng.integers(0, len(key), 2000)] = 442071234567
    key[rng.integers(0, len(key), 50_000)] = key[:50_000]
    order, ordered = keysort.sort_with_order(key)
    _, want_idx, want_distinct = keysort.factorize_sorted(key, order, ordered)
    idx, distinct = num._factorize_sorted(key, order, ordered, True)
    assert np.array_equal(idx, want_idx) and np.array_equal(distinct, want_distinct)
    flags = np.empty(len(distinct), np.uint8)
    assert nk.nanp_validity(distinct, num._BAD_NPA, num._BAD_NXX, flags) > 0
    assert np.array_equal(num._entry_flags(distinct, True),
                          num._validity(distinct, np.ones(len(distinct), bool)))


_SORTABLE = st.lists(st.one_of(
    st.integers(12_000_000_000, 12_000_000_010),
    st.integers(0, 99_999_999_999),
    st.integers(0, 2**63 - 1),  # spans too wide to pack: the numpy passes
    st.sampled_from([0, 1, 2**62, 2**63 - 1])), min_size=0, max_size=300)


@settings(max_examples=400, deadline=None)
@given(keys=_SORTABLE)
def test_sort_with_order_compiled_as_keysort(keys):
    key = np.array(keys, dtype=np.int64)
    want_order, want_sorted = keysort.sort_with_order(key)
    for compiled in (False, True):
        order, ordered = num._sort_with_order(key, compiled)
        assert order.dtype == want_order.dtype and ordered.dtype == want_sorted.dtype
        assert order.tolist() == want_order.tolist()
        assert ordered.tolist() == want_sorted.tolist()


def test_sort_with_order_packed_at_scale():
    rng = np.random.default_rng(3)
    key = 12_000_000_000 + rng.integers(0, 8_000_000_000, 400_000)
    key[rng.integers(0, len(key), 100_000)] = key[:100_000]
    want_order, want_sorted = keysort.sort_with_order(key)
    order, ordered = num._sort_with_order(key, True)
    assert np.array_equal(order, want_order) and np.array_equal(ordered, want_sorted)
