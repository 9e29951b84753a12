"""Arrow arrays to and from numpy by their buffers, without pyarrow's pandas shim.

pyarrow consults pandas in most conversions: ``pa.array``/``pa.scalar`` on Python or numpy
values, ``Array.to_numpy`` and ``np.asarray(array)`` (the C++ converter is the pandas one),
a Python value passed to a compute kernel (it becomes ``pa.scalar``), a timestamp's
``as_py``. With pandas installed, the first such call imports it: ~0.17 s, a third of a warm
``workbench trace`` that otherwise needs a few milliseconds of work. The paths a warm trace
takes go through these helpers instead, which read or build the Arrow buffers directly
(zero-copy where the layouts agree). Anything they do not cover (nulls in a numeric
column, nested types) falls back to pyarrow's own conversion: same values, only slower to
start.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NP_OF_ARROW: dict[pa.DataType, np.dtype[Any]] = {
    pa.int8(): np.dtype(np.int8), pa.int16(): np.dtype(np.int16),
    pa.int32(): np.dtype(np.int32), pa.int64(): np.dtype(np.int64),
    pa.uint8(): np.dtype(np.uint8), pa.uint16(): np.dtype(np.uint16),
    pa.uint32(): np.dtype(np.uint32), pa.uint64(): np.dtype(np.uint64),
    pa.float32(): np.dtype(np.float32), pa.float64(): np.dtype(np.float64),
}
_ARROW_OF_NP = {v: k for k, v in _NP_OF_ARROW.items()}


def to_numpy(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of a numeric or boolean array without nulls as numpy: a read-only view of
    the Arrow buffer for one chunk of a fixed-width type, a copy for booleans (bit-packed)
    or several chunks. Timestamps and durations come back as their int64 counts, strings
    as an object array (None for null). Other types, and numeric arrays with nulls, go
    through pyarrow's ``to_numpy(zero_copy_only=False)``."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return np.array(arr.to_pylist(), dtype=object)
    if pa.types.is_timestamp(arr.type) or pa.types.is_duration(arr.type):
        arr = arr.cast(pa.int64())  # the same buffer, read as counts
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            return to_numpy(arr.chunk(0))
        dtype = _np_dtype(arr.type)
        if dtype is None or arr.null_count:
            whole: np.ndarray = arr.to_numpy()
            return whole
        if not arr.num_chunks:
            return np.empty(0, dtype)
        return np.concatenate([to_numpy(c) for c in arr.chunks])
    dtype = _np_dtype(arr.type)
    if dtype is None or arr.null_count:
        converted: np.ndarray = arr.to_numpy(zero_copy_only=False)
        return converted
    n, off = len(arr), arr.offset
    data = arr.buffers()[1]
    if dtype == np.bool_:
        if not n:
            return np.zeros(0, dtype=bool)
        first, last = off // 8, (off + n + 7) // 8
        bits = np.frombuffer(data, dtype=np.uint8, count=last - first, offset=first)
        return np.unpackbits(bits, bitorder="little")[off % 8:off % 8 + n].view(np.bool_)
    if not n:
        return np.empty(0, dtype)
    view = np.frombuffer(data, dtype=dtype, count=n, offset=off * dtype.itemsize)
    view.flags.writeable = False  # Arrow data is immutable (pyarrow's views are read-only too)
    return view


def _np_dtype(t: pa.DataType) -> np.dtype[Any] | None:
    if t in _NP_OF_ARROW:
        return _NP_OF_ARROW[t]
    if pa.types.is_boolean(t):
        return np.dtype(np.bool_)
    return None


def from_numpy(values: np.ndarray | Sequence[int] | Sequence[float],
               type: pa.DataType | None = None) -> pa.Array:
    """A numeric or boolean numpy array (or a list of Python ints/floats/bools) as an Arrow
    array without nulls, sharing the numpy buffer when it is contiguous. ``type`` casts
    (checked, as ``pa.array`` does) when it differs from the values' own type; an int64
    array given a timestamp or duration type is taken as its counts."""
    arr = np.ascontiguousarray(values)
    if arr.ndim != 1:
        raise ValueError(f"expected one dimension, got {arr.ndim}")
    if arr.dtype == np.bool_:
        bits = np.packbits(arr, bitorder="little")
        out = pa.Array.from_buffers(pa.bool_(), len(arr), [None, pa.py_buffer(bits)])
    elif arr.dtype in _ARROW_OF_NP:
        natural = _ARROW_OF_NP[arr.dtype]
        if type is not None and arr.dtype == np.int64 and (
                pa.types.is_timestamp(type) or pa.types.is_duration(type)):
            natural = type
        out = pa.Array.from_buffers(natural, len(arr), [None, pa.py_buffer(arr)])
    else:
        raise TypeError(f"no Arrow array for numpy {arr.dtype} here")
    return out if type is None or out.type == type else out.cast(type)


def strings(values: Sequence[str | None]) -> pa.Array:
    """Python strings (None for null) as an Arrow ``string`` array built from its offsets,
    validity and UTF-8 data."""
    encoded = [b"" if v is None else v.encode("utf-8") for v in values]
    n = len(encoded)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:
        raise ValueError("more than 2 GiB of text in one array")
    nulls = [v is None for v in values]
    validity = pa.py_buffer(np.packbits(~np.asarray(nulls, dtype=bool), bitorder="little")) \
        if any(nulls) else None
    return pa.Array.from_buffers(pa.string(), n, [
        validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(encoded))])


def text_array(offs: np.ndarray, buf: np.ndarray, valid: np.ndarray) -> pa.Array:
    """A ``string`` array from a compiled loop's buffers: offsets (int32 or int64, one more
    than the rows), the UTF-8 bytes and one bool per row (False: null). Offsets past 2 GiB
    make a ``large_string`` array first, cast to ``string`` (which fails past its limit).
    One builder for every compiled reader (FreeSWITCH documents and legs, PASSporT claims)."""
    rows = len(valid)
    nulls = rows - int(np.count_nonzero(valid))
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little")) if nulls else None
    if offs[-1] < 2**31 - 1:
        return pa.StringArray.from_buffers(rows, pa.py_buffer(offs.astype(np.int32, copy=False)),
                                           pa.py_buffer(buf), bitmap, nulls)
    return pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offs), pa.py_buffer(buf), bitmap,
                                            nulls).cast(pa.string())


def scalar(value: int | float | bool | str | None, type: pa.DataType) -> pa.Scalar:
    """An Arrow scalar of ``type`` (for a compute kernel's argument), made as element 0 of
    a one-value array rather than by ``pa.scalar``."""
    if value is None:
        return pa.nulls(1, type)[0]
    if pa.types.is_string(type) or pa.types.is_large_string(type):
        return strings([str(value)]).cast(type)[0]
    return from_numpy(np.asarray([value]), type)[0]


def coded_texts(arr: pa.Array) -> tuple[np.ndarray, list[str | None]]:
    """A text column as int64 codes into a list of its distinct values, None last (the code
    of a null): a dictionary column by its own dictionary, any other encoded first. Python
    strings made once per distinct value (``to_pylist`` of a dictionary array makes a
    scalar per value, ≈ 25x slower)."""
    coded = arr if pa.types.is_dictionary(arr.type) else arr.dictionary_encode()
    values: list[str | None] = coded.dictionary.cast(pa.string()).to_pylist() + [None]
    idx = coded.indices
    if idx.null_count:
        idx = idx.fill_null(scalar(len(values) - 1, idx.type))
    return to_numpy(idx).astype(np.int64), values


def string_chunk_buffers(chunk: pa.Array, pad: int = 0
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(int32 offsets, the data bytes, the validity as one uint8 per row, empty when there
    is no null) of a string array, as views where Arrow allows: what the compiled loops read.
    ``pad``: a data buffer shorter than that is copied with spare zero bytes after it (a loop
    reading eight-byte words)."""
    n = len(chunk)
    bufs = chunk.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else \
        np.zeros(0, np.uint8)
    if len(data) < pad:
        data = np.concatenate([data, np.zeros(pad, np.uint8)])
    valid = to_numpy(pc.is_valid(chunk)).view(np.uint8) if chunk.null_count else \
        np.zeros(0, np.uint8)
    return offsets, data, valid

