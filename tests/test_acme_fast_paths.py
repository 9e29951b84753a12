"""The Acme reader's fast paths give exactly what the computations they replaced give.

``acme_split`` splits many refused lines at once where ``split_lenient`` split one line at a
time in Python; ``acme_times`` reads the usual 28-byte time stamp at fixed byte places where
``zoned_times`` ran a regex over every value. Both are pinned to the old computation here, and
the whole reader to the committed one's output on a file of many damaged lines.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import ReadOptions, get
from workbench.ingest.formats.switches import acme_split
from workbench.ingest.formats.switches.acme import NEED, split_lenient
from workbench.ingest.formats.switches.acme_split import gather, line_bounds, split_fields
from workbench.ingest.formats.switches.acme_times import acme_times
from workbench.ingest.formats.switches.times import zoned_times

BOUNDED = settings(max_examples=300, deadline=None, derandomize=True)

_line = st.lists(st.sampled_from(['"', ",", "a", "b", " ", "é", '""', '",', ',"']),
                 max_size=40).map("".join)


def _lines_bytes(lines: list[str], crlf: bool, last_newline: bool) -> bytes:
    end = "\r\n" if crlf else "\n"
    text = end.join(lines) + (end if last_newline else "")
    return text.encode()


@BOUNDED
@given(st.lists(_line.filter(bool), min_size=1, max_size=8), st.booleans(), st.booleans(),
       st.integers(1, 6), st.sampled_from([1, 7, 1 << 22]))
def test_split_fields_equals_split_lenient(lines, crlf, last_newline, need, block):
    data = _lines_bytes(lines, crlf, last_newline)
    saved = acme_split.BLOCK
    acme_split.BLOCK = block  # tiny blocks: every line its own block
    try:
        lo, hi = line_bounds(data)
        ok, start, end = split_fields(data, lo, hi, need)
    finally:
        acme_split.BLOCK = saved
    assert len(lo) == len(lines)
    for i, line in enumerate(lines):
        assert data[lo[i]:hi[i]].decode() == line
        want = split_lenient(line)
        assert bool(ok[i]) == (len(want) >= need), (line, want)
        if ok[i]:
            got = [data[start[j, i]:end[j, i]].decode() for j in range(need)]
            assert got == want[:need], line
    for j in range(need):
        col = gather(data, start[j][ok], end[j][ok])
        assert col.to_pylist() == [split_lenient(t)[j] for t, k in zip(lines, ok) if k]


def test_split_fields_fails_on_a_wrong_rule():
    """The property above would catch a splitter that ignored quotes."""
    data = b'2,"a,b",c\n'
    lo, hi = line_bounds(data)
    ok, start, end = split_fields(data, lo, hi, 3)
    assert [data[start[j, 0]:end[j, 0]] for j in range(3)] == [b"2", b"a,b", b"c"]
    assert split_lenient('2,"a,b",c') == ["2", "a,b", "c"]


_ZONES = ["PDT", "EST", "UTC", "GMT", "CEST", "XYZ", "pdt", "Z", "EDT"]
_MONTHS = ["JUN", "Jun", "jun", "FEB", "Feb", "DEC", "Abc", "JAN", "MAR"]


@st.composite
def _stamp(draw) -> str | None:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, "", "NULL", "  ", "garbage", "NA"]))
    flag = draw(st.sampled_from(["", "", "", "*", "."]))
    h = draw(st.integers(0, 25))
    hh = f"{h:02d}" if draw(st.booleans()) or h > 9 else str(h)
    mi, s = draw(st.integers(0, 61)), draw(st.integers(0, 62))
    frac = draw(st.sampled_from(["", ".204", ".2", ".123456", ".000", ".999"]))
    zone, mon = draw(st.sampled_from(_ZONES)), draw(st.sampled_from(_MONTHS))
    d = draw(st.integers(0, 32))
    dd = f"{d:02d}" if draw(st.booleans()) or d > 9 else str(d)
    year = draw(st.sampled_from([1899, 1900, 1970, 2000, 2023, 2024, 2100, 2199, 2200]))
    pad = draw(st.sampled_from(["", "", " "]))
    return f"{pad}{flag}{hh}:{mi:02d}:{s:02d}{frac} {zone} {mon} {dd} {year}{pad}"


@BOUNDED
@given(st.lists(_stamp(), max_size=30))
def test_acme_times_equal_zoned_times(values):
    col = pa.array(values, pa.string())
    got, unknown = acme_times(col)
    want, want_unknown, _ = zoned_times(col)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()
    assert list(unknown) == list(want_unknown)


def test_acme_times_fast_rows_are_read():
    """Every day of a leap and a common year, at the edges of the day: the fixed-place path
    takes them all (no fallback hides a wrong date) and agrees with the regex path."""
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2025-01-01"))
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    values = []
    for day in days.astype(object):
        for t in ("00:00:00.000", "23:59:59.999"):
            values.append(f"{t} EST {months[day.month - 1]} {day.day:02d} {day.year}")
    col = pa.array(values)
    got, _ = acme_times(col)
    want, _, _ = zoned_times(col)
    assert got.null_count == 0
    assert got.equals(want)


@pytest.mark.parametrize("copies", [3, 700])
def test_reader_on_many_damaged_lines_matches_line_by_line_split(tmp_path, copies):
    """Bare-quote lines (repaired), short Stop lines (bad), Start records, strays: the rows,
    bad lines and counts are those of splitting each refused line with ``split_lenient``."""
    head = ('2,"192.0.2.5",5060,"s{k}","c{k}@h","e{k}@h","SIP",,,'
            '"\'ACCT\'<sip:+1202555{k:04d}@198.51.100.20>;tag=1","<sip:1312555{k:04d}@h>",1,36,'
            '"09:00:31.204 PDT JUN 10 2024","09:00:38.011 PDT JUN 10 2024",'
            '"09:01:14.620 PDT JUN 10 2024",16,,,,,"OXBOW","LARK{k}"' + "," * 30)
    bare = head.replace('"\'ACCT\'', '""Bob "The Closer" LLC"')
    lines = []
    for k in range(copies):
        lines += [head.format(k=k), bare.format(k=k), f'2,"192.0.2.5",5060,"x{k}',
                  '1,"192.0.2.5",5060', f"junk line {k}"]
    path = tmp_path / "acme.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    t = get("acme").read(path, ReadOptions())
    rows = [(n, split_lenient(line)) for n, line in enumerate(lines, 1)]
    rows = [(n, f) for n, f in rows if f[0] == "2" and len(f) >= NEED]
    assert len(rows) == 2 * copies
    assert list(t.lines) == [n for n, _ in rows]
    assert t.columns["call_id"].to_pylist() == [f[4] for _, f in rows]
    assert t.columns["ingress"].to_pylist() == [f[22] for _, f in rows]
    assert t.columns["calling"].to_pylist()[:4] == ["+12025550000", "+12025550000",
                                                   "+12025550001", "+12025550001"]
    bad = [n for n, line in enumerate(lines, 1) if line.startswith(("2,\"192.0.2.5\",5060,\"x",
                                                                     "junk"))]
    assert t.bad_line_count == len(bad)
    assert [b.line for b in t.bad_lines] == bad[:200]
    assert {b.text for b in t.bad_lines} <= set(lines)


@BOUNDED
@given(st.lists(st.lists(st.sampled_from(["1", "2", "3", "4", "0", ",", "a", " ", "é", "12", "",
                                          "\r"]),
                         max_size=6).map("".join), max_size=20), st.booleans())
def test_status_types_equal_the_regex(lines, last_newline):
    """The kinds and line numbers read off the file's bytes against what they replaced:
    ``text_lines`` (every non-blank line, copied) and the regex ``^([0-9]+),`` over them."""
    import pyarrow.compute as pc

    from workbench.ingest.formats.delimited import cr_to_lf, line_starts, nonblank_lines
    from workbench.ingest.formats.switches.acme import _status_types
    from workbench.ingest.formats.switches.common import extract, lines_text, text_lines
    data = cr_to_lf(("\n".join(lines) + ("\n" if last_newline else "")).encode())
    starts = line_starts(data)
    arr, numbers = text_lines(data, starts)
    kind = pc.fill_null(extract(arr, r"^(?P<v>[0-9]+),"), "").to_pylist()
    want = [int(k) if k in ("1", "2", "3") else 0 for k in kind]
    got_numbers = nonblank_lines(data, starts)
    assert got_numbers.tolist() == numbers.tolist()
    assert _status_types(data, starts[got_numbers - 1]).tolist() == want
    assert lines_text(data, got_numbers, starts) == arr.to_pylist()


_HEADERS = ["'ACCT'<sip:+12025550143@198.51.100.20:5060;user=phone>;tag=1",
            "'2025550143'<sip:198.51.100.20:5060;user=phone>;tag=9",
            '"Bob "The Closer" LLC" <sip:+12025550144;verstat=TN-Validation-Passed@h>;tag=5',
            "<tel:+1-202-555-0199;VERSTAT=No-TN-Validation>", "sip:anonymous@invalid", "", None,
            "junk", "<sip:13125550178@192.0.2.5:5060;user=phone>"]


@BOUNDED
@given(st.lists(st.sampled_from(_HEADERS), max_size=25))
def test_calling_fields_equal_separate_passes(values):
    """One shared dictionary gives what ``uri_number`` and the two distinct-value regexes
    gave, each on its own dictionary."""
    from workbench.columns.sip import uri_number
    from workbench.ingest.formats.switches.acme import DISPLAY_NAME, VERSTAT, calling_fields
    from workbench.ingest.formats.switches.common import extract
    col = pa.array(values, pa.string())
    number, name, verstat = calling_fields(col)
    assert number.to_pylist() == uri_number(col).to_pylist()
    assert name.to_pylist() == extract(col, DISPLAY_NAME, distinct=True).to_pylist()
    assert verstat.to_pylist() == extract(col, VERSTAT, distinct=True).to_pylist()
    assert number.type == uri_number(col).type


@BOUNDED
@given(st.binary(max_size=300).map(lambda b: bytes(b"\n\ra,"[x % 4] for x in b)),
       st.sampled_from([1, 2, 5, 1 << 22]))
def test_blocked_line_starts_equal_line_starts(data, block):
    from workbench.ingest.formats.delimited import line_starts

    def line_starts_whole(data: bytes) -> list[int]:  # one mask over the whole file
        nl = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
        starts = np.concatenate(([0], nl + 1)).astype(np.int64)
        return (starts[:-1] if len(starts) and starts[-1] >= len(data) else starts).tolist()

    assert line_starts(data, block).tolist() == line_starts_whole(data)
