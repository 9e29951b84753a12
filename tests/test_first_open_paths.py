"""The fast paths of a first open agree with the plain ones on messy input.

Number keys are read block by block off the column's own buffer, sorted keys come off the
packed sort, newlines are counted by a vectorized compare, and ISO times are screened by
byte length: each is compared here with the simple path it replaced (the per-distinct-value
rules, ``np.argsort``, ``bytes.count``, the regex classes), with blocks made small so that
generated columns cross many block boundaries."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.columns import keysort
from workbench.columns import numbers as num
from workbench.columns import times as tm
from workbench.ingest.formats import delimited

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

_NANP = st.builds(lambda a, b, c: f"{a:03d}{b:03d}{c:04d}", st.integers(100, 999),
                  st.integers(0, 999), st.integers(0, 9999))  # NPA 1xx: not a NANP number
_NUMBER = st.one_of(
    _NANP, _NANP.map(lambda s: "1" + s), _NANP.map(lambda s: "+1" + s),
    _NANP.map(lambda s: f"({s[:3]}) {s[3:6]}-{s[6:]}"), _NANP.map(lambda s: f"{s[:3]}.{s[3:6]}.{s[6:]}"),
    _NANP.map(lambda s: f"sip:+1{s}@gw"), _NANP.map(lambda s: s + " "),
    st.text(alphabet="0123456789+()-. xé", max_size=14), st.none(), st.just(""))


def _slow(values: list[str | None]) -> tuple[list, list, list]:
    res = num._normalize_by_distinct(pa.array(values, pa.string()), "US")
    return res.key.tolist(), res.text.to_pylist(), res.flags.tolist()


@SETTINGS
@given(values=st.lists(_NUMBER, min_size=1, max_size=120), sort=st.booleans(),
       block=st.integers(1, 9))
def test_numbers_by_blocks_agree_with_the_general_rules(monkeypatch, values, sort, block):
    monkeypatch.setattr(num, "_BLOCK", block)
    arr = pa.array(values, pa.string())
    for col in (arr, arr.slice(1), pa.chunked_array([arr.slice(0, 3), arr.slice(3)])):
        res = num.normalize_numbers(col, "US", sort=sort)
        assert (res.key.tolist(), res.text.to_pylist(), res.flags.tolist()) == _slow(
            col.to_pylist())
        if sort:
            assert np.array_equal(res.order, np.argsort(res.key, kind="stable"))
            if res.sorted_key is not None:
                assert np.array_equal(res.sorted_key, res.key[res.order])


@SETTINGS
@given(values=st.lists(st.one_of(st.integers(-1, 40), st.integers(12_000_000_000, 19_999_999_999),
                                 st.integers(-2**62, 2**62)), max_size=200))
def test_sort_with_order_is_a_stable_argsort_and_its_values(values):
    v = np.array(values, dtype=np.int64)
    order, ordered = keysort.sort_with_order(v)
    assert order.tolist() == np.argsort(v, kind="stable").tolist()
    assert ordered.tolist() == v[order].tolist()
    _, codes, distinct = keysort.factorize_sorted(v, order, ordered)
    assert distinct.tolist() == np.unique(v).tolist()
    assert distinct[codes].tolist() == v.tolist()


@SETTINGS
@given(data=st.binary(max_size=400), start=st.integers(0, 50), stop=st.integers(0, 450),
       block=st.integers(1, 64))
def test_count_newlines_counts_as_bytes_count(monkeypatch, data, start, stop, block):
    monkeypatch.setattr(delimited, "_COMPARE_BLOCK", block)
    for view in (data, memoryview(data)):
        assert delimited.count_newlines(view, start, stop) == data.count(b"\n", start, stop)
    assert delimited.count_newlines(data, start) == data.count(b"\n", start)


_ISO = st.builds(lambda y, mo, d, h, mi, s, sep, z: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:"
                 f"{s:02d}{z}", st.integers(1990, 2030), st.integers(1, 12), st.integers(1, 31),
                 st.integers(0, 23), st.integers(0, 59), st.integers(0, 59), st.sampled_from("T "),
                 st.sampled_from(["", "Z", "+00:00", "-05:00"]))
_TIME = st.one_of(_ISO, _ISO.map(lambda s: s[:-3] + "é"), _ISO.map(lambda s: s + "\u00a0"),
                  _ISO.map(lambda s: s[:16]), st.text(alphabet="0123456789-:T Zé", max_size=21))


@SETTINGS
@given(values=st.lists(_TIME, min_size=1, max_size=40),
       zone=st.sampled_from(["UTC", "America/Chicago"]))
def test_fast_iso_agrees_with_the_regex_classes(monkeypatch, values, zone):
    """Whatever the screen by byte length lets through, the times are those of the general
    path (non-ASCII values are never ISO times, whatever their length in bytes)."""
    col = pa.array(values, pa.string())
    fast = tm.parse_times(col, zone)
    with monkeypatch.context() as m:
        m.setattr(tm, "_fast_iso", lambda s, timezone: None)
        slow = tm.parse_times(col, zone)
    assert fast.us.tolist() == slow.us.tolist()
    assert fast.flags.tolist() == slow.flags.tolist()


@pytest.mark.parametrize("pad", [True, False])
def test_text_bytes_short_columns_stay_readable(pad):
    """Unpadded views still hold ``PAD`` bytes, so fixed reads below it stay in bounds."""
    from workbench.columns.textbytes import PAD, TextBytes
    b = TextBytes(pa.array(["1", "", "23"], pa.string()), pad=pad)
    assert len(b.data) >= PAD
    assert b.length.tolist() == [1, 0, 2]
    assert num._fast_nanp(pa.array(["", "3125550143", "x"], pa.string())).tolist() == [
        -1, 13125550143, -1]
