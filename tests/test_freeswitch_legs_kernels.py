"""The compiled loops of ``freeswitch_legs`` (``freeswitch_legs_kernels``: µs digit fields,
gateway patterns) give exactly what the Arrow expressions they replace gave
(``tests/freeswitch_legs_arrow.py``, the oracle), on hostile generated values: digit runs
of every length, the 2**53 edges, zeros, signs, spaces, non-ASCII digits, broken sofia
strings, nulls and sliced arrays. The Arrow path (small columns, numba not loaded) is
checked against the same oracle."""
from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import freeswitch_legs_arrow as oracle
from workbench.ingest.formats.switches import freeswitch_legs as fl
from workbench.ingest.formats.switches import freeswitch_legs_kernels  # noqa: F401 (numba)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
_EDGES = [2**53, 2**53 - 1, 2**53 + 1, 2**53 // 10**6, 2**53 // 10**6 + 1, 10**16 - 1,
          10**16, 2**63 - 1, 2**63, 2**64, 0, 1]
_DIGIT_TEXT = st.one_of(
    st.sampled_from(_EDGES).map(str),
    st.sampled_from(_EDGES).map(lambda n: "000" + str(n)),
    st.integers(0, 10**20).map(str),
    st.text("0123456789", min_size=0, max_size=22),
    st.sampled_from(["", "-1", "+1", " 1", "1 ", "1\n", "\n1", "1.0", "1e3", "0x10", "٣",
                     "１２", "00", "-0", "1_000", "NaN", "inf", "1718035231204512",
                     "1718035231", "9007199254", "9007199255"]),
    st.text(st.sampled_from("0123456789 +-.e\n٣é"), max_size=20))
_CHAN_TEXT = st.one_of(
    st.sampled_from(["sofia/gateway/gw/123", "sofia/gateway//x", "sofia/gateway/gw",
                     "sofia/gateway/gw/", "sofia/gateway/é/1", "Sofia/gateway/g/1",
                     "sofia/external/+1202@198.51.100.20", "sofia/ext/a@b:5060",
                     "sofia/ext/a@:5060", "sofia//a@b", "sofia/ext/a@b@c;x", "sofia/ext@b",
                     "sofia/ext/a/b@h>x", "sofia/ext/@h", "sofia/e/x@\n", "sofia/e/x@é;",
                     "sofia/", "sofia", "", " sofia/gateway/g/1", "sofia/gateway/g\n/1"]),
    st.builds(lambda a, b, c: f"sofia/{a}/{b}@{c}", st.text(max_size=6), st.text(max_size=6),
              st.text(max_size=8)),
    st.builds(lambda a, b: f"sofia/gateway/{a}/{b}", st.text(max_size=6), st.text(max_size=4)),
    st.text(st.sampled_from("sofia/gtwy@:;>é\n"), max_size=24))


@st.composite
def _column(draw: Any, values: Any) -> pa.Array:
    """A string column of ``values`` with nulls, maybe sliced."""
    vals = draw(st.lists(st.one_of(st.none(), values), max_size=40))
    arr = pa.array(vals, pa.string())
    if draw(st.booleans()) and len(arr) > 1:
        a = draw(st.integers(0, len(arr) - 1))
        arr = arr.slice(a, draw(st.integers(0, len(arr) - a)))
    return arr


@SETTINGS
@given(_column(_DIGIT_TEXT), st.sampled_from([1, 10**6]))
def test_micros_is_the_arrow_micros(arr: pa.Array, scale: int) -> None:
    want = oracle.micros(arr, scale)
    assert fl.micros(arr, scale).equals(want)
    assert fl._compiled(arr)


@SETTINGS
@given(_column(_CHAN_TEXT), st.sampled_from([fl._GATEWAY, fl._SOFIA_HOST]))
def test_gateway_is_the_regex(arr: pa.Array, pattern: str) -> None:
    assert fl._group(arr, pattern).equals(oracle.group(arr, pattern))


@SETTINGS
@given(_column(st.one_of(_DIGIT_TEXT, _CHAN_TEXT)))
def test_arrow_path_is_the_oracle(arr: pa.Array) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fl, "_compiled", lambda arr: False)
        for scale in (1, 10**6):
            assert fl.micros(arr, scale).equals(oracle.micros(arr, scale))
        for pattern in (fl._GATEWAY, fl._SOFIA_HOST):
            assert fl._group(arr, pattern).equals(oracle.group(arr, pattern))


def test_patterns_are_the_oracle_patterns() -> None:
    assert (fl._GATEWAY, fl._SOFIA_HOST, fl._DIGITS) == (oracle.GATEWAY, oracle.SOFIA_HOST,
                                                         oracle._DIGITS)


def test_all_null_and_empty_columns() -> None:
    for arr in (pa.array([], pa.string()), pa.array([None, None], pa.string()),
                pa.array([""], pa.string())):
        assert fl.micros(arr, 1).equals(oracle.micros(arr, 1))
        assert fl._group(arr, fl._SOFIA_HOST).equals(oracle.group(arr, fl._SOFIA_HOST))


@st.composite
def _columns_to_coalesce(draw: Any) -> tuple[Any, ...]:
    """Columns of one length, each all null, without null or mixed, maybe a text default."""
    rows = draw(st.integers(0, 6))
    kind = draw(st.sampled_from(["string", "int64"]))
    value = st.text(max_size=3) if kind == "string" else st.integers(-5, 5)
    cols: list[Any] = []
    for _ in range(draw(st.integers(1, 5))):
        how = draw(st.sampled_from(["null", "full", "mixed"]))
        if how == "null":
            vals: list[Any] = [None] * rows
        elif how == "full":
            vals = draw(st.lists(value, min_size=rows, max_size=rows))
        else:
            vals = draw(st.lists(st.one_of(st.none(), value), min_size=rows, max_size=rows))
        cols.append(pa.array(vals, getattr(pa, kind)()))
    if kind == "string" and draw(st.booleans()):
        cols.append(pa.scalar(draw(st.sampled_from(["", "inbound"]))))
    return tuple(cols)


@SETTINGS
@given(_columns_to_coalesce())
def test_coalesce_without_idle_columns_is_coalesce(cols: tuple[Any, ...]) -> None:
    got = fl._coalesce(*cols)
    want = pc.coalesce(*cols)
    assert got.type == want.type
    assert got.equals(want)


@SETTINGS
@given(_column(st.one_of(st.just(""), _CHAN_TEXT)))
def test_set_is_the_arrow_set(arr: pa.Array) -> None:
    assert fl._set(arr).equals(oracle.set_(arr))
