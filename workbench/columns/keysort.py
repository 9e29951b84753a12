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
    n = len(values)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    lo = int(values.min())
    span = int(values.max()) - lo
    if span == 0:
        return np.arange(n, dtype=np.int64)
    shifted = values.astype(np.uint64) - np.uint64(lo % (1 << 64))  # wraps: exact span
    bits = (n - 1).bit_length()
    if span.bit_length() + bits <= 64:
        # Each key with its row number below it: all distinct, so numpy's (vectorized,
        # unstable) sort of one uint64 array gives the stable order, ~8x faster than radix.
        shifted <<= np.uint64(bits)
        shifted |= np.arange(n, dtype=np.uint64)
        shifted.sort()
        return (shifted & np.uint64((1 << bits) - 1)).astype(np.int64)
    order: np.ndarray | None = None
    for shift in range(0, span.bit_length(), 16):
        keys = shifted if order is None else shifted[order]
        digit = ((keys >> np.uint64(shift)) & _DIGIT).astype(np.uint16)
        step = np.argsort(digit, kind="stable")  # radix sort for 16-bit keys
        order = step if order is None else order[step]
    return order.astype(np.int64, copy=False)


def factorize_sorted(values: np.ndarray, order: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(order, codes, distinct): the stable sort order, each value's int32 code and the
    distinct values in ascending order, so that ``distinct[codes] == values``."""
    if order is None:
        order = stable_argsort(values)
    ordered = values[order]
    new = np.empty(len(values), dtype=bool)
    if len(values):
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    codes = np.empty(len(values), dtype=np.int32)
    codes[order] = np.cumsum(new, dtype=np.int32) - 1
    return order, codes, ordered[new]
