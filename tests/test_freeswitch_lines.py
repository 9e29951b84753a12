"""The mod_cdr_csv reader's line-by-line path (``freeswitch_lines.read_lines``) reads exactly
what ``read_positional`` reads: rows, values, line numbers, bad lines with their reasons, the
count of bad lines, the repaired lines and every note.

``read_positional`` only groups every line by its field count (the case ``read_lines`` takes)
past ``MAX_REFUSED`` refused lines in its first ``TRIAL_LINES`` lines; those limits are made
small here so that files of a few lines take that path.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.switches import freeswitch as fs
from workbench.ingest.formats.switches import freeswitch_lines as fl
from workbench.ingest.formats.switches.positional import with_text

FX = Path(__file__).parent / "fixtures" / "formats"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


pytestmark = pytest.mark.usefixtures("small_positional_limits")


def _read(path: Path, fast: bool):
    opts = ReadOptions()
    try:
        return with_text(path, None, lambda d, e: fs._read(path, opts, d, e, fast=fast))
    except Exception as exc:  # the same refusal either way
        return f"{type(exc).__name__}: {exc}"


def _same(path: Path) -> None:
    a, b = _read(path, True), _read(path, False)
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert list(a.columns) == list(b.columns)
    for k in a.columns:
        assert a.columns[k].equals(b.columns[k]), k
    assert a.lines.tolist() == b.lines.tolist()
    assert [(x.line, x.reason, x.text) for x in a.bad_lines] == \
        [(x.line, x.reason, x.text) for x in b.bad_lines]
    assert a.bad_line_count == b.bad_line_count
    assert a.notes == b.notes
    assert (a.headers, a.encoding) == (b.headers, b.encoding)


def _taken(path: Path) -> bool:
    data = path.read_bytes()
    data, _ = fs._unwrap_sql(data)
    return fl.read_lines(data, fs._first_count(data), str(path), "x") is not None


def test_benchmark_file_takes_the_line_path_and_reads_the_same(tmp_path):
    seed = (FX / "freeswitch_example.csv").read_text()
    p = tmp_path / "calls.csv"
    p.write_text("".join(seed.replace("0143", f"{k:04d}") for k in range(40)))
    assert _taken(p)
    _same(p)
    t = _read(p, True)
    assert len(t.lines) == 160 and t.bad_line_count == 40  # the cut line of each copy


def test_a_line_left_open_where_a_row_is_read_goes_to_the_careful_reader(tmp_path):
    good = ",".join(f'"v{i}"' for i in range(15)) + "\n"
    open_last = ",".join(f'"v{i}"' for i in range(14)) + ',"cut\n'  # 15 counted, quote open
    p = tmp_path / "calls.csv"
    p.write_text("x\n" * 5 + good * 3 + open_last + good * 3)
    assert not _taken(p)
    _same(p)


_VALUE = st.one_of(
    st.text(alphabet='ab ,é\\1-:', max_size=6),
    st.text(alphabet='ab ,"é\\1-:', max_size=6),
    st.sampled_from(["ACCT SERVICES", 'Bob "The Closer", LLC', "+12025550143", "", '""',
                     "2024-06-10 11:00:31", "NORMAL_CLEARING", "a,b", '"', 'x"', '"y']))


@st.composite
def _line(draw) -> str:
    n = draw(st.sampled_from([13, 15, 15, 15, 14, 16, 3]))
    vals = [draw(_VALUE) for _ in range(n)]
    how = draw(st.sampled_from(["quoted", "quoted", "quoted", "plain", "mixed", "default",
                                "doubled"]))
    if how == "quoted":  # the template as FreeSWITCH writes it: values not escaped
        text = ",".join(f'"{v}"' for v in vals)
    elif how == "doubled":
        text = ",".join('"' + v.replace('"', '""') + '"' for v in vals)
    elif how == "plain":
        text = ",".join(vals)
    elif how == "default":  # the stray space before the last field
        text = ",".join(f'"{v}"' for v in vals[:-1]) + f', "{vals[-1]}"'
    else:
        text = ",".join(f'"{v}"' if draw(st.booleans()) else v for v in vals)
    if draw(st.integers(0, 6)) == 6:  # cut
        text = text[:draw(st.integers(0, len(text)))]
    return text


@st.composite
def _file(draw) -> str:
    lines = draw(st.lists(_line(), min_size=12, max_size=30))
    # lines of another count first: past 2 of them the careful reader groups every line
    bad_head = draw(st.sampled_from([0, 3, 5, 8, 8, 8]))
    head = ['"a","b","c"'] * bad_head
    text = "\n".join(head + lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    if draw(st.integers(0, 9)) == 9:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 9)) == 9:
        text = "\n".join(f"INSERT INTO cdr VALUES ({ln});" for ln in text.split("\n"))
    return text


@SETTINGS
@given(_file())
def test_generated_files_read_the_same_by_either_path(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("fs") / "calls.csv"
    p.write_text(text, encoding="utf-8")
    _same(p)


def test_generated_files_take_the_line_path_often(tmp_path_factory):
    """The property above is about the line path: most generated files must take it."""
    taken = []

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(_file())
    def run(text):
        p = tmp_path_factory.mktemp("fs") / "calls.csv"
        p.write_text(text, encoding="utf-8")
        taken.append(_taken(p))

    run()
    assert sum(taken) >= len(taken) // 3, (sum(taken), len(taken))


# ---------------------------------------------------------------- the re-split of bad lines

def _repair_before(pos, count: int):
    """``freeswitch._repair`` as it was: every search an Arrow kernel over the lines."""
    import numpy as np
    import pyarrow.compute as pc

    from workbench.ingest.formats.switches.common import select_lines, text_lines
    nums = pos.bad_numbers
    lines, _ = text_lines(select_lines(pos.data, nums, pos.starts))
    t = lines
    if pc.any(pc.match_substring(t, "insert", ignore_case=True)).as_py():
        t = pc.replace_substring_regex(t, r"(?i)^\s*INSERT INTO\s+[\w.`\"]+\s+VALUES\s*\(", "")
    if pc.any(pc.match_substring(t, ");")).as_py():
        t = pc.replace_substring_regex(t, r"\);\s*$", "")
    t = pc.utf8_trim_whitespace(t)
    quoted = pc.and_(pc.and_(pc.starts_with(t, '"'), pc.ends_with(t, '"')),
                     pc.greater_equal(pc.utf8_length(t), 2))
    inner = pc.utf8_slice_codeunits(t, 1, -1)
    if pc.any(pc.match_substring_regex(inner, r'",\s"')).as_py():
        parts = pc.split_pattern_regex(inner, r'",\s?"')
    else:
        parts = pc.split_pattern(inner, '","')
    fit = pc.fill_null(pc.and_(quoted, pc.equal(pc.list_value_length(parts), count)), False)
    fixed = pc.filter(parts, fit)
    cols = {f"f{i}": pc.list_element(fixed, i) for i in range(count)}
    fit_np = fit.to_numpy(zero_copy_only=False)
    left = np.flatnonzero(~fit_np)
    return cols, nums[fit_np], [int(nums[i]) for i in left], len(left)


_SEP = st.sampled_from(['","', '","', '", "', '",\t"', '",\f"', '",\x0b"', '",\r"',
                        '",\u00a0"'])


@st.composite
def _bad_line(draw) -> str:
    """A template line whose values were not escaped, maybe wrapped as the sql template."""
    values = draw(st.lists(st.text(alphabet='a é,"ſ', max_size=4), min_size=1, max_size=4))
    seps = [draw(_SEP) for _ in values[1:]]
    body = values[0] + "".join(s + v for s, v in zip(seps, values[1:]))
    prefix = draw(st.sampled_from(["", "", "INSERT INTO cdr VALUES (", "insert into t values(",
                                   "inſert into x values (", "\t", " "]))
    suffix = draw(st.sampled_from(["", "", ");", ") ;", " ", ");\u2003", "\u2003"]))
    return prefix + '"' + body + '"' + suffix


@SETTINGS
@given(st.lists(st.one_of(_bad_line(), st.text(alphabet='a,"\t ', max_size=8)), min_size=1,
                max_size=8),
       st.sampled_from([2, 3, 4]))
def test_the_resplit_of_bad_lines_is_as_before(lines, count):
    import numpy as np

    from workbench.ingest.formats.delimited import line_starts, nonblank_lines
    from workbench.ingest.formats.switches.positional import Positional
    data = "\n".join(lines).encode() + b"\n"
    starts = line_starts(data)
    pos = Positional([], data=data, bad_numbers=nonblank_lines(data, starts), starts=starts)
    if not len(pos.bad_numbers):
        return
    cols, fixed, still, left = fs._repair(pos, count)
    want = _repair_before(pos, count)
    assert [cols[k].to_pylist() for k in cols] == [want[0][k].to_pylist() for k in want[0]]
    assert np.array_equal(fixed, want[1])
    assert [b.line for b in still] == want[2][:len(still)] and left == want[3]
