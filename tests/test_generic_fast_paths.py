"""Shortcuts in reading the time columns of header CSVs agree with the computations they
replaced, on messy input.

Blanks (empty values) are cleared without the "no value" regex, zero dates are looked for
byte by byte only where the first byte is a "0", the bytes of a cleared column are made only
when the regex classes need them, and an ISO column whose every row parses is placed in its
zone without a scatter into a full-length array. Each is compared here with the code it
replaced, kept below as the reference."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import times as tm
from workbench.columns.textbytes import TextBytes

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _reference_blanks_as_null(col: pa.Array) -> tuple[pa.Array, TextBytes]:
    """``times._blanks_as_null`` as committed before the shortcut."""
    b = TextBytes(col)
    length = b.length
    last = b.data[b.start + np.maximum(length - 1, 0)]
    padded = (length > 0) & (tm._SPACE[b.at(None, 0)] | tm._SPACE[last])
    s = col
    if padded.any():
        s = pc.utf8_trim_whitespace(col)
        b = TextBytes(s)
        length = b.length
    zero_date = (length == 19) & (b.at(None, 0) == ord("0")) & (b.at(None, 1) == ord("0")) \
        & (b.at(None, 2) == ord("0"))
    maybe = np.flatnonzero((length <= 5) | zero_date)
    if not len(maybe):
        return s, b
    hit = pc.match_substring_regex(pc.take(s, pa.array(maybe)), tm._NO_VALUE)
    hit = pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
    if not hit.any():
        return s, b
    mask = np.zeros(len(s), dtype=bool)
    mask[maybe[hit]] = True
    s = pc.if_else(pa.array(mask), pa.scalar(None, pa.string()), s)
    return s, TextBytes(s)


def _reference_naive_iso(s: pa.Array, zone: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """The tail of ``times._fast_iso`` for naive ISO text, as committed before."""
    naive = pc.cast(s, pa.timestamp("us"))
    wall = pc.fill_null(pc.cast(naive, pa.int64()), tm.NAT).to_numpy(zero_copy_only=False)
    us = np.full(len(s), tm.NAT, dtype=np.int64)
    flags = np.zeros(len(s), dtype=np.uint8)
    ok = wall != tm.NAT
    placed, f = tm.place_in_zone(wall[ok], zone)
    us[ok] = placed
    flags[ok] = f
    return us, flags, {"iso": int(ok.sum())}


# wall times around the 2024 DST changes of the zones below, and plain ones
_WHEN = st.builds(
    lambda day, h, m, sec: f"2024-{day} {h:02d}:{m:02d}:{sec:02d}",
    st.sampled_from(["03-10", "03-31", "06-10", "11-03", "10-27", "12-31"]),
    st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
_BLANKISH = st.sampled_from(["", " ", "  ", "\t", "NA", "n/a", "NULL", "none", "0", "-", "nil",
                             "0000-00-00 00:00:00", "0000-01-01 00:00:00", "00", "12345",
                             "123456", " 2024-06-10 12:00:31 ", "2024-06-10T12:00:31",
                             "2024-06-10 12:00", "0024-06-10 12:00:31", "x"])
_VALUE = st.one_of(_WHEN, _WHEN, _BLANKISH, st.none(),
                   st.text(alphabet="0123456789-: NAnul\u00a0", max_size=20))
_ZONE = st.sampled_from(["UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe"])


@SETTINGS
@given(values=st.lists(_VALUE, min_size=1, max_size=60))
def test_blanks_cleared_as_before(values):
    col = pa.array(values, pa.string())
    for c in (col, col.slice(1)):
        s, raw = tm._blanks_as_null(c)
        ref_s, ref_raw = _reference_blanks_as_null(c)
        assert s.to_pylist() == ref_s.to_pylist()
        raw = TextBytes(s) if raw is None else raw
        assert raw.length.tolist() == ref_raw.length.tolist()
        assert [bytes(raw.data[a:b]) for a, b in zip(raw.start, raw.end)] == \
            [bytes(ref_raw.data[a:b]) for a, b in zip(ref_raw.start, ref_raw.end)]


@SETTINGS
@given(values=st.lists(st.one_of(_WHEN, st.none()), min_size=1, max_size=60), zone=_ZONE)
def test_naive_iso_placed_as_before(values, zone):
    col = pa.array(values, pa.string())
    if col.null_count == len(col):
        return
    got = tm._fast_iso(col, zone)
    assert got is not None
    us, flags, forms = _reference_naive_iso(col, zone)
    assert got.us.tolist() == us.tolist()
    assert got.flags.tolist() == flags.tolist()
    assert got.flags.dtype == np.uint8 and got.forms == forms
    assert got.us.flags.writeable  # callers may patch rows in place


def _reference_fast_iso(s: pa.Array, timezone: str) -> tm.Times | None:
    """``times._fast_iso`` as committed before (its naive tail is the reference above)."""
    if s.null_count >= len(s):
        return None
    if pc.min(pc.binary_length(s)).as_py() < 19:
        return None
    head = pc.drop_null(s.slice(0, 256))
    zoned = pc.match_substring_regex(head, r"(Z|z|[+-]\d{2}:?\d{2})$")
    if pc.all(zoned).as_py():
        try:
            ts = pc.cast(s, pa.timestamp("us", "UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        ok = int(len(s) - s.null_count)
        return tm.Times(tm._us(ts), np.zeros(len(s), dtype=np.uint8),
                        forms={"iso": ok, "zoned": ok})
    if pc.any(zoned).as_py() or not pc.all(pc.match_substring_regex(
            head, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")).as_py():
        return None
    try:
        us, flags, forms = _reference_naive_iso(s, timezone)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return tm.Times(us, flags, forms=forms)


@SETTINGS
@given(values=st.lists(_VALUE, min_size=1, max_size=60), zone=_ZONE)
def test_parse_times_unchanged_on_messy_columns(values, zone):
    """The whole column path against the same path run on the replaced code."""
    col = pa.array(values, pa.string())
    got = tm.parse_times(col, zone)
    saved = tm._blanks_as_null, tm._fast_iso
    tm._blanks_as_null, tm._fast_iso = _reference_blanks_as_null, _reference_fast_iso
    try:
        want = tm.parse_times(col, zone)
    finally:
        tm._blanks_as_null, tm._fast_iso = saved
    assert got.us.tolist() == want.us.tolist()
    assert got.flags.tolist() == want.flags.tolist()
    assert (got.rule, got.forms) == (want.rule, want.forms)


def _reference_sorted_index(called_key, start, by_called):
    """``normalize._sorted_index`` as committed before (``np.isin`` and ``lexsort``)."""
    order = by_called.astype(np.int64, copy=True)
    key, when = called_key[order], start[order]
    same = key[1:] == key[:-1]
    backwards = same & (when[1:] < when[:-1])
    if not backwards.any():
        return order, key, when
    group = np.concatenate(([0], np.cumsum(~same)))
    redo = np.flatnonzero(np.isin(group, group[1:][backwards]))
    order[redo] = order[redo][np.lexsort((when[redo], group[redo]))]
    when[redo] = start[order[redo]]
    return order, key, when


_START = st.one_of(st.integers(1_700_000_000_000_000, 1_700_000_000_000_004),  # many ties
                   st.integers(1_600_000_000_000_000, 1_800_000_000_000_000),
                   st.just(tm.NAT), st.integers(tm.MIN_US, tm.MAX_US))


@SETTINGS
@given(rows=st.lists(st.tuples(st.integers(-1, 3), _START), min_size=2, max_size=600),
       wide=st.booleans())
def test_called_start_index_as_before(rows, wide):
    """The (called, start) index: packed sort by (number, time) against the two-key lexsort,
    with ties, NAT starts and spans too wide to pack."""
    from workbench.store import normalize as nz
    called = np.array([k * (10**9 if wide else 1) + 12_000_000_000 if k >= 0 else -1
                       for k, _ in rows], dtype=np.int64)
    start = np.array([t for _, t in rows], dtype=np.int64)
    by_called = np.argsort(called, kind="stable")
    got = nz._sorted_index(called, start, by_called, called[by_called])
    want = _reference_sorted_index(called, start, by_called)
    for g, w in zip(got, want):
        assert g.tolist() == w.tolist()
