"""``times.parse_times`` skips its per-row range masks when the column's minimum and maximum
are in range, and ``times._place_by_cells`` its per-row gathers when no cell holds a change
or a flag: the results are those of the code they replaced (kept here as the oracle)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from workbench.columns import times as tm


def _old_place_by_cells(wall, zone, steps):
    if not len(wall) or not steps:
        return tm._place_each(wall, zone)
    step = steps[0]
    cell = wall // step
    first = int(cell.min())
    span = int(cell.max()) - first + 1
    if span <= max(1024, min(len(wall), 50_000)):
        starts = first + np.arange(span, dtype=np.int64)
        at = cell - first
    else:
        starts, at = np.unique(cell, return_inverse=True)
    lo = starts * step
    placed, placed_flags = tm._place_each(np.concatenate([lo, lo + step]), zone)
    k = len(starts)
    shift = placed[:k] - lo
    flags = placed_flags[:k]
    same = (shift == placed[k:] - (lo + step)) & (flags == placed_flags[k:])
    out = wall + shift[at]
    row_flags = flags[at]
    near = np.flatnonzero(~same[at])
    if len(near):
        out[near], row_flags[near] = _old_place_by_cells(wall[near], zone, steps[1:])
    return out, row_flags


_DAY = 86400 * tm.US
_NOV3 = 1_730_592_000 * tm.US  # 2024-11-03 00:00 UTC: a fall-back day in New York
_MAR10 = 1_710_028_800 * tm.US  # 2024-03-10: spring forward


#: (zone, local midnight before a change, as wall µs): fall back and spring forward by an
#: hour, and Lord Howe's half-hour changes (a change inside an hour cell)
_CHANGES = [("America/New_York", _NOV3), ("America/New_York", _MAR10),
            ("Europe/London", 1_711_843_200 * tm.US), ("Europe/London", 1_729_987_200 * tm.US),
            ("Australia/Lord_Howe", 1_712_448_000 * tm.US),
            ("Australia/Lord_Howe", 1_728_172_800 * tm.US),
            ("Asia/Tokyo", _NOV3), ("America/New_York", _NOV3 + 60 * _DAY)]


@settings(max_examples=300, deadline=None)
@given(change=st.sampled_from(_CHANGES),
       offs=st.lists(st.one_of(st.integers(0, 2 * _DAY),  # near the change: 00:00-04:00
                               st.integers(0, 4 * 3600).map(lambda s: s * tm.US),
                               st.sampled_from(range(0, 4 * 60, 5)).map(
                                   lambda m: m * 60 * tm.US)),  # every 5 minutes alike
                     min_size=1, max_size=60))
@example(change=_CHANGES[4], offs=[5400 * tm.US])  # Lord Howe's half-hour inside an hour
@example(change=_CHANGES[5], offs=[0, 7500 * tm.US])
def test_place_by_cells_as_before(change, offs):
    zone, base = change
    wall = np.array([base + o for o in offs], dtype=np.int64)
    got = tm._place_by_cells(wall, zone, (tm.HOUR, tm.MINUTE))
    want = _old_place_by_cells(wall, zone, (tm.HOUR, tm.MINUTE))
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    assert got[1].dtype == want[1].dtype


_TEXT = st.one_of(
    st.sampled_from(["", "NA", "0000-00-00 00:00:00", "9999-12-31 23:59:59",
                     "0001-01-01 00:00:00", "2024-11-03 01:30:00", "2024-03-10 02:30:00",
                     "12/31/9999 23:59:59", "1/1/0001 0:00", "99999999999999999"]),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.integers(0, 2**40).map(str))


@settings(max_examples=200, deadline=None)
@example(values=["9999-12-31 23:59:59"], zone="America/New_York")  # past year 9999 in UTC
@example(values=["9999-12-31T23:59:59-01:00"], zone="UTC")
@example(values=["0001-01-01T00:00:00+01:00", "2024-06-10 12:00:00"], zone="UTC")  # before 1
@given(values=st.lists(_TEXT, max_size=40),
       zone=st.sampled_from(["UTC", "America/New_York", "Pacific/Kiritimati"]))
def test_parse_times_range_check_as_before(values, zone):
    col = pa.array(values, pa.string())
    t = tm._parse_times(col, zone)
    out = (t.us != tm.NAT) & ((t.us < tm.MIN_US) | (t.us > tm.MAX_US))
    want_us = np.where(out, tm.NAT, t.us)
    want_flags = t.flags | out.astype(np.uint8) * np.uint8(tm.UNPARSED)
    got = tm.parse_times(col, zone)
    assert got.us.tolist() == want_us.tolist()
    assert got.flags.tolist() == want_flags.tolist()
