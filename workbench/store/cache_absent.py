"""Columns that hold nothing, left out of a cache entry and rebuilt when it is reopened.

Most CDR files have no answer or end time and no STIR/SHAKEN fields: normalization fills
those columns with NAT or nulls so that every source has the same columns, and written out
they were a third of a cache entry (nine of 25 columns for a plain CSV). The cache writes
the columns that hold values and names the others, with the whole table's schema, in its
sealed metadata. A reopened entry gets them back, read-only, as views of memory that costs
little: zero pages never written for nulls and zeros (not resident), one buffer per (length,
value) for other constants, zero indices beside the one text of a dictionary column that
holds one text on every row, and a view of one shared count 0, 1, 2, ... for a column
that counts up by one from its first value (the line numbers of a file whose every row
became one record: 8 bytes a row of the entry). Nothing changes for the engine: the same
columns, types and values as the table that was written.
"""
from __future__ import annotations

import base64
import weakref
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from workbench.columns.arrow_numpy import strings, to_numpy

#: integer columns whose every value may be one constant (NAT times, -1 keys, 0 flags)
_INT_TYPES: dict[pa.DataType, np.dtype[Any]] = {
    pa.int8(): np.dtype(np.int8), pa.int16(): np.dtype(np.int16),
    pa.int32(): np.dtype(np.int32), pa.int64(): np.dtype(np.int64),
    pa.uint32(): np.dtype(np.uint32)}
_SHARED: weakref.WeakValueDictionary[tuple[str, int, int], np.ndarray] = \
    weakref.WeakValueDictionary()


def split(table: pa.Table) -> tuple[pa.Table, dict[str, Any]]:
    """(the columns worth writing, the description that rebuilds the others)."""
    absent: dict[str, int | dict[str, Any] | None] = {}
    for name, col in zip(table.column_names, table.columns):
        if col.null_count == len(col) and len(col):
            absent[name] = None  # every value null
        elif col.type in _INT_TYPES and col.null_count == 0 and len(col):
            value = _constant(col)
            if value is not None:
                absent[name] = value
            elif col.type == pa.int64():
                first = _counting_from(col)
                if first is not None:
                    absent[name] = {"count_from": first}
        elif pa.types.is_dictionary(col.type) and col.null_count == 0 and len(col):
            text = _one_text(col)
            if text is not None:
                absent[name] = {"text": text}
    if not absent:
        return table, {}
    schema = base64.b64encode(table.schema.serialize().to_pybytes()).decode("ascii")
    return table.drop_columns(list(absent)), {"schema": schema, "absent": absent,
                                              "rows": table.num_rows}


def restore(table: pa.Table, described: dict[str, Any]) -> pa.Table:
    """The written columns with the absent ones rebuilt, in the original order and types.
    Raises ValueError when the description does not fit the table (a damaged entry)."""
    if not described:
        return table
    schema = ipc.read_schema(pa.py_buffer(base64.b64decode(described["schema"])))
    absent, n = described["absent"], int(described["rows"])
    if table.num_rows != n or sorted(schema.names) != sorted([*table.column_names, *absent]):
        raise ValueError("the cached columns do not match their description")
    cols = [_rebuilt(f.type, n, absent[f.name]) if f.name in absent else table.column(f.name)
            for f in schema]
    return pa.table(cols, schema=schema)


def _constant(col: pa.ChunkedArray) -> int | None:
    """The one value of an integer column, if it has only one."""
    values = to_numpy(col)
    first = values[0]
    if values[-1] != first or (values[:4096] != first).any():
        return None  # the usual answer, known without reading the whole column
    return int(first) if (values == first).all() else None


def _counting_from(col: pa.ChunkedArray) -> int | None:
    """k when an int64 column is k, k+1, k+2, ... (the line numbers of a file whose every
    row became one record), with 0 <= k <= its length (so the shared count it is rebuilt
    from stays within four times the column's size); else None."""
    values = to_numpy(col)
    n, first = len(values), int(values[0])
    if not 0 <= first <= n or int(values[-1]) != first + n - 1:
        return None
    return first if np.array_equal(values, counting(first + n)[first:first + n]) else None


def _one_text(col: pa.ChunkedArray) -> str | None:
    """The one value of a dictionary-encoded text column that holds one value on every row
    (a single trunk, a single disposition), if it does: its indices are all 0, which a
    reopen rebuilds from zero pages, so they are not written (8 MB for 2 M rows)."""
    if col.num_chunks != 1 or not pa.types.is_string(col.type.value_type) or \
            col.type.index_type not in _INT_TYPES:
        return None
    chunk = col.chunk(0)
    if len(chunk.dictionary) != 1 or chunk.dictionary.null_count:
        return None
    indices = to_numpy(chunk.indices)
    if not (indices == 0).all():
        return None
    text: str = chunk.dictionary[0].as_py()
    return text


def _rebuilt(typ: pa.DataType, n: int, value: int | dict[str, Any] | None) -> pa.Array:
    if value is None:
        return _nulls(typ, n)
    if isinstance(value, dict) and "count_from" in value:  # k, k+1, ...: a view of one count
        first = value["count_from"]
        if typ != pa.int64() or type(first) is not int or not 0 <= first <= n:
            raise ValueError("a counting column described for another column")
        data = pa.py_buffer(counting(first + n)[first:first + n])
        return pa.Array.from_buffers(typ, n, [None, data], null_count=0)
    if isinstance(value, dict):  # one text on every row: indices all 0, over zero pages
        if not pa.types.is_dictionary(typ) or typ.index_type not in _INT_TYPES or \
                typ.value_type != pa.string():
            raise ValueError("a one-text column described for a column of another type")
        width = _INT_TYPES[typ.index_type].itemsize
        indices = pa.Array.from_buffers(typ.index_type, n, [None, _zeros(n * width)],
                                        null_count=0)
        # from buffers: pa.array() of a Python list imports pandas (+0.5 s CPU a warm trace)
        return pa.DictionaryArray.from_arrays(indices, strings([value["text"]]),
                                              ordered=typ.ordered)
    dtype = _INT_TYPES[typ]
    data = _zeros(n * dtype.itemsize) if value == 0 else pa.py_buffer(constant(n, value, dtype))
    return pa.Array.from_buffers(typ, n, [None, data], null_count=0)


def constant(n: int, value: int, dtype: np.dtype[Any] | type = np.int64) -> np.ndarray:
    """A read-only array of ``n`` times ``value``, one per (length, value, type) while any
    table uses it: every source without answer times can share one NAT column."""
    key = (np.dtype(dtype).str, n, value)
    shared = _SHARED.get(key)
    if shared is None:
        shared = np.full(n, value, dtype=dtype)
        shared.flags.writeable = False
        _SHARED[key] = shared
    return shared


def counting(stop: int) -> np.ndarray:
    """A read-only int64 array 0, 1, 2, ... of at least ``stop`` values, shared while any
    table uses it: the line numbers of every reopened source are views of one count (its
    length a power of two, so sources of similar sizes share it), 8 bytes a row neither
    written to nor read from the cache."""
    size = 1 << max(16, (max(stop, 1) - 1).bit_length())
    key = ("count", size, 0)
    shared = _SHARED.get(key)
    if shared is None:
        shared = np.arange(size, dtype=np.int64)
        shared.flags.writeable = False
        _SHARED[key] = shared
    return shared


def _nulls(typ: pa.DataType, n: int) -> pa.Array:
    """An all-null column of ``typ`` over zero pages (a string's offsets all 0)."""
    validity = _zeros((n + 7) // 8)
    if pa.types.is_dictionary(typ):
        width = _INT_TYPES[typ.index_type].itemsize
        indices = pa.Array.from_buffers(typ.index_type, n, [validity, _zeros(n * width)],
                                        null_count=n)
        return pa.DictionaryArray.from_arrays(indices, pa.nulls(0, typ.value_type))
    if pa.types.is_string(typ) or pa.types.is_binary(typ):
        return pa.Array.from_buffers(typ, n, [validity, _zeros(4 * (n + 1)), _zeros(0)],
                                     null_count=n)
    return pa.nulls(n, typ)  # other types: not made by normalization


def _zeros(size: int) -> pa.Buffer:
    """``size`` read-only zero bytes. A large ``np.zeros`` is fresh zero pages from the
    system (calloc): reading them maps the one shared zero page, so they are never resident."""
    zeros = np.zeros(size, dtype=np.uint8)
    zeros.flags.writeable = False
    return pa.py_buffer(zeros)
