"""BroadWorks' fixed-place ISO rewrite gives exactly what the regex rewrite it replaced gives."""
from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.formats.switches import broadworks_times
from workbench.ingest.formats.switches.broadworks import _with_offset, zone_offsets
from workbench.ingest.formats.switches.broadworks_times import with_offset

BOUNDED = settings(max_examples=300, deadline=None, derandomize=True)


@st.composite
def _stamp(draw) -> str | None:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return draw(st.sampled_from([None, "", "NULL", " ", "N/A"]))
    digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=12, max_size=16)))
    frac = draw(st.sampled_from(["", ".2", ".20", ".204", ".2045", ".", ".x04", "a04"]))
    pad = draw(st.sampled_from(["", "", " "]))
    return pad + digits + frac + pad if kind > 2 else "20240610160031" + frac


_ZONES = ["1-040000", "0-050000", "1+053000", "0+000000", "", None, "1-250000", "x", "0+140000"]


@BOUNDED
@given(st.lists(st.tuples(_stamp(), st.sampled_from(_ZONES)), max_size=30),
       st.sampled_from([1, 3, 1 << 16]))
def test_with_offset_equals_the_regex_rewrite(rows, chunk):
    col = pa.array([r[0] for r in rows], pa.string())
    _, suffix = zone_offsets(pa.array([r[1] for r in rows], pa.string()))
    saved = broadworks_times._CHUNK
    broadworks_times._CHUNK = chunk
    try:
        got = with_offset(col, suffix, _with_offset)
    finally:
        broadworks_times._CHUNK = saved
    want = _with_offset(col, suffix)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()


def test_the_fast_rows_are_rewritten_without_the_regex():
    """The usual stamp never reaches the slow path (which would hide a wrong fast path)."""
    col = pa.array(["20240610160031.204", "20241231235959.999"])
    _, suffix = zone_offsets(pa.array(["1-040000", "0+053000"]))

    def refuse(*_args):
        raise AssertionError("slow path taken")
    assert with_offset(col, suffix, refuse).to_pylist() == [
        "2024-06-10T16:00:31.204-04:00", "2024-12-31T23:59:59.999+05:30"]


@BOUNDED
@given(st.binary(max_size=400).map(lambda b: bytes(b',\\\nab\r'[x % 6] for x in b)),
       st.sampled_from([1, 3, 1 << 22]))
def test_comma_counts_equal_field_counts(data, block):
    from workbench.ingest.formats.delimited import field_counts, line_starts
    from workbench.ingest.formats.switches import broadworks_lines
    saved = broadworks_lines.BLOCK
    broadworks_lines.BLOCK = block
    try:
        starts = line_starts(data)
        got = broadworks_lines.comma_counts(data, starts)
        assert got.tolist() == field_counts(data, ",", None, "\\", starts).tolist()
        if len(starts) > 1:
            part = broadworks_lines.comma_counts(data, starts, len(starts) - 1)
            assert part.tolist() == got[:len(starts) - 1].tolist()
    finally:
        broadworks_lines.BLOCK = saved


_FIELDS = st.lists(st.sampled_from(["a", "", "b\\,c", "x\\\\", "1"]), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from([3, 5, 6, 9]), _FIELDS), min_size=1, max_size=30),
       st.integers(0, 2), st.booleans())
def test_read_grouped_equals_read_positional(tmp_path_factory, rows, skip, crlf):
    """The grouped read (forced: no refused-line threshold) gives the general reader's
    groups, bad lines and counts, or is the general reader itself."""
    from workbench.ingest.formats.switches import broadworks_lines
    from workbench.ingest.formats.switches.positional import read_positional
    lines = []
    for width, vals in rows:
        lines.append(",".join((vals * width)[:width]))
    data = (("\r\n" if crlf else "\n").join(lines) + "\n").encode()
    kw = dict(delimiter=",", accept=lambda n: n >= 5, quote_char=False, escape_char="\\",
              double_quote=False, file="f", reason="at least 5", columns=lambda c: [0, 2, 4])
    # a footer is ignored, as BroadWorks' is: a short record (never a readable one)
    ignore = {len(lines)} if len(lines) > 2 and rows[-1][0] < 5 else set()

    def general(d):
        return read_positional(d, expected=6, skip_lines=skip, ignore=ignore, **kw)
    saved = broadworks_lines.MAX_REFUSED
    broadworks_lines.MAX_REFUSED = -1
    try:
        try:
            want = general(data)
        except Exception as exc:  # noqa: BLE001  (the same error either way)
            want = exc
        try:
            got = broadworks_lines.read_grouped(data, expected=6, skip_lines=skip,
                                                ignore=ignore, read=general, **kw)
        except Exception as exc:  # noqa: BLE001
            got = exc
    finally:
        broadworks_lines.MAX_REFUSED = saved
    if isinstance(want, Exception):
        assert type(got) is type(want) and str(got) == str(want)
        return
    assert _rows(got) == _rows(want)
    assert [(b.line, b.reason, b.text) for b in got.bad_lines] == \
        [(b.line, b.reason, b.text) for b in want.bad_lines]
    assert got.bad_count == want.bad_count
    assert got.bad_numbers.tolist() == want.bad_numbers.tolist()


def _rows(pos):
    out = {}
    for g in pos.groups:
        cols = {name: g.table.column(name).to_pylist() for name in g.table.column_names}
        for i, line in enumerate(g.lines.tolist()):
            out[line] = (g.count, {k: v[i] for k, v in cols.items()})
    return out
