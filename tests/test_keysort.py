"""Radix sorting and factorizing of int64 keys, and the (called, start) index built on them."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from workbench.columns import keysort
from workbench.columns.numbers import _normalize_by_distinct, normalize_numbers
from workbench.store.normalize import sort_order


@pytest.mark.parametrize("values", [
    [], [7], [3, 3, 3], [5, -1, 5, -1, 0],
    [2**62, -2**62, 0, 2**62, 1],  # span beyond 64 bits of signed difference
])
def test_stable_argsort_small_cases(values):
    v = np.array(values, dtype=np.int64)
    assert keysort.stable_argsort(v).tolist() == np.argsort(v, kind="stable").tolist()


@pytest.mark.parametrize("seed", range(5))
def test_stable_argsort_matches_numpy_on_phone_keys(seed):
    rng = np.random.default_rng(seed)
    n = 50_000
    keys = 12_000_000_000 + rng.integers(0, 3_000, n) * 2_654_435 % 8_000_000_000
    keys[rng.integers(0, n, 500)] = -1  # unparsed numbers
    keys[rng.integers(0, n, 50)] = 447_911_123_456  # international
    order = keysort.stable_argsort(keys)
    assert np.array_equal(order, np.argsort(keys, kind="stable"))
    got_order, codes, distinct = keysort.factorize_sorted(keys, order)
    assert np.array_equal(distinct, np.unique(keys))
    assert np.array_equal(distinct[codes], keys)
    assert codes.dtype == np.int32


@pytest.mark.parametrize("written", ["by start", "by end", "a few out of place", "shuffled"])
def test_sort_order_is_called_then_start_ties_in_file_order(written):
    rng = np.random.default_rng(1)
    n = 20_000
    called = 13_125_550_000 + rng.integers(0, 300, n)
    start = np.sort(rng.integers(0, 10_000, n)) * 1_000_000  # many equal starts
    if written == "by end":  # switches write the record at hang-up
        end = start + rng.integers(0, 600, n) * 1_000_000
        by_end = np.argsort(end, kind="stable")
        called, start = called[by_end], start[by_end]
    elif written == "a few out of place":
        start[::97] = rng.integers(0, 10_000, len(start[::97])) * 1_000_000
    elif written == "shuffled":
        start = rng.permutation(start)
    expect = np.lexsort((np.arange(n), start, called))
    assert np.array_equal(sort_order(called, start), expect)
    assert np.array_equal(sort_order(called, start, keysort.stable_argsort(called)), expect)


def _by_slow_path(values):
    res = _normalize_by_distinct(pa.array(values, pa.string()), "US")
    return res.key.tolist(), res.text.to_pylist(), res.flags.tolist()


@pytest.mark.parametrize("sort", [False, True])
def test_fast_nanp_path_agrees_with_the_general_rules(sort):
    values = ["+13125550143", "13125550143", "3125550143", "", None, "+1312555014",
              "1312555014x", "+2312555014", "0125550143", "1125550143", "+44 20 7946 0958",
              "sip:+13125550143@gw", "312-555-0143", "+131255501433", "3125550143 ",
              "9995550143", "+19995550143", "1", "31255501430", "+13125550143",
              "sip:+13125550143@10.0.0.1;user=phone", "SIP:3125550143@host", "sips:13125550143@h",
              "sip:+13125550143;npdi@h", "tel:+13125550143", "tel:+13125550143;ext=1",
              "tel:+1-312-555-0143", "<sip:+13125550143@h>", '"Bob" <sip:+13125550143@h>',
              "sip:+13125550143", "sip:+442079460958@h", "sip:@h", "tel:", "sip:",
              "(312) 555-0143", "312.555.0143", "+1 (312) 555-0143", "1-312-555-0143",
              "312 555 0143", "(312)555-0143 x12", "+1 312 555 01 43", "0 312 555 0143",
              "tel:+13125550143@x", "(012) 555-0143", "- - -", "+ 1 312 555 0143",
              "tel:3125550143;x=sip:4155550100@h", "tel:3125550143,sip:4155550100@h",
              "sip:3125550143@h;x=tel:4155550100"]
    rng = np.random.default_rng(3)
    base = len(values)
    for _ in range(3):  # shuffled copies, also as a sliced (offset) and chunked column
        values += list(rng.permutation(np.array(values[:base], dtype=object)))
    arr = pa.array(values, pa.string())
    for col in (arr, arr.slice(3), pa.chunked_array([arr.slice(0, 7), arr.slice(7)])):
        expect = _by_slow_path(col.to_pylist())
        res = normalize_numbers(col, "US", sort=sort)
        assert (res.key.tolist(), res.text.to_pylist(), res.flags.tolist()) == expect
        if sort:
            assert np.array_equal(res.order, np.argsort(res.key, kind="stable"))


def test_fast_nanp_last_value_empty_at_end_of_buffer():
    arr = pa.array(["3125550143", ""], pa.string())  # the empty value starts past the data
    res = normalize_numbers(arr, "US", sort=True)
    assert res.key.tolist() == [13125550143, -1]


def test_punctuated_layouts_in_a_long_column_agree_with_the_general_rules():
    """Over HEAD_ROWS values, one layout per length learnt from the head, then oddities of
    the same lengths later on: every value still gets what the general rules give it."""
    rng = np.random.default_rng(11)
    n = 6000
    npa, nxx, line = rng.integers(200, 999, n), rng.integers(200, 999, n), rng.integers(0, 9999, n)
    values = [f"({a}) {b}-{c:04d}" if i % 2 else f"{a}.{b}.{c:04d}"
              for i, (a, b, c) in enumerate(zip(npa, nxx, line))]
    values[4000:4010] = ["(312)-555-0143", "312-555.0143", "(312) 555 0143", "312 . 555.014",
                         "(012) 555-0143", "(312) 055-0143", "011 44 20 7946", "(31a) 555-0143",
                         "312.555.01434", "+1.312.555.0143"]
    arr = pa.array(values, pa.string())
    expect = _by_slow_path(values)
    res = normalize_numbers(arr, "US", sort=True)
    assert (res.key.tolist(), res.text.to_pylist(), res.flags.tolist()) == expect
