"""The switch readers' fast paths give exactly what the plain computations give.

Each fast path (block-wise field counts, one parse of a whole layout straight from Arrow,
numpy-written ISO text, per-date wall clocks of zoned times) replaces a slower computation
that stays in the code base or in pyarrow; these properties pin them to it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import ReadOptions, delimited, get
from workbench.ingest.formats.delimited import line_starts
from workbench.ingest.formats.switches import positional
from workbench.ingest.formats.switches.times import (
    _ZONED,
    iso_seconds_text,
    strptime_frac,
    zoned_times,
)

_FIXTURES = Path(__file__).parent / "fixtures" / "formats"
BOUNDED = settings(max_examples=300, deadline=None, derandomize=True)
DIALECTS = [(",", '"', None), (",", None, "\\"), (";", '"', "\\"), (";", None, None)]


@BOUNDED
@given(st.binary(max_size=400).map(
           lambda b: bytes(b',;"\n\\ab\r'[x % 8] for x in b)),
       st.sampled_from([1, 3, 16, 1 << 22]))
def test_block_counts_equal_whole_file_counts(data: bytes, block: int) -> None:
    saved = delimited.FIELD_COUNT_BLOCK
    delimited.FIELD_COUNT_BLOCK = block  # blocks of a few bytes: every line crosses one
    try:
        for delim, quote, esc in DIALECTS:
            got = delimited.field_counts(data, delim, quote, esc)
            assert got.tolist() == _whole_file_counts(data, delim, quote, esc).tolist()
    finally:
        delimited.FIELD_COUNT_BLOCK = saved


def _whole_file_counts(data: bytes, delimiter: str, quote: str | None = '"',
                       escape: str | None = None, starts: np.ndarray | None = None
                       ) -> np.ndarray:
    """The plain computation block-wise counting replaced: one pass over the whole file
    (quote parity of every byte at once)."""
    buf = np.frombuffer(data, np.uint8)
    if starts is None:
        starts = line_starts(data)
    if not len(starts):
        return np.zeros(0, np.int64)
    seps = np.flatnonzero(buf == ord(delimiter))
    if escape:
        seps = seps[(seps == 0) | (buf[np.maximum(seps - 1, 0)] != ord(escape))]
    # each line's first separator: one search per line, not one per separator
    bounds = np.append(np.searchsorted(seps, starts), len(seps))
    per = np.diff(bounds)
    if quote:  # a separator counts when the quotes before it on its line are balanced
        parity = np.bitwise_xor.accumulate((buf == ord(quote)).view(np.uint8))
        at_start = np.where(starts > 0, parity[np.maximum(starts - 1, 0)], 0).astype(np.uint8)
        kept = np.flatnonzero(parity[seps] == np.repeat(at_start, per))
        per = np.diff(np.searchsorted(kept, bounds))
    return per + 1


@BOUNDED
@given(st.lists(st.integers(-62167219200, 253402300799) | st.none(), max_size=60))
def test_iso_text_equals_strftime(secs: list[int | None]) -> None:
    ts = pa.array(secs, pa.timestamp("s"))
    assert iso_seconds_text(ts).equals(pc.strftime(ts, format="%Y-%m-%d %H:%M:%S"))


_TOKENS = st.fixed_dictionaries({
    "flag": st.sampled_from(["", "*", ".", "**"]),
    "h": st.sampled_from(["0", "7", "00", "12", "23", "24", "99"]),
    "m": st.sampled_from(["00", "05", "59", "60", "99"]),
    "s": st.sampled_from(["00", "59", "60", "61", "62"]),
    "f": st.sampled_from(["", ".1", ".123", ".123456", ".1234567"]),
    "zone": st.sampled_from(["UTC", "EDT", "est", "XYZ", "ABCDEF"]),
    "dname": st.sampled_from(["", "Mon ", "Xy "]),
    "mon": st.sampled_from(["Jun", "feb", "FEB", "Foo", "Sept"]),
    "day": st.sampled_from(["0", "1", "01", "29", "31", "32"]),
    "year": st.sampled_from(["2023", "2024", "1969", "0000"]),
    "gap": st.sampled_from([" ", "  "]),
})


@BOUNDED
@given(st.lists(_TOKENS, min_size=1, max_size=30))
def test_zoned_wall_clock_equals_strptime(rows: list[dict[str, str]]) -> None:
    """Dates parsed once per distinct date, hours/minutes/seconds added as numbers: the same
    naive µs as strptime of the whole ``Y-Mon-D-H-M-S.fraction`` (its ranges included)."""
    text = pa.array([f"{r['flag']}{r['h']}:{r['m']}:{r['s']}{r['f']}{r['gap']}{r['zone']} "
                     f"{r['dname']}{r['mon']} {r['day']}{r['gap']}{r['year']}" for r in rows])
    parts = pc.extract_regex(text, _ZONED)
    f = {k: pc.struct_field(parts, k) for k in ("h", "m", "s", "f", "mon", "day", "year")}
    wall = pc.binary_join_element_wise(f["year"], f["mon"], f["day"], f["h"], f["m"], f["s"], "-")
    frac = pc.if_else(pc.equal(pc.binary_length(f["f"]), 0), "0", f["f"])
    expected = strptime_frac(pc.binary_join_element_wise(wall, frac, "."), "%Y-%b-%d-%H-%M-%S")
    got, _, _ = zoned_times(text)
    minutes = {"UTC": 0, "EDT": -240, "EST": -300}  # the others: unknown zones, null
    east = [minutes.get(r["zone"].upper()) for r in rows]
    want = [None if e is None or z is None else e - z * 60_000_000
            for e, z in zip(pc.cast(expected, pa.int64()).to_pylist(), east)]
    assert pc.cast(got, pa.int64()).to_pylist() == want


def test_mixed_layouts_read_the_same_with_and_without_the_direct_parse(tmp_path) -> None:
    """A Sansay file of two layouts and a bad line per record, big enough to take the
    count-and-group path: rows, values and bad lines equal when each layout is parsed
    straight from Arrow and when every layout goes through read_delimited."""
    seed = (_FIXTURES / "sansay_vsx.cdr").read_text(encoding="utf-8")
    path = tmp_path / "vsx.cdr"
    path.write_text(seed * 6000, encoding="utf-8")  # > MAX_REFUSED bad lines
    fast = get("sansay").read(path, ReadOptions())
    saved = positional.DIRECT_MIN
    positional.DIRECT_MIN = 10**12  # never: every group read by read_delimited
    try:
        slow = get("sansay").read(path, ReadOptions())
    finally:
        positional.DIRECT_MIN = saved
    assert fast.bad_line_count == slow.bad_line_count > 0
    assert [(b.line, b.reason, b.text) for b in fast.bad_lines] == \
        [(b.line, b.reason, b.text) for b in slow.bad_lines]
    assert fast.lines.tolist() == slow.lines.tolist()
    assert fast.columns.keys() == slow.columns.keys()
    for name, col in fast.columns.items():
        assert col.equals(slow.columns[name]), name



def test_an_unreadable_offset_is_a_null_time_without_a_warning() -> None:
    import warnings

    from workbench.ingest.formats.switches.times import naive_to_utc
    naive = pa.array(["2024-06-10 12:00:00"] * 4).cast(pa.timestamp("us"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "invalid value encountered in cast"
        got = naive_to_utc(naive, np.array([-300.0, np.inf, np.nan, -np.inf]))
    assert got.null_count == 3 and got[0].as_py().hour == 17
