"""Asterisk's block-wise line reading gives exactly what the shared computations give.

``asterisk_lines.line_counts`` replaces ``line_starts`` + ``field_counts`` and
``asterisk_lines.read_lines`` replaces ``read_positional`` for cdr_csv / cdr_custom files;
these properties pin both to the computations they replace (which stay in the code base).
"""
from __future__ import annotations

import re
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.common.errors import InputError
from workbench.ingest.formats.delimited import field_counts, line_starts
from workbench.ingest.formats.switches import common, freepbx, positional
from workbench.ingest.formats.switches.asterisk import CLID_NUMBER
from workbench.ingest.formats.switches.asterisk_lines import line_counts, read_lines
from workbench.ingest.formats.switches.asterisk_text import clid_number
from workbench.ingest.formats.switches.common import extract, in_file_order

_FIXTURES = Path(__file__).parent / "fixtures" / "formats"
BOUNDED = settings(max_examples=300, deadline=None, derandomize=True)


@BOUNDED
@given(st.binary(max_size=600).map(lambda b: bytes(b',"\n\rab '[x % 7] for x in b)),
       st.sampled_from([1, 5, 64, 200, 1 << 22]))
def test_line_counts_equal_line_starts_and_field_counts(data: bytes, block: int) -> None:
    starts, counts = line_counts(data, block=block)
    assert starts.tolist() == line_starts(data).tolist()
    assert counts.tolist() == field_counts(data, ",", '"').tolist()


def test_line_counts_across_words_and_blocks() -> None:
    """Long lines (quoted commas past 64-bit word and block edges, an odd quote that leaves
    the rest of its line inside quotes) on a real layout."""
    rows = (_FIXTURES / "asterisk_master.csv").read_bytes().splitlines(keepends=True)
    odd = b'"a,b' + b",x" * 90 + b'\n'
    data = b"".join(rows * 7 + [odd, b'"' + b"," * 130 + b'"\n'] + rows * 3)
    for block in (1, 63, 64, 65, 1000, 1 << 22):
        starts, counts = line_counts(data, block=block)
        assert starts.tolist() == line_starts(data).tolist()
        assert counts.tolist() == field_counts(data, ",", '"').tolist()


_MASTER = [r for r in (_FIXTURES / "asterisk_master.csv").read_text().splitlines()]
_CUSTOM = [r for r in (_FIXTURES / "asterisk_custom.csv").read_text().splitlines()]


def _damaged(line: str, how: int) -> str:
    if how == 1:
        return line.replace('"', "", 1)  # a quote left open
    if how == 2:
        return line.rsplit(",", 3)[0]  # cut short
    if how == 3:
        return line + ',"extra"'
    if how == 4:
        return line.replace(",", "\r,", 1)  # a lone CR inside the line
    return line


@pytest.fixture
def small_trial(monkeypatch: pytest.MonkeyPatch):
    """The mixed-layout decision and the direct parse at a scale a test can reach."""
    monkeypatch.setattr(positional, "TRIAL_LINES", 40)
    monkeypatch.setattr(positional, "MAX_REFUSED", 5)
    monkeypatch.setattr(positional, "HEAD_LINES", 10)
    monkeypatch.setattr(positional, "DIRECT_MIN", 8)


def _same(got: positional.Positional, want: positional.Positional) -> None:
    assert [g.count for g in got.groups] == [g.count for g in want.groups]
    for a, b in zip(got.groups, want.groups):
        assert a.lines.tolist() == b.lines.tolist()
        assert a.table.equals(b.table)
    assert got.bad_lines == want.bad_lines
    assert got.bad_count == want.bad_count
    assert got.bad_numbers.tolist() == want.bad_numbers.tolist()


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(_MASTER) - 1), st.integers(0, 12)),
                min_size=1, max_size=160),
       st.booleans(), st.booleans(), st.sampled_from([None, (1, 9, 10), (0, 4)]))
def test_read_lines_equals_read_positional(small_trial, picks, custom, final_newline,
                                           used) -> None:
    rows = _CUSTOM if custom else _MASTER
    lines = [_damaged(rows[i % len(rows)], how) for i, how in picks]
    data = ("\n".join(lines) + ("\n" if final_newline else "")).encode()
    expected = 19 if custom else 21
    accept = (lambda n: n == 19) if custom else (lambda n: 16 <= n <= 21)
    columns = None if used is None else (lambda _count: list(used))
    kw = dict(expected=expected, accept=accept, reason="a reason", file="f.csv",
              columns=columns)
    try:
        want = positional.read_positional(data, delimiter=",", **kw)
    except InputError as exc:  # a file of blank lines: the same error
        with pytest.raises(InputError, match=re.escape(str(exc))):
            read_lines(data, **kw)
        return
    _same(read_lines(data, **kw), want)


def test_mixed_file_takes_the_block_path(small_trial, monkeypatch) -> None:
    """The property above covers the mixed path, not only the hand-over to read_positional."""
    calls = []
    monkeypatch.setattr("workbench.ingest.formats.switches.asterisk_lines.line_counts",
                        lambda data: calls.append(1) or line_counts(data))
    data = ("\n".join(_MASTER * 30) + "\n").encode()
    want = positional.read_positional(data, delimiter=",", expected=21,
                                      accept=lambda n: 16 <= n <= 21, reason="r", file="f")
    _same(read_lines(data, expected=21, accept=lambda n: 16 <= n <= 21, reason="r", file="f"),
          want)
    assert calls and {g.count for g in want.groups} == {16, 21} and want.bad_count == 30
    assert np.all(np.diff(want.bad_numbers) > 0)


@BOUNDED
@given(st.lists(st.none() | st.text(alphabet='<>a"1 é', max_size=12), max_size=40),
       st.booleans())
def test_clid_number_equals_the_regex(values: list[str | None], chunked: bool) -> None:
    arr = pa.array(values, pa.string())
    col = pa.chunked_array([arr[:len(arr) // 2], arr[len(arr) // 2:]]) if chunked else arr
    want = extract(arr, CLID_NUMBER)
    got = clid_number(col)
    assert got.to_pylist() == want.to_pylist()
    got.validate(full=True)
    assert got.null_count == want.null_count


_CHANNEL = st.tuples(st.sampled_from(["PJSIP/", "SIP/", "", "a/b/"]),
                     st.text(alphabet="ab-/<", max_size=6),
                     st.sampled_from(["-0000012a", "-1", "", "<x"])).map("".join)


@BOUNDED
@given(st.lists(st.none() | _CHANNEL, max_size=30) | st.lists(
           st.none() | st.text(alphabet="ab-/<é", max_size=8), max_size=30),
       st.booleans(), st.sampled_from([("/", "-"), ("-", "/")]))
def test_cuts_equal_the_shared_helpers(values: list[str | None], uniform: bool,
                                       chars: tuple[str, str]) -> None:
    """The slice-kernel cut of one shape gives what the byte-mask cut gives (uniform: every
    value of one technology and one suffix, so the fast path is taken)."""
    if uniform:
        values = [None if v is None else "PJSIP/" + v.replace("-", "").replace("/", "")
                  + "-0000012a" for v in values]
    arr = pa.array(values, pa.string())
    with mock.patch.object(common, "cut", _byte_mask_cut):  # the copy through a byte mask
        by_mask = (common.between(arr, *chars), common.through_last(arr, chars[1]))
    got = common.between(arr, *chars)
    assert got.to_pylist() == by_mask[0].to_pylist()
    got.validate(full=True)
    got = common.through_last(arr, chars[1])
    assert got.to_pylist() == by_mask[1].to_pylist()
    got.validate(full=True)


def _byte_mask_cut(arr, offs, data, new_start, new_end, big):
    return common.substrings(arr, data, new_start, new_end, big)


@BOUNDED
@given(st.lists(st.integers(1, 40), max_size=40, unique=True), st.integers(1, 3),
       st.randoms(use_true_random=False))
def test_in_file_order_equals_concat_sorted(lines: list[int], n_parts: int, rnd) -> None:
    """Parts of disjoint lines (each sorted, as groups are), some columns missing from some
    parts, a chunked column: the linear order gives the sort's columns and lines."""
    rnd.shuffle(lines)
    cuts = sorted(rnd.sample(range(len(lines) + 1), min(n_parts - 1, len(lines) + 1)))
    parts = []
    for lo, hi in zip([0, *cuts], [*cuts, len(lines)]):
        mine = np.sort(np.array(lines[lo:hi], np.int64))
        cols = {"a": pa.array([f"v{x}" for x in mine], pa.string())}
        if lo % 2 == 0:
            cols["b"] = pa.chunked_array([pa.array(mine.tolist(), pa.int64())])
        if hi % 3 == 0:
            cols["c"] = pa.array([None if x % 2 else str(x) for x in mine.tolist()], pa.string())
        parts.append((cols, mine))
    got_cols, got_lines = in_file_order(parts)
    want_cols, want_lines = common.concat_sorted(parts)
    assert got_lines.tolist() == want_lines.tolist()
    assert list(got_cols) == list(want_cols)
    for name in want_cols:
        assert got_cols[name].type == want_cols[name].type
        assert pa.chunked_array([got_cols[name]]).to_pylist() == \
            pa.chunked_array([want_cols[name]]).to_pylist()


def _parse_calldate_before(col: pa.Array, epoch: pa.Array) -> tuple[pa.Array, str]:
    """FreePBX's calldate parse as committed before the ISO early exit (the reference)."""
    best = None
    ep = pc.cast(epoch, pa.int64())
    for name, fmt in freepbx.FORMS.items():
        for f in (fmt, fmt.replace(":%S", "")):
            ts = pc.strptime(col, format=f, unit="s", error_is_null=True)
            wall = pc.cast(pc.cast(ts, pa.timestamp("s")), pa.int64())
            near = pc.less_equal(pc.abs(pc.subtract(wall, ep)), freepbx.TOLERANCE_S)
            score = common.count_true(pc.fill_null(near, False)) * 2 + (len(ts) - ts.null_count)
            if best is None or score > best[0]:
                best = (score, name + ("" if f == fmt else " without seconds"), ts)
            if ts.null_count < len(ts) and f == fmt:
                break
    assert best is not None
    return best[2], best[1]


_DATES = st.sampled_from(["2024-06-10 08:00:31", "2024-06-10 08:00", "10/06/2024 08:00:31",
                          "6/10/2024 8:00", "13/06/2024 08:00:31", "06/13/2024 08:00:31",
                          "2024-6-1 8:00:31", "x", "", "2024-06-10T08:00:31"])


@BOUNDED
@given(st.lists(st.none() | _DATES, max_size=12),
       st.lists(st.sampled_from([1718006431, 1718020831, 1, 0]), min_size=12, max_size=12))
def test_freepbx_calldate_early_exit_equals_the_full_search(dates, epochs) -> None:
    col = pa.array(dates, pa.string())
    epoch = pa.array(epochs[:len(dates)], pa.int64())
    got, form = freepbx._parse_calldate(col, epoch)
    want, want_form = _parse_calldate_before(col, epoch)
    assert form == want_form
    assert got.to_pylist() == want.to_pylist()
