"""The bytes of an Arrow string column as numpy views, for readers that look at raw text
position by position (phone numbers, fixed-layout dates) without a Python loop over rows."""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_numpy import scalar

PAD = 16  # bytes readable past the end of the last value


class TextBytes:
    """A string array's data buffer and each value's byte range; nulls read as empty
    strings, and the data has ``PAD`` spare bytes so fixed-offset reads never fall off."""

    def __init__(self, col: pa.Array | pa.ChunkedArray, *, pad: bool = True):
        """``pad=False`` for readers that never read past a value's last byte: the data is
        then the column's own buffer, not a copy with the spare bytes (it is still copied
        when shorter than ``PAD``, so a fixed-offset read below ``PAD`` stays in bounds)."""
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks() if col.num_chunks else pa.nulls(0, pa.string())
        if col.offset or col.null_count:  # (a Python "" here would import pandas)
            col = pc.fill_null(pa.concat_arrays([col]), scalar("", pa.string()))
        self.array = col
        bufs = col.buffers()
        offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(col) + 1).astype(np.int64)
        data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else \
            np.zeros(0, np.uint8)
        end = int(offsets[-1])
        if len(data) < (end + PAD if pad else max(end, PAD)):
            data = np.concatenate([data[:end], np.zeros(PAD, np.uint8)])
        self.data = data
        self.start, self.end = offsets[:-1], offsets[1:]

    @cached_property
    def length(self) -> np.ndarray:
        """Byte length of each value (made when first asked: the number readers need only
        the ranges)."""
        return self.end - self.start

    def __len__(self) -> int:
        return len(self.start)

    def at(self, rows: np.ndarray | None, i: int) -> np.ndarray:
        """Byte ``i`` of each value (of the given rows)."""
        base = self.start if rows is None else self.start[rows]
        return self.data[base + i]

    def grid(self, width: int) -> np.ndarray | None:
        """All values as rows of a (n, width) byte matrix when every value is that wide:
        a strided view, no copy."""
        n = len(self)
        if not n or not bool((self.length == width).all()):
            return None
        first = int(self.start[0])
        return self.data[first:first + n * width].reshape(n, width)
