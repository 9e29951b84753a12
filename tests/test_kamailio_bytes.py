"""Kamailio acc fast paths read from bytes, against the committed code they replace (kept
here as oracles):

* ``kamailio_first.first_field`` (the marks found by byte positions) against the committed
  Arrow version (one reverse split at ``ACC: ``, then splits of the short rest): every
  output, on every row, exactly;
* ``times.epoch_to_utc``'s plain-digit path against its general one (the code it had
  before): digits, blanks, NULL tokens, spaces, signs, dots, long and zero values, nulls,
  slices, chunks.

Each whole reader is compared with the committed one by ``tests/test_kamailio_fast.py``
(which patches these back to their oracles) and, memory-mapped, below.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from tests.parsed_compare import assert_same_parsed
from tests.test_kamailio_fast import _read, shaped_log
from tests.test_kamailio_split import BOUNDED
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches import kamailio_first, positional
from workbench.ingest.formats.switches import times as sw_times
from workbench.ingest.formats.switches.common import text
from workbench.ingest.formats.switches.times import epoch_to_utc

# ---------------------------------------------------------------- the committed code (oracle)


def old_first_field(col0):
    """``first_field`` as committed: one split at the last ``ACC: ``, then string splits."""
    if isinstance(col0, pa.ChunkedArray):
        done = [old_first_field(c) for c in col0.chunks]
        if not done:
            return kamailio_first.first_field_split(col0)
        return (pa.chunked_array([d[0] for d in done], pa.bool_()),
                *(pa.chunked_array([d[i] for d in done], done[0][i].type) for i in (1, 2, 3)))
    if col0.null_count:
        return kamailio_first.first_field_split(col0)
    parts = pc.split_pattern(col0, "ACC: ", max_splits=1, reverse=True)
    offs = parts.offsets.to_numpy()
    is_acc = pa.array(np.diff(offs) == 2)
    rest = pc.take(text(pc.list_flatten(parts)), pa.array(offs[1:] - 1 - offs[0]))
    ok = pc.and_(is_acc, pc.match_substring(rest, ": "))
    kind, pair = kamailio_first._split2(pc.if_else(ok, rest, ": "), ": ")
    ok = pc.and_(ok, pc.match_substring(pair, "="))
    key, value = kamailio_first._split2(pc.if_else(ok, pair, "="), "=")
    return ok, kind, key, value


def _flat(col):
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


# ---------------------------------------------------------------- first field

FIRST = st.one_of(
    st.tuples(st.sampled_from(["", "Jun 10 16:00:38 sip-edge-1 kamailio[2211]: NOTICE: acc: ",
                               "x:y ", "ACC: z: a=b ", "é ", "ACC", "ACC:", "AAC: ", "A"]),
              st.sampled_from(["ACC: ", "ACC:", "", "ACC: ACC: ", "ACCACC: ", "AACC: "]),
              st.sampled_from(["call ended", "a:b", "", "x=y", "é", "a: b", ":"]),
              st.sampled_from([": ", ":", ": : ", "", " :"]),
              st.sampled_from(["timestamp", "", "a b", "é", "a: b"]),
              st.sampled_from(["=", "", "==", "=: "]),
              st.text(st.sampled_from(list("ab:= éAC")), max_size=6)).map("".join),
    st.text(st.sampled_from(list("AC: =éa")), max_size=14),
    # decoys at the edges: a mark cut by the end of one value and the start of the next
    st.sampled_from(["ACC", "ACC:", "x ACC:", "AC", "A", " ", ": ", "C: ", "CC: ", " k=v",
                     ": a=b", "C: a: b=c", "ACC: a:", "ACC: a: b", "ACC: a: b="]))


@settings(BOUNDED, max_examples=400)
@given(st.lists(FIRST, min_size=1, max_size=30), st.integers(0, 3), st.integers(0, 3),
       st.booleans())
def test_first_field_equals_the_committed_splits(values, lead, chunks, large):
    """Every output on every row, ACC line or not (sliced, chunked, large strings)."""
    arr = pa.array(["pad ACC: a: b=c"] * lead + values,
                   pa.large_string() if large else pa.string())[lead:]
    pieces = np.array_split(np.arange(len(arr)), chunks + 1)
    col = pa.chunked_array([arr[int(c[0]):int(c[-1]) + 1] for c in pieces if len(c)], arr.type)
    for got_col, most in ((arr, None), (col, None), (col, 0)):
        limit = kamailio_first.COMBINE_MAX if most is None else most
        with mock.patch.object(kamailio_first, "COMBINE_MAX", limit):
            new = kamailio_first.first_field(got_col)  # most=0: chunk by chunk
        old = old_first_field(got_col)
        for a, b in zip(new, old):
            a, b = _flat(a), _flat(b)
            assert a.type == b.type
            assert a.to_pylist() == b.to_pylist()


def test_first_field_with_nulls_and_no_values_takes_the_split_path():
    for col in (pa.array(["ACC: a: b=c", None]), pa.array([], pa.string()),
                pa.chunked_array([], pa.string())):
        for a, b in zip(kamailio_first.first_field(col), old_first_field(col)):
            assert _flat(a).to_pylist() == _flat(b).to_pylist()


# ---------------------------------------------------------------- epoch digits

def _general_epoch(col):
    """``epoch_to_utc`` as it was: every column through the trim, null tokens and regex."""
    return sw_times._epoch_us(sw_times._epoch_numbers(col))


EPOCH_VALUE = st.one_of(
    st.integers(0, 10**16).map(str),
    st.integers(1_600_000_000, 1_800_000_000).map(str),
    st.integers(1_600_000_000_000, 1_800_000_000_000).map(str),
    st.sampled_from(["", "NULL", "null", "\\N", "NA", "N/A", "None", " 1718035238",
                     "1718035238 ", "+1718035238", "-1718035238", "1718035238.5", "0",
                     "00000", "9" * 15, "9" * 16, "1" + "0" * 22, "x", "١٢٣", "1e9"]),
    st.text(st.sampled_from(list("0123456789 .+-")), max_size=17),
    st.none())


@settings(BOUNDED, max_examples=400)
@given(st.lists(EPOCH_VALUE, min_size=1, max_size=30), st.integers(0, 2), st.booleans(),
       st.booleans())
def test_epoch_times_equal_epoch_to_utc(values, lead, chunked, large):
    arr = pa.array(["1718035238"] * lead + values,
                   pa.large_string() if large else pa.string())[lead:]
    cols = [arr]
    if chunked and len(arr) > 1:
        cols.append(pa.chunked_array([arr[:1], arr[1:]]))
    for col in cols:
        got, want = epoch_to_utc(col), _general_epoch(col)
        assert got.type == want.type
        assert got.to_pylist() == want.to_pylist()


@settings(BOUNDED, max_examples=200)
@given(st.lists(st.one_of(st.integers(1, 10**15 - 1).map(str), st.just(""), st.none()),
                min_size=1, max_size=40))
def test_epoch_digits_take_the_fast_path(values):
    """Plain digits (blanks, nulls beside) are read from their bytes, not by the fallback."""
    col = pa.array(values, pa.string())
    assert sw_times._plain_digits(col) is not None
    assert epoch_to_utc(col).to_pylist() == _general_epoch(col).to_pylist()


# ---------------------------------------------------------------- the mapped reader

def _aged(path: Path) -> Path:
    """Old enough to be memory-mapped (a file written in the last two minutes is read)."""
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def _old_read(path: Path, opts: ReadOptions):
    """The committed reader: the file read (not mapped), the committed kernels."""
    def read_not_mapped(p, enc, fn, mapped=False):
        return positional.with_text(p, enc, fn)

    with mock.patch.object(sw_times, "_plain_digits", lambda col: None), \
            mock.patch.object(kam, "with_text", read_not_mapped):
        return _read(path, opts, old=True)


def _same(path: Path) -> None:
    for opts in (ReadOptions(), ReadOptions(columns={"egress": "src_user"})):
        assert_same_parsed(_read(path, opts, old=False), _old_read(path, opts))


@settings(BOUNDED, max_examples=60)
@given(shaped_log())
def test_mapped_reader_equals_the_committed_reader(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.log"
        path.write_bytes(data)
        _same(_aged(path))


def test_mapped_fixture_and_a_damaged_copy(tmp_path):
    raw = (FX / "kamailio_acc.log").read_bytes()
    for i, body in enumerate((raw, raw.replace(b"\n", b"\r"), raw + b"\xff\xfe;\n",
                              raw.replace(b"1718035", b"x718035"))):
        path = tmp_path / f"acc{i}.log"
        path.write_bytes(body)
        _same(_aged(path))
    assert kam.read_kamailio(_aged(tmp_path / "acc0.log"), ReadOptions()).encoding == "utf-8"
