"""Kamailio acc table export: a column's values with blanks and NULL literals as null.

``blank_to_null(col, NULL_TEXT, strip=True)`` trims every value first, a copy of the whole
column, though a database export rarely pads its values. Whitespace (ASCII or Unicode) starts
with a byte at or below a space or with a high byte and ends with one of those, so when no
value begins or ends with such a byte (two gathers over the offsets) the trim would change
nothing and is skipped. ``tests/test_kamailio_db_values.py`` compares both.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .common import NULL_TEXT, blank_to_null, text


def db_values(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``blank_to_null(col, NULL_TEXT, strip=True)``, trimming only where a value may need it."""
    arr = text(col)
    if _edges_plain(arr):
        return blank_to_null(arr, NULL_TEXT)
    return blank_to_null(arr, NULL_TEXT, strip=True)


def _edges_plain(arr: pa.Array) -> bool:
    """True when no value's first or last byte may belong to whitespace (is at or below a
    space, or is DEL or a high byte)."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return False
    n = len(arr)
    if n == 0:
        return True
    _, obuf, dbuf = arr.buffers()
    wide = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offs = np.frombuffer(obuf, wide)[arr.offset:arr.offset + n + 1].astype(np.int64)
    starts, ends = offs[:-1], offs[1:]
    full = ends > starts
    if not full.any():
        return True
    data = np.frombuffer(dbuf, np.uint8)
    for edge in (data[starts[full]], data[ends[full] - 1]):
        if ((edge <= 32) | (edge >= 127)).any():
            return False
    return True
