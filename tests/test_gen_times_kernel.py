"""The compiled ISO reader (``columns.times_kernels.iso_us``) against Arrow's cast it
replaces for whole columns (kept here as the oracle): wherever the kernel reads a column,
its microseconds are Arrow's; wherever Arrow's cast fails, the kernel hands the column
back; and ``parse_times`` gives the committed results either way."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workbench.columns import times as tm
from workbench.columns import times_kernels as tk
from workbench.columns.arrow_numpy import to_numpy


def _arrow(col: pa.Array, zoned: bool) -> np.ndarray | None:
    """Arrow's cast as ``times._fast_iso`` made it; None when it fails."""
    try:
        ts = pc.cast(col, pa.timestamp("us", "UTC" if zoned else None))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return tm._us(ts)


def _kernel(col: pa.Array, zoned: bool) -> np.ndarray | None:
    n = len(col)
    bufs = col.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=col.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else \
        np.zeros(0, np.uint8)
    valid = to_numpy(pc.is_valid(col)).view(np.uint8) if col.null_count else \
        np.zeros(0, np.uint8)
    us = np.empty(n, dtype=np.int64)
    return us if tk.iso_us(offsets, data, valid, zoned, us) == tk.OK else None


_DIG2 = st.integers(0, 99).map(lambda v: f"{v:02d}")
_TIME = st.one_of(
    st.datetimes(min_value=__import__("datetime").datetime(1, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%d") + " " + d.strftime("%H:%M:%S")),
    st.tuples(st.integers(0, 9999), st.integers(0, 14), st.integers(0, 32), st.integers(0, 25),
              st.integers(0, 61), st.integers(0, 61)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}T{t[3]:02d}:{t[4]:02d}:{t[5]:02d}"),
    st.sampled_from(["2024-02-29 00:00:00", "2023-02-29 00:00:00", "1900-02-29 00:00:00",
                     "2000-02-29 12:00:00", "0000-01-01 00:00:00", "9999-12-31 23:59:59",
                     "2024-01-01 24:00:00", "2024-01-01t00:00:00", "2024/01/01 00:00:00",
                     "2024-01-01  0:00:00", "２０２４-01-01 00:00:00", "2024-01-01 00:00"]),
)
_FRACTION = st.one_of(st.just(""), st.text("0123456789", min_size=0, max_size=8).map(
    lambda f: "." + f), st.sampled_from([",5", ".5x", ". "]))
_ZONE = st.one_of(st.just(""), st.sampled_from(["Z", "z", "+00:00", "-05:00", "+0530", "+05",
                                                "+24:00", "+23:59", "-12:60", " Z", "UTC",
                                                "+5:30", "+05:3", "\x00", "\r"]),
                  st.tuples(st.sampled_from("+-"), _DIG2, _DIG2).map(
                      lambda t: f"{t[0]}{t[1]}:{t[2]}"))
_VALUE = st.one_of(st.tuples(_TIME, _FRACTION, _ZONE).map("".join), st.none(),
                   st.text(max_size=30))


@settings(max_examples=800, deadline=None)
@given(values=st.lists(_VALUE, min_size=1, max_size=30), zoned=st.booleans(),
       cut=st.booleans())
def test_iso_kernel_is_arrows_cast(values, zoned, cut):
    col = pa.array(["2024-01-01 00:00:00"] + values, pa.string()).slice(1) if cut else \
        pa.array(values, pa.string())
    got, want = _kernel(col, zoned), _arrow(col, zoned)
    if got is None:
        return  # handed back: Arrow's cast decides, as before
    assert want is not None, values
    assert got.tolist() == want.tolist()


@settings(max_examples=1500, deadline=None)
@given(value=_VALUE, zoned=st.booleans())
@example(value="2024-06-10 12:00:60", zoned=False)  # second 60: Arrow refuses it
@example(value="2024-06-10T12:00:60Z", zoned=True)
@example(value="1900-02-29 00:00:00", zoned=False)
@example(value="2024-06-10T12:00:00+12:60", zoned=True)
def test_iso_kernel_one_value(value, zoned):
    """One value a column: each near miss alone (a column of many fails on its first)."""
    col = pa.array([value], pa.string())
    got, want = _kernel(col, zoned), _arrow(col, zoned)
    if got is not None:
        assert want is not None, value
        assert got.tolist() == want.tolist()


@settings(max_examples=300, deadline=None)
@given(values=st.lists(st.tuples(_TIME, _FRACTION, _ZONE).map("".join), min_size=1,
                       max_size=20), zoned=st.booleans())
def test_iso_kernel_reads_every_strict_form(values, zoned):
    """Strings Arrow reads in the strict forms are read by the kernel too (it hands back
    only what it must)."""
    import re
    strict = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?"
                        + (r"(Z|[+-]\d{2}:\d{2})$" if zoned else "$"))
    col = pa.array(values, pa.string())
    want = _arrow(col, zoned)
    if want is not None and all(strict.match(v) for v in values):
        got = _kernel(col, zoned)
        assert got is not None and got.tolist() == want.tolist()


def test_empty_and_null_columns():
    for values in ([], [None], [None, "2024-01-01 00:00:00"], ["2024-01-01 00:00:00", None]):
        col = pa.array(values, pa.string())
        got, want = _kernel(col, False), _arrow(col, False)
        assert got is not None and want is not None and got.tolist() == want.tolist()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
@pytest.mark.parametrize("values", [
    ["2024-03-10 02:30:00", "2024-11-03 01:30:00", "2024-06-10 12:00:31.25", None, ""],
    ["2024-06-10T12:00:31Z", "2024-06-10T12:00:31+00:00", "2024-06-10T08:00:31-04:00"],
    ["2024-06-10T12:00:31Z", "2024-06-10 12:00:31"],  # mixed: the regex classes
    ["2024-06-10 12:00:31", "2024-02-30 00:00:00"],  # Arrow fails: the regex classes
    ["2024-06-10 12:00:31.1234567", "2024-06-10 12:00:31"],  # Arrow fails too
    ["2024-06-10T12:00:31+0530", "2024-06-10T12:00:31Z"],  # Arrow reads what the kernel not
])
@pytest.mark.parametrize("chunked", [False, True])
def test_parse_times_as_with_arrows_cast(values, zone, chunked, monkeypatch):
    """The kernel's results (read chunk by chunk, or on a joined column) are those of
    Arrow's cast on the joined column, as the committed code read it."""
    col = pa.array(values * 50, pa.string())
    given = pa.chunked_array([col.slice(0, 7), col.slice(7, 0), col.slice(7, 100),
                              col.slice(107)]) if chunked else col
    got = tm.parse_times(given, zone)
    monkeypatch.setattr(tm, "worth_compiling", lambda size, threshold: False)  # Arrow's cast
    want = tm.parse_times(col, zone)
    assert got.us.tolist() == want.us.tolist() and got.flags.tolist() == want.flags.tolist()
    assert got.forms == want.forms and got.rule == want.rule
