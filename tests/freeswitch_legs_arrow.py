"""The Arrow versions of ``freeswitch_legs.micros`` and its gateway patterns, as they were
before the compiled loops (``freeswitch_legs_kernels``): the oracle of
``tests/test_freeswitch_legs_kernels.py``. ``micros`` is the reader's own Arrow path (small
columns take it); the patterns and ``set_`` are kept as they were."""
from __future__ import annotations

from unittest.mock import patch

import pyarrow as pa
import pyarrow.compute as pc

from workbench.ingest.formats.switches import freeswitch_legs as legs

_DIGITS = r"^[0-9]{1,16}$"
GATEWAY = r"^sofia/gateway/(?P<g>[^/]+)/"
SOFIA_HOST = r"^sofia/[^/]+/[^@]*@(?P<g>[^:;/>]+)"


def micros(arr: pa.Array, scale: int) -> pa.Array:
    """``freeswitch_legs.micros`` by its Arrow kernels alone (the path of small columns)."""
    with patch.object(legs, "_compiled", lambda arr: False):
        return legs.micros(arr, scale)


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
