"""The mod_cdr_csv reader's classification of its non-plain lines (``freeswitch_lines.
_classify``: the second counting pass only over lines pyarrow reads as a wanted count) and the
repair's trim test taken only on lines that might trim to ``"…"``
(``freeswitch_csv_repair._may_trim_to_quoted``) give what the code they replaced gave: that
code is kept below as it was (``_read_lines_before``, ``_resplit_before``) and both are run on
generated lines, with decoys (lines pyarrow and the field counter read differently, quotes
left open, blanks and Unicode spaces around the quotes, very short lines).
"""
from __future__ import annotations

import mmap
import os
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.test_freeswitch_lines import _bad_line, _line
from workbench.ingest.formats.base import BadLine
from workbench.ingest.formats.delimited import (
    MAX_BAD_KEPT,
    is_ascii,
    line_starts,
    nonblank_lines,
)
from workbench.ingest.formats.switches import freeswitch as fs
from workbench.ingest.formats.switches import freeswitch_csv_repair as fr
from workbench.ingest.formats.switches import freeswitch_lines as fl
from workbench.ingest.formats.switches import positional
from workbench.ingest.formats.switches.freeswitch_lines import (
    _CLOSED,
    ACCEPT,
    _counts_in,
    _exactly,
    _line_starts,
    _plain_pattern,
    _reasons,
    _table,
    _whole,
)
from workbench.ingest.formats.switches.positional import Group, clean_utf8

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


pytestmark = pytest.mark.usefixtures("small_positional_limits")


# ---------------------------------------------------------------- the code as it was


def _read_lines_before(data: bytes, expected: int, file: str, reason: str,
               fields: Sequence[int] | None = None) -> fl.LinePositional | None:
    """``read_positional(data, delimiter=",", expected=expected, accept=13/15, …)``'s result
    where it can be had without the per-row callbacks (see the module's docstring), else
    None. ``fields``: the only field indexes the groups' tables convert (all if None)."""
    if not isinstance(data, (bytes, mmap.mmap)) or data.find(b"\r") >= 0 or \
            not (is_ascii(data) or clean_utf8(data)):
        return None
    kw = dict(delimiter=",", quote_char='"', escape_char=False, double_quote=True, file=file)
    if not positional._many_refused(data, None, None, expected, 0, None, kw):
        return None  # one parse of the whole file is what the careful reader does: cheap
    starts = _line_starts(data)
    cands = nonblank_lines(data, starts)
    if not len(cands):
        return None
    whole = _whole(data, starts)
    # plain lines of the usual count by one RE2 pass; a plain line of the other count is
    # counted and matched below with the other lines, which reads it the same way
    plain = pc.match_substring_regex(whole, _plain_pattern(expected)).to_numpy(
        zero_copy_only=False)[cands - 1]
    counts = np.full(len(cands), expected, np.int64)
    other = np.flatnonzero(~plain)
    # the other lines copied out once: counted there (a line's count depends on its own
    # bytes alone) and, where a row may be, matched against pyarrow's reading
    texts = whole.take(pa.array(cands[other] - 1))
    wanted = sorted(set(ACCEPT) | {expected})
    if len(other):  # the counts that matter; -1: another (counted below for the kept few)
        counts[other] = _counts_in(texts, wanted)
    where = np.full(len(cands), -1, np.int64)  # a line's place among the other lines
    where[other] = np.arange(len(other))
    groups: list[Group] = []
    bad_at: list[np.ndarray] = []  # places among the candidate lines
    bad_why: list[tuple[np.ndarray, str | None]] = []
    for count in np.unique(counts).tolist():
        at = np.flatnonzero(counts == count)
        if count not in wanted:
            bad_why.append((cands[at], None))  # "<n> fields; …": n found for the kept lines
            bad_at.append(at)
            continue
        odd = at[~plain[at]]
        rows_odd = np.zeros(0, np.int64)
        if len(odd):
            some = texts.take(pa.array(where[odd]))
            fits = pc.match_substring_regex(some, _exactly(count)).to_numpy(
                zero_copy_only=False)
            closed = pc.match_substring_regex(some, _CLOSED).to_numpy(zero_copy_only=False)
            if not np.all(fits | closed):
                return None  # a line left a quote open: the careful reader places it
            rows_odd = odd[fits]
            wrong = odd[~fits]
            if len(wrong):
                bad_why.append((cands[wrong], "wrong number of fields"))
                bad_at.append(wrong)
        rows = cands[np.sort(np.concatenate([at[plain[at]], rows_odd]))]
        table = _table(whole, rows, count, fields)
        if table is None:
            return None
        if table.num_rows:
            groups.append(Group(count, table, rows))
    bad_idx = np.sort(np.concatenate(bad_at)) if bad_at else np.zeros(0, np.int64)
    kept = sorted(((int(n), why) for lines, why in bad_why
                   for n in lines[:MAX_BAD_KEPT].tolist()), key=lambda b: b[0])[:MAX_BAD_KEPT]
    bad = [BadLine(n, why, "") for n, why in _reasons(kept, cands, where, texts, reason)]
    # the bad lines' text, for the repair (every bad line is one of the other lines)
    bad_texts = texts if len(bad_idx) == len(other) else texts.take(pa.array(where[bad_idx]))
    return fl.LinePositional(groups, bad[:MAX_BAD_KEPT], len(bad_idx), data=data,
                          bad_numbers=cands[bad_idx].astype(np.int64), starts=starts,
                          bad_texts=bad_texts)


def _resplit_before(lines: pa.Array, count: int, fields: Sequence[int] | None
            ) -> tuple[dict[str, pa.Array], np.ndarray] | None:
    """(columns ``f{i}`` of the lines that are rows, for ``fields`` or all, and which lines
    are rows) as ``freeswitch._repair`` works them out, or None where its general code must
    run (see the module's docstring). ``lines``: string lines each ending in ``\\n``."""
    n = len(lines)
    if not n or not fr._all_end_in_newline(lines):
        return None
    if fr._not_simple(np.frombuffer(fr._joined(lines), np.uint8)):
        return None
    quoted = pc.and_(pc.and_(pc.starts_with(lines, '"'), pc.ends_with(lines, '"\n')),
                     pc.greater_equal(pc.binary_length(lines), 3))
    q = quoted.to_numpy(zero_copy_only=False)
    if not q.all():
        t = pc.utf8_trim_whitespace(lines.filter(pa.array(~q)))
        if pc.any(pc.and_(pc.and_(pc.starts_with(t, '"'), pc.ends_with(t, '"')),
                          pc.greater_equal(pc.utf8_length(t), 2))).as_py():
            return None  # quoted once blanks around it are trimmed: the general code
    picked = lines if q.all() else lines.filter(quoted)
    parts = pc.split_pattern(pc.utf8_slice_codeunits(picked, 1, -2), '","')
    fits = pc.equal(pc.list_value_length(parts), count).to_numpy(zero_copy_only=False)
    fit = np.zeros(n, bool)
    fit[np.flatnonzero(q)[fits]] = True
    fixed = parts if fits.all() else parts.filter(pa.array(fits))
    wanted = range(count) if fields is None else sorted(i for i in set(fields) if i < count)
    return {f"f{i}": pc.list_element(fixed, i) for i in wanted}, fit




# ---------------------------------------------------------------- the line reader's outcome

#: Lines pyarrow and the field counter read differently, quotes left open, fields of 13 and
#: 15 read by one and not the other.
_DECOY = st.lists(st.sampled_from(['"', ",", "a", '""', '","', '" ', "b,", '"x"', ',"', '",']),
                  min_size=0, max_size=40).map("".join)


def _fields_line(draw, n: int) -> str:
    vals = [draw(st.sampled_from(["a", '"a"', '"a,b"', 'a"b', '"a""b"', '"a"b', "", '""',
                                  '"Bob "The Closer", LLC"', '"a', 'b"']))
            for _ in range(n)]
    return ",".join(vals)


@st.composite
def _decoy_line(draw) -> str:
    how = draw(st.integers(0, 2))
    if how == 0:
        return draw(_DECOY)
    return _fields_line(draw, draw(st.sampled_from([12, 13, 14, 15, 16])))


@st.composite
def _lines_file(draw) -> bytes:
    lines = draw(st.lists(st.one_of(_line(), _line(), _decoy_line()), min_size=12, max_size=30))
    head = ['"a","b","c"'] * draw(st.sampled_from([0, 3, 5, 8, 8, 8]))
    return ("\n".join(head + lines) + draw(st.sampled_from(["\n", "", "\n\n"]))).encode()


def _same_positional(a, b) -> None:
    assert (a is None) == (b is None)
    if a is None:
        return
    assert [(g.count, g.lines.tolist()) for g in a.groups] == \
        [(g.count, g.lines.tolist()) for g in b.groups]
    assert all(x.table.equals(y.table) for x, y in zip(a.groups, b.groups))
    assert [(x.line, x.reason, x.text) for x in a.bad_lines] == \
        [(x.line, x.reason, x.text) for x in b.bad_lines]
    assert a.bad_count == b.bad_count
    assert a.bad_numbers.tolist() == b.bad_numbers.tolist()
    assert a.bad_texts.equals(b.bad_texts)


@SETTINGS
@given(_lines_file(), st.sampled_from([13, 15]), st.sampled_from([None, fs.NEEDED]))
def test_the_line_reader_classifies_as_before(data, expected, fields):
    new = fl.read_lines(data, expected, "x", "r", fields)
    old = _read_lines_before(data, expected, "x", "r", fields)
    _same_positional(new, old)
    TAKEN.append(new is not None)


TAKEN: list[bool] = []


def test_the_generated_files_take_the_line_path_often():
    """The property above is about the line path: most generated files must take it."""
    if not TAKEN:
        pytest.skip("run with the property above")
    assert sum(TAKEN) >= len(TAKEN) // 3, (sum(TAKEN), len(TAKEN))


def test_the_line_reader_classifies_as_before_with_many_bad_lines(monkeypatch):
    """Past ``MAX_BAD_KEPT`` bad lines of both kinds: the kept ones and their reasons."""
    monkeypatch.setattr(fl, "MAX_BAD_KEPT", 3)
    good = ",".join(f'"v{i}"' for i in range(15))
    wrong = '"Bob "The Closer", LLC",' + ",".join(f'"v{i}"' for i in range(1, 15))
    other = ",".join(f'"v{i}"' for i in range(6)) + ',"cut'
    row13 = ",".join(f'"v{i}"' for i in range(12)) + ',"a""b"'  # read as 13: a row
    lines = ['"a","b","c"'] * 5 + [good, wrong, other, good, row13, other, wrong] * 6
    data = ("\n".join(lines) + "\n").encode()
    import tests.test_freeswitch_csv_classify as me
    monkeypatch.setattr(me, "MAX_BAD_KEPT", 3)
    new = fl.read_lines(data, 15, "x", "r")
    assert new is not None and {g.count for g in new.groups} == {13, 15}
    _same_positional(new, _read_lines_before(data, 15, "x", "r"))


def test_the_second_count_runs_only_on_lines_read_as_a_wanted_count(monkeypatch):
    """The benchmark's damaged lines (15 counted, 16 read by pyarrow; a quote left open) are
    settled without counting them exactly."""
    seen = []
    real = fl._counts_in
    monkeypatch.setattr(fl, "_counts_in", lambda t, w: seen.append(len(t)) or real(t, w))
    good = ",".join(f'"v{i}"' for i in range(15))
    wrong = '"Bob "The Closer", LLC",' + ",".join(f'"v{i}"' for i in range(1, 15))
    cut = ",".join(f'"v{i}"' for i in range(6)) + ',"2024-06-'
    data = ("\n".join([good, good, wrong, cut, good] * 10) + "\n").encode()
    got = fl.read_lines(data, 15, "x", "r")
    assert got is not None and got.bad_count == 20 and seen == []
    _same_positional(got, _read_lines_before(data, 15, "x", "r"))


# ---------------------------------------------------------------- the repair's trim test

_EDGE = st.sampled_from(["", "", " ", "\t", "\u2003", "\u00a0", "\x1c", "\x1f", "\x0b", "\x85",
                         "x", '"', "é", "\f"])


@st.composite
def _trim_line(draw) -> str:
    """A line with what might or might not be trimmed around its quotes."""
    how = draw(st.integers(0, 5))
    if how == 0:  # sql wrapping and blank separators too (the general code's cases)
        core = draw(_bad_line())
    elif how == 1:
        core = draw(st.sampled_from(['"', '""', '"a"', "", '"a","b"', '"a","b","c"', '"x","y']))
    else:  # the re-split's own case: only ``","`` between values
        values = draw(st.lists(st.text(alphabet='a é,"ſ', max_size=4), min_size=1, max_size=4))
        core = '"' + '","'.join(values) + '"'
    return draw(_EDGE) + core + draw(_EDGE)


def _texts(lines: list[str]) -> pa.Array:
    data = "\n".join(lines).encode() + b"\n"
    starts = line_starts(data)
    nums = nonblank_lines(data, starts)
    return fl._whole(data, starts).take(pa.array(nums - 1))


@SETTINGS
@given(st.lists(st.one_of(_trim_line(), _trim_line(), _trim_line(),
                          st.text(alphabet='a,"\t \u2003', max_size=8)),
                min_size=1, max_size=4),
       st.sampled_from([2, 3, 4]), st.sampled_from([None, [0], [1, 2]]))
@example([' "a","b"', '"a","b"'], 2, None)  # trimmed to quotes: the general code
@example(['"a","b"\u2003', '"a","b"'], 2, None)
@example(['\u00a0"a","b"', '"c","d"'], 2, [1])
@example(['"a","b"\x1c', '"a","b"', '"'], 2, None)
def test_the_resplit_is_as_before(lines, count, fields):
    texts = _texts(lines)
    if not len(texts):
        return
    new, old = fr.resplit(texts, count, fields), _resplit_before(texts, count, fields)
    assert (new is None) == (old is None)
    if new is not None:
        assert new[1].tolist() == old[1].tolist()
        assert list(new[0]) == list(old[0]) and all(new[0][k].equals(old[0][k]) for k in old[0])


@SETTINGS
@given(st.lists(_trim_line(), min_size=1, max_size=8))
def test_lines_left_out_of_the_trim_test_trim_to_no_quoted_line(lines):
    texts = _texts(lines)
    if not len(texts) or not fr._all_end_in_newline(texts):
        return
    skipped = ~fr._may_trim_to_quoted(texts)
    t = pc.utf8_trim_whitespace(texts).to_pylist()
    for s, v in zip(skipped.tolist(), t):
        if s:
            assert not (v.startswith('"') and v.endswith('"') and len(v) >= 2), v


def test_the_benchmarks_cut_lines_skip_the_trim():
    cut = _texts([",".join(f'"v{i}"' for i in range(6)) + ',"2024-06-'] * 4)
    assert not fr._may_trim_to_quoted(cut).any()
