"""The (called, start) index takes the called-number order it is given without copying it
(``normalize._sorted_index``), yet ``sort_order`` leaves a caller's array as it was."""
from __future__ import annotations

import numpy as np

from workbench.columns import keysort
from workbench.store.normalize import _sorted_index, sort_order


def test_sort_order_leaves_the_callers_order_alone():
    called = np.array([5, 5, 5, 3, 3], dtype=np.int64)
    start = np.array([30, 10, 20, 2, 1], dtype=np.int64)  # out of order within each number
    by_called = keysort.stable_argsort(called)
    before = by_called.copy()
    assert sort_order(called, start, by_called).tolist() == [4, 3, 1, 2, 0]
    assert by_called.tolist() == before.tolist()


def test_index_of_a_read_only_or_narrow_order():
    called = np.array([5, 5, 3, 3], dtype=np.int64)
    start = np.array([2, 1, 2, 1], dtype=np.int64)
    for order in (np.array([2, 3, 0, 1], dtype=np.int32), np.array([2, 3, 0, 1])):
        order.flags.writeable = False
        rows, key, when = _sorted_index(called, start, order)
        assert rows.dtype == np.int64 and rows.tolist() == [3, 2, 1, 0]
        assert key.tolist() == [3, 3, 5, 5] and when.tolist() == [1, 2, 1, 2]
