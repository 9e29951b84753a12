"""The mod_cdr_csv reader's fast pieces read exactly what the code they replace read.

- the plain-line test (one RE2 pass) against the quote-offset test it replaced
  (``_plain_lines`` as it was, kept below);
- the re-split of bad lines on the line reader's copy (``freeswitch_csv_repair.resplit``) and
  its byte scan (``_not_simple``) against the general re-split and a regex;
- the columns put back in file order (``common.in_file_order``) against
  ``common.concat_sorted``;
- the reader converting only the fields it needs, and reading a mapped file, against the
  reader converting every field of the file's bytes.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_freeswitch_lines import _bad_line, _file, _line
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.delimited import line_starts, nonblank_lines
from workbench.ingest.formats.switches import freeswitch as fs
from workbench.ingest.formats.switches import freeswitch_csv_repair as fr
from workbench.ingest.formats.switches import freeswitch_lines as fl
from workbench.ingest.formats.switches.common import concat_sorted, in_file_order
from workbench.ingest.formats.switches.positional import Positional, with_text

FX = Path(__file__).parent / "fixtures" / "formats"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


# ---------------------------------------------------------------- plain lines

def _plain_lines_before(buf: np.ndarray, lo: np.ndarray, hi: np.ndarray, c: int) -> np.ndarray:
    """``freeswitch_lines._plain`` as it was (one count, the whole buffer as one block): the
    first byte and the last are quotes, and the quotes between pair up as ``","``."""
    quotes = np.flatnonzero(buf == 34)
    first = np.searchsorted(quotes, lo)
    nq = np.searchsorted(quotes, hi) - first
    ok: np.ndarray = nq == 2 * c
    idx = np.flatnonzero(ok)
    if not len(idx):
        return ok
    q = quotes[first[idx, None] + np.arange(2 * c)]
    good = (q[:, 0] == lo[idx]) & (q[:, -1] == hi[idx] - 1)
    closers, openers = q[:, 1:-1:2], q[:, 2::2]
    good &= np.all(openers - closers == 2, axis=1) & np.all(buf[closers + 1] == 44, axis=1)
    ok[idx] = good
    return ok


_PLAIN_VALUE = st.one_of(st.text(alphabet='ab ,"é\n\\', max_size=5),
                         st.sampled_from(["", ",", '","', '"', "a,b", '",', ',"']))


@st.composite
def _plainish(draw) -> str:
    """Lines near the plain form: quoted values, some with quotes or a cut, odd counts."""
    n = draw(st.sampled_from([2, 3, 3, 4, 13, 15]))
    vals = [draw(_PLAIN_VALUE).replace("\n", "") for _ in range(n)]
    text = ",".join(f'"{v}"' for v in vals)
    how = draw(st.integers(0, 5))
    if how == 0:
        text = text[:draw(st.integers(0, len(text)))]
    elif how == 1:
        text = " " + text
    elif how == 2:
        text = text + draw(st.sampled_from([" ", '"', ",", "x"]))
    return text


@SETTINGS
@given(st.lists(st.one_of(_plainish(), _line()), min_size=1, max_size=20),
       st.sampled_from([2, 3, 4, 13, 15]), st.sampled_from(["\n", ""]))
def test_plain_lines_by_re2_are_the_quote_offset_test(lines, count, end):
    data = ("\n".join(lines) + end).encode()
    if not data:
        return
    starts = line_starts(data)
    buf = np.frombuffer(data, np.uint8)
    ends = np.append(starts[1:] - 1, len(buf) - 1 if buf[-1] == 10 else len(buf))
    want = _plain_lines_before(buf, starts, ends, count)
    got = pa.compute.match_substring_regex(fl._whole(data, starts), fl._plain_pattern(count))
    assert got.to_numpy(zero_copy_only=False).tolist() == want.tolist()


# ---------------------------------------------------------------- the re-split

def _not_simple_before(data: bytes) -> bool:
    return re.search(rb'\(|\);|",[\t\f\r ]"', data) is not None


@SETTINGS
@given(st.binary(max_size=40) |
       st.lists(st.sampled_from(['",', '"', "\t", " ", "\f", "\r", "(", ")", ";", "a", "\n",
                                 ",", "\x0b", '", "', '",\t"', '",\f"', '",\r"', '",\n"',
                                 '",\x0b"', ");", ") ;"]), max_size=12)
       .map(lambda t: "".join(t).encode()),
       st.integers(1, 8))
def test_the_byte_scan_finds_what_the_regex_finds(data, block_log):
    old = fr.BLOCK
    fr.BLOCK = 1 << block_log  # patterns across block edges too
    try:
        assert fr._not_simple(np.frombuffer(data, np.uint8)) == _not_simple_before(data)
    finally:
        fr.BLOCK = old


def _bad_positional(lines: list[str]) -> tuple[Positional, pa.Array]:
    data = "\n".join(lines).encode() + b"\n"
    starts = line_starts(data)
    nums = nonblank_lines(data, starts)
    texts = fl._whole(data, starts).take(pa.array(nums - 1))
    return Positional([], data=data, bad_numbers=nums, starts=starts), texts


_SIMPLE_SEP = st.sampled_from(['","', '","', '","', '", "', '",\t"'])


@st.composite
def _simple_bad_line(draw) -> str:
    """Mostly lines the fast re-split takes: quoted, quotes and commas inside values."""
    values = draw(st.lists(st.text(alphabet='a é,"ſ', max_size=4), min_size=1, max_size=5))
    seps = [draw(_SIMPLE_SEP) for _ in values[1:]]
    body = '"' + values[0] + "".join(s + v for s, v in zip(seps, values[1:])) + '"'
    how = draw(st.integers(0, 7))
    if how == 0:
        body = body[:draw(st.integers(0, len(body)))]
    elif how == 1:
        body = draw(st.sampled_from([" ", "\u2003", "x"])) + body
    elif how == 2:
        body += draw(st.sampled_from([" ", "\u2003", "x", ");"]))
    return body


@SETTINGS
@given(st.lists(st.one_of(_simple_bad_line(), _bad_line(), st.text(alphabet='a,"\t ',
                                                                    max_size=8)),
                min_size=1, max_size=8),
       st.sampled_from([2, 3, 4]), st.sampled_from([None, [0], [1, 2], [0, 2, 7]]))
def test_the_fast_resplit_is_the_general_one(lines, count, fields):
    pos, texts = _bad_positional(lines)
    if not len(pos.bad_numbers):
        return
    got = fr.resplit(texts, count, fields)
    cols, fit, _ = fs._resplit_all(pos, count, fields)
    if got is None:
        return
    assert got[1].tolist() == fit.tolist()
    assert list(got[0]) == list(cols)
    assert all(got[0][k].equals(cols[k]) for k in cols)


def test_the_fast_resplit_takes_the_common_lines():
    lines = ['"Bob "The Closer", LLC","1","2"', '"a","b"', '"a","b","c"', '"x","y',
             ' "a","b","c"x']
    pos, texts = _bad_positional(lines)
    got = fr.resplit(texts, 3, None)
    assert got is not None and got[1].tolist() == [True, False, True, False, False]
    assert got[0]["f0"].to_pylist() == ['Bob "The Closer", LLC', "a"]
    for odd in (' "a","b","c" ', '"a", "b","c"', 'INSERT INTO t VALUES ("a","b","c");'):
        assert fr.resplit(_bad_positional(lines + [odd])[1], 3, None) is None


def test_repair_with_the_line_readers_copy_is_the_repair_without(tmp_path):
    seed = (FX / "freeswitch_example.csv").read_text()
    data = "".join(seed.replace("0143", f"{k:04d}") for k in range(40)).encode()
    pos = fl.read_lines(data, 15, "x", "r")
    assert pos is None  # too few lines for the line path: build its result by hand
    starts = line_starts(data)
    nums = np.array([4 + 5 * k for k in range(40)] + [3 + 5 * k for k in range(40)])
    nums.sort()
    texts = fl._whole(data, starts).take(pa.array(nums - 1))
    plain = Positional([], data=data, bad_numbers=nums, starts=starts)
    fast = fl.LinePositional([], data=data, bad_numbers=nums, starts=starts, bad_texts=texts)
    a, b = fs._repair(fast, 15, fs.NEEDED), fs._repair(plain, 15, fs.NEEDED)
    assert list(a[0]) == list(b[0]) and all(a[0][k].equals(b[0][k]) for k in a[0])
    assert a[1].tolist() == b[1].tolist() and a[3] == b[3] == 40
    assert [(x.line, x.reason, x.text) for x in a[2]] == [(x.line, x.reason, x.text) for x in b[2]]


# ---------------------------------------------------------------- file order

@st.composite
def _parts(draw):
    n_parts = draw(st.integers(1, 4))
    lines = draw(st.lists(st.integers(1, 200), min_size=0, max_size=40, unique=True))
    cut = sorted(draw(st.lists(st.integers(0, len(lines)), min_size=n_parts - 1,
                               max_size=n_parts - 1)))
    bounds = [0] + cut + [len(lines)]
    parts = []
    for i in range(n_parts):
        at = np.array(sorted(lines[bounds[i]:bounds[i + 1]]), np.int64)
        cols = {}
        for name in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=4,
                                  unique=True)):
            vals = [draw(st.one_of(st.none(), st.text(max_size=3))) for _ in at]
            col = pa.array(vals, draw(st.sampled_from([pa.string(), pa.large_string()])))
            if draw(st.booleans()) and len(vals) > 1:
                col = pa.chunked_array([col.slice(0, 1), col.slice(1)])
            cols[name] = col
        parts.append((cols, at))
    return parts


@SETTINGS
@given(_parts())
def test_file_order_is_concat_sorted(parts):
    got_cols, got_lines = in_file_order(parts)
    want_cols, want_lines = concat_sorted(parts)
    assert got_lines.tolist() == want_lines.tolist()
    assert list(got_cols) == list(want_cols)
    for k in want_cols:
        want = want_cols[k]
        want = want.combine_chunks() if isinstance(want, pa.ChunkedArray) else want
        assert got_cols[k].type == want.type and got_cols[k].equals(want), k


# ---------------------------------------------------------------- the whole reader

def _table(t) -> tuple:
    return ({k: v for k, v in t.columns.items()}, t.lines.tolist(),
            [(b.line, b.reason, b.text) for b in t.bad_lines], t.bad_line_count, t.notes,
            t.headers, t.encoding)


def _same(a, b) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    ta, tb = _table(a), _table(b)
    assert list(ta[0]) == list(tb[0])
    for k in ta[0]:
        assert ta[0][k].type == tb[0][k].type and ta[0][k].equals(tb[0][k]), k
    assert ta[1:] == tb[1:]


def _read_bytes(path: Path, opts: ReadOptions, fast: bool = True):
    try:
        return with_text(path, opts.encoding,
                         lambda d, e: fs._read(path, opts, d, e, fast=fast))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def _read_mapped(path: Path, opts: ReadOptions):
    past = time.time() - 3600  # not a file being written: mapped
    os.utime(path, (past, past))
    try:
        return fs.read_freeswitch(path, opts)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@SETTINGS
@given(_file())
def test_needed_fields_mapped_read_as_every_field_of_the_bytes(
        tmp_path_factory, small_positional_limits, text):
    p = tmp_path_factory.mktemp("fs") / "calls.csv"
    p.write_text(text, encoding="utf-8")
    every = pytest.MonkeyPatch()
    every.setattr(fs, "NEEDED", list(range(15)))
    try:
        want = _read_bytes(p, ReadOptions())
    finally:
        every.undo()
    _same(_read_mapped(p, ReadOptions()), want)
    _same(_read_bytes(p, ReadOptions(), fast=False), want)
    for cols in ({"calling": "context"}, {"calling": "read_codec"}, {"calling": "nope"}):
        _same(_read_mapped(p, ReadOptions(columns=cols)), _read_bytes(p, ReadOptions(columns=cols),
                                                                      fast=False))


@pytest.mark.parametrize("name", ["freeswitch_default.csv", "freeswitch_example.csv",
                                  "freeswitch_mangled.csv", "freeswitch_sql.csv"])
def test_fixtures_mapped_read_as_their_bytes(tmp_path, small_positional_limits, name):
    p = tmp_path / name
    p.write_bytes((FX / name).read_bytes() * 30)
    _same(_read_mapped(p, ReadOptions()), _read_bytes(p, ReadOptions(), fast=False))


def test_a_windows_1252_file_mapped_reads_as_its_bytes(tmp_path, small_positional_limits):
    good = ",".join(f'"v{i}"' for i in range(15)) + "\n"
    text = ('"a","b"\n' * 5 + good * 10 + '"Jos\xe9 "X", LLC",' + good[:-1].split(",", 1)[1]
            + "\n" + good * 10)
    p = tmp_path / "calls.csv"
    p.write_bytes(text.encode("cp1252"))
    got = _read_mapped(p, ReadOptions())
    _same(got, _read_bytes(p, ReadOptions(), fast=False))
    assert not isinstance(got, str) and got.encoding != "utf-8"


def test_the_benchmark_layout_mapped_takes_the_fast_paths(tmp_path, monkeypatch,
                                                         small_positional_limits):
    """The replicated fixture (the benchmark's file): line reader and fast re-split taken,
    the mapping released (nothing returned refers to it), the same table as the bytes."""
    seed = (FX / "freeswitch_example.csv").read_text()
    p = tmp_path / "calls.csv"
    p.write_text("".join(seed.replace("0143", f"{k:04d}") for k in range(40)))
    taken = []
    real = fr.resplit
    monkeypatch.setattr(fs, "resplit", lambda *a: taken.append(real(*a)) or taken[-1])
    monkeypatch.setattr(fs, "read_rows", lambda *a: None)  # the compiled pass: its own tests
    _same(_read_mapped(p, ReadOptions()), _read_bytes(p, ReadOptions(), fast=False))
    assert taken and taken[0] is not None
    import mmap
    with open(p, "rb") as fh:
        view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    kept = fs._read(p, ReadOptions(), view, "utf-8")
    view.close()  # BufferError if a returned array still referred to the mapping
    assert len(kept.lines) == 160


@pytest.mark.parametrize("bad_lines", [0, 6])
def test_a_fault_in_a_field_left_unconverted_still_retries_as_windows_1252(
        tmp_path, monkeypatch, small_positional_limits, bad_lines):
    """``context`` (field 4) is not converted; its é in Windows-1252, past the head the
    encoding is sniffed from, must still make the file Windows-1252, as when every field
    was converted."""
    vals = [f"v{i}" for i in range(15)]
    good = ",".join(f'"{v}"' for v in vals) + "\n"
    odd = ",".join(f'"{v}"' for v in vals[:3] + ["caf\xe9"] + vals[4:]) + "\n"
    p = tmp_path / "calls.csv"
    # past the head the encoding is sniffed from: found by the parse, then retried
    p.write_bytes(('"a","b"\n' * bad_lines + good * 2000 + odd + good * 20).encode("cp1252"))
    got = _read_mapped(p, ReadOptions())
    monkeypatch.setattr(fs, "NEEDED", list(range(15)))
    _same(got, _read_bytes(p, ReadOptions(), fast=False))
    assert not isinstance(got, str) and got.encoding != "utf-8"
