"""The Arrow versions of ``freeswitch_legs.micros`` and its gateway patterns as they were
before the compiled loops (``freeswitch_legs_kernels``): the oracle of
``tests/test_freeswitch_legs_kernels.py``. Keep it as it is."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.ingest.formats.switches.freeswitch_record import us

_DIGITS = r"^[0-9]{1,16}$"
GATEWAY = r"^sofia/gateway/(?P<g>[^/]+)/"
SOFIA_HOST = r"^sofia/[^/]+/[^@]*@(?P<g>[^:;/>]+)"


def micros(arr: pa.Array, scale: int) -> pa.Array:
    plain = pc.fill_null(pc.match_substring_regex(arr, _DIGITS), False)
    n = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.int64())
    exact = pc.fill_null(pc.less_equal(n, 2**53 // scale), False)
    val = pc.multiply(n, scale)
    out = pc.if_else(pc.and_(exact, pc.greater(val, 0)), val, pa.scalar(None, pa.int64()))
    other = np.flatnonzero(~exact.to_numpy(zero_copy_only=False) & arr.is_valid().to_numpy(
        zero_copy_only=False))
    if len(other) == 0:
        return out
    vals = pa.array([us(v, scale) for v in arr.take(other).to_pylist()], pa.int64())
    mask = np.zeros(len(arr), bool)
    mask[other] = True
    return pc.replace_with_mask(out, pa.array(mask), vals)


def group(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.struct_field(pc.extract_regex(arr, pattern), [0])


def set_(arr: pa.Array) -> pa.Array:
    """``freeswitch_legs._set`` as it was."""
    if arr.null_count == len(arr):
        return arr
    empty = pc.equal(arr, "")
    if not pc.any(empty).as_py():
        return arr
    return pc.if_else(empty, pa.scalar(None, arr.type), arr)
