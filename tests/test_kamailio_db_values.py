"""Kamailio acc table exports: values trimmed only where a value may start or end with
whitespace (``common.blank_to_null(strip=True)``) are the values trimming every one gave, and the
columns ``_build`` never reads are left unconverted only where that cannot change the file's
encoding (a byte that is not UTF-8 in such a column still sends it to Windows-1252)."""
from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches.common import NULL_TEXT, blank_to_null, text

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

_EDGE = st.sampled_from(["", " ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\u00a0", "\u2003",
                         "\u3000", "\u0085", "\x7f", "é", "a", "N"])
_VALUE = st.one_of(st.none(), st.sampled_from(list(NULL_TEXT)),
                   st.tuples(_EDGE, st.text(alphabet="aNUL/\\ é", max_size=4), _EDGE)
                   .map("".join))


def db_values(col):
    """What the table export reads a column as."""
    return blank_to_null(col, NULL_TEXT, strip=True)


def old_blank_to_null(col, tokens=("",), strip=False):
    """``common.blank_to_null`` before its edge-byte shortcuts: every value trimmed (with
    ``strip``), every value tested against the tokens."""
    arr = text(col)
    if strip:
        arr = pc.utf8_trim_whitespace(arr)
    tokens = tuple(tokens)
    if tokens == ("",):
        mask = pc.equal(pc.binary_length(arr), 0)
    else:
        mask = pc.is_in(arr, value_set=pa.array(tokens, arr.type))
    if not pc.any(mask).as_py():
        return arr
    return pc.if_else(mask, pa.scalar(None, arr.type), arr)


def _every_value_trimmed(col):
    """The code before: every value trimmed, whatever its edges."""
    return old_blank_to_null(col, NULL_TEXT, strip=True)


@SETTINGS
@given(st.lists(_VALUE, max_size=12), st.integers(0, 3), st.booleans(),
       st.sampled_from([("",), tuple(NULL_TEXT), ("NULL",), ("N/A", "")]), st.booleans())
def test_blank_to_null_skips_only_idle_steps(values, cut, large, tokens, strip):
    """The trim and the token test are skipped only where they would change nothing."""
    col = pa.array(values, pa.large_string() if large else pa.string()).slice(
        min(cut, len(values)))
    got, want = blank_to_null(col, tokens, strip), old_blank_to_null(col, tokens, strip)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()


@SETTINGS
@given(st.lists(_VALUE, max_size=12), st.integers(0, 3), st.booleans(), st.booleans())
def test_values_as_when_every_one_was_trimmed(values, cut, large, chunked):
    arr = pa.array(values, pa.large_string() if large else pa.string()).slice(
        min(cut, len(values)))
    col = pa.chunked_array([arr[:len(arr) // 2], arr[len(arr) // 2:]]) if chunked else arr
    got, want = db_values(col), _every_value_trimmed(col)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()


_HEADER = "id,method,from_tag,to_tag,callid,sip_code,sip_reason,time,src_user,src_ip,dst_user"
_ROW = "{i},INVITE,{tag},t2,c{i}@h,200,OK,2024-06-10 16:00:38,+1202555014{i},10.0.0.1,1312"


def _read(path: Path, convert_all: bool):
    if not convert_all:
        return kam.read_kamailio_db(path, ReadOptions())
    keep = kam._db_wanted
    kam._db_wanted = lambda *_: None  # type: ignore[assignment]
    try:
        return kam.read_kamailio_db(path, ReadOptions())
    finally:
        kam._db_wanted = keep


def _same(path: Path) -> None:
    a, b = _read(path, False), _read(path, True)
    assert a.encoding == b.encoding
    assert a.columns.keys() == b.columns.keys()
    for k in a.columns:
        assert a.columns[k].equals(b.columns[k]), k
    assert a.lines.tolist() == b.lines.tolist()
    assert (a.bad_lines, a.bad_line_count, a.notes, a.headers) == \
        (b.bad_lines, b.bad_line_count, b.notes, b.headers)


def test_a_byte_not_utf8_in_a_column_left_out_still_reads_as_windows_1252(tmp_path):
    rows = [_ROW.format(i=i, tag="f\xe9" if i == 2 else "f") for i in range(5)]
    p = tmp_path / "acc.csv"
    p.write_bytes(("\n".join([_HEADER] + rows) + "\n").encode("cp1252"))
    _same(p)
    assert _read(p, False).encoding == "cp1252"


def test_utf8_text_in_a_column_left_out_reads_the_same(tmp_path):
    rows = [_ROW.format(i=i, tag="fé" if i == 2 else "f") for i in range(5)]
    p = tmp_path / "acc.csv"
    p.write_text("\n".join([_HEADER] + rows) + "\n", encoding="utf-8")
    _same(p)


def test_a_table_export_of_many_broken_rows_reads_the_same(tmp_path):
    """Most rows of another field count: the lines are grouped by count, the columns left
    out are still split (and counted) by pyarrow."""
    rows = []
    for i in range(6000):
        row = _ROW.format(i=i, tag="f")
        rows.append(row if i % 3 else row.rsplit(",", 2)[0])
    p = tmp_path / "acc.csv"
    p.write_text("\n".join([_HEADER] + rows) + "\n", encoding="utf-8")
    _same(p)
    assert _read(p, False).bad_line_count == 2000
