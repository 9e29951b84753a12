"""Stable sorting of int64 keys by 16-bit radix passes, and factorizing from that order.

numpy sorts 16-bit integers by radix (linear time) but wider ones by comparison. Telephone
number keys span ~33 bits, so three 16-bit passes order a million keys in about two thirds
of the time of ``np.argsort(kind="stable")``, and the sorted order also gives the distinct
keys and each row's code without hashing. Faster still, when a key's span and a row number
fit in 64 bits together (NANP keys of up to 2**30 rows): one plain sort of key-then-row.
"""
from __future__ import annotations

import numpy as np

_DIGIT = np.uint64(0xFFFF)


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """Indexes that sort ``values`` (int64), equal values kept in their original order."""
    return _stable_sort(values, False)[0]


def sort_with_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(``stable_argsort(values)``, ``values`` in that order): the sorted values come off
    the packed sort itself, without a gather through the order."""
    order, ordered = _stable_sort(values, True)
    return order, values[order] if ordered is None else ordered


def _stable_sort(values: np.ndarray, want_values: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    n = len(values)
    if n < 2:
        return np.arange(n, dtype=np.int64), values.copy()
    lo = int(values.min())
    span = int(values.max()) - lo
    if span == 0:
        return np.arange(n, dtype=np.int64), values.copy()
    shifted = values.astype(np.uint64) - np.uint64(lo % (1 << 64))  # wraps: exact span
    bits = (n - 1).bit_length()
    if span.bit_length() + bits <= 64:
        # Each key with its row number below it: all distinct, so numpy's (vectorized,
        # unstable) sort of one uint64 array gives the stable order, ~8x faster than radix.
        shifted <<= np.uint64(bits)
        shifted |= np.arange(n, dtype=np.uint64)
        shifted.sort()
        order = (shifted & np.uint64((1 << bits) - 1)).astype(np.int64)
        if not want_values:
            return order, None
        shifted >>= np.uint64(bits)  # the key's offset from lo, in sorted order
        ordered = shifted.view(np.int64)
        ordered += np.int64(lo)  # wraps back exactly, as the subtraction did
        return order, ordered
    return _radix_order(shifted, span), None


def _radix_order(shifted: np.ndarray, span: int) -> np.ndarray:
    """Stable order of non-negative keys by 16-bit radix passes."""
    order: np.ndarray | None = None
    for shift in range(0, span.bit_length(), 16):
        keys = shifted if order is None else shifted[order]
        digit = ((keys >> np.uint64(shift)) & _DIGIT).astype(np.uint16)
        step = np.argsort(digit, kind="stable")  # radix sort for 16-bit keys
        order = step if order is None else order[step]
    return order.astype(np.int64, copy=False)


def factorize_sorted(values: np.ndarray, order: np.ndarray | None = None,
                     ordered: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, codes, distinct): the stable sort order, each value's int32 code and the
    distinct values in ascending order, so that ``distinct[codes] == values``. ``ordered``:
    the values in ``order``'s order, when the caller has them (``sort_with_order``)."""
    if order is None:
        order, ordered = sort_with_order(values)
    elif ordered is None:
        ordered = values[order]
    new = np.empty(len(values), dtype=bool)
    if len(values):
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    codes = np.empty(len(values), dtype=np.int32)
    codes[order] = np.cumsum(new, dtype=np.int32) - 1
    return order, codes, ordered[new]
