"""Kamailio acc syslog read from one byte scan (``kamailio_scan``, numba kernels in
``kamailio_kernels``) against the committed reader, kept as ``_read_syslog_committed`` (the
path every file the scan does not vouch for still takes).

The whole reader is compared (rows, every column and its type, notes, bad lines, time basis,
the field list a wrong ``[sources.columns]`` name reports, errors) on logs of a few layouts,
on hostile bytes (NUL, quotes, CR-only and CRLF ends, lines of blanks, a BOM, bytes that are
not UTF-8, ``<`` without ``>``, a second ``ACC: ``, a first name ``@kind``, repeated names,
very wide lines, no line end at the end, empty input) and on the fixture's bench copies; the
kernels are compared with numpy and Python on the same bytes.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.format_fixtures import FX
from tests.parsed_compare import assert_same_parsed
from tests.test_kamailio_fast import shaped_log
from tests.test_kamailio_split import BOUNDED
from workbench.common.errors import InputError
from workbench.ingest.formats import ReadOptions
from workbench.ingest.formats.delimited import field_counts, line_starts, nonblank_lines
from workbench.ingest.formats.switches import kamailio as kam
from workbench.ingest.formats.switches import kamailio_scan
from workbench.ingest.formats.switches.kamailio_first import first_field_split

OPTIONS = (ReadOptions(), ReadOptions(columns={"egress": "src_user"}),
           ReadOptions(columns={"egress": "no_such_field"}))  # lists the field names


@pytest.fixture(autouse=True)
def _scan_whatever_the_size(monkeypatch):
    """The reader leaves logs under ``COMPILED_BYTES`` to the committed path unless numba is
    loaded; these tests are about the scan, so it reads every size here."""
    monkeypatch.setattr(kam, "_worth_compiled", lambda data: True)


def _read(path: Path, opts: ReadOptions, *, committed: bool):
    try:
        if committed:
            with mock.patch.object(kam, "scan_log", lambda data: None):
                return kam.read_kamailio(path, opts)
        return kam.read_kamailio(path, opts)
    except (InputError, UnicodeError) as exc:  # a BOM file not UTF-8 after it: not retried
        return f"{type(exc).__name__}: {exc}"


def _check(data: bytes, *, scanned: bool | None = None) -> None:
    """The reader equals the committed one on ``data``; ``scanned``: whether the scan path
    must (True) or must not (False) have read it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acc.log"
        path.write_bytes(data)
        for opts in OPTIONS:
            with mock.patch.object(kam, "_read_scanned", wraps=kam._read_scanned) as seen:
                new = _read(path, opts, committed=False)
            assert_same_parsed(new, _read(path, opts, committed=True))
            if scanned is not None:
                assert bool(seen.call_count) == scanned


@settings(BOUNDED, max_examples=150)
@given(shaped_log())
def test_scanned_reader_equals_the_committed_reader_on_logs_of_few_layouts(data):
    _check(data)


# ---------------------------------------------------------------- hostile bytes

PIECES = st.sampled_from([
    b"ACC: ", b"ACC: transaction answered: ", b"ACC: call missed: ", b"ACC: call ended: ",
    b"x ACC: y ", b": ", b";", b"=", b"<", b">", b"<sip:a@h;transport=udp>", b"\x00", b'"',
    b"'", b"\r", b"\t", b" ", b"A", b"AC", b"ACC:", b"\xc3\xa9", b"\xe2\x82\xac", b"\xff",
    b"\xc3", b"timestamp=1718035238", b"method=INVITE", b"method=BYE", b"call_id=a@h",
    b"code=200", b"reason=OK", b"src_user=1", b"dst_user=2", b"identity=e", b"info=<u>",
    b"alg=ES256", b"ppt=shaken", b"@kind=x", b"duration=3", b"created=1718035200",
    b"call_start_time=1718035205", b"9x=1", b"a" * 300, b";" * 40,
])
LINE = st.lists(PIECES, max_size=14).map(b"".join)
PLAIN = st.sampled_from([
    b"ACC: transaction answered: timestamp=1718035238;method=INVITE;call_id=a@h;code=200;"
    b"src_user=1;dst_user=2",
    b"ACC: transaction answered: timestamp=1718035274;method=BYE;call_id=a@h;code=200;"
    b"src_user=1;dst_user=2",
    b"Jun 10 h k[1]: NOTICE: acc: ACC: call missed: timestamp=1718035325;method=INVITE;"
    b"call_id=b@h;code=486;reason=Busy; try later;src_user=1;dst_user=3",
    b"ACC: call ended: created=1718035400;call_start_time=1718035405;duration=36;"
    b"method=INVITE;call_id=c@h;code=200;src_user=1;dst_user=4",
    b"INFO: <script>: new INVITE",
])


@st.composite
def hostile_log(draw) -> bytes:
    lines = draw(st.lists(st.one_of(PLAIN, PLAIN, LINE), max_size=25))
    eol = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    data = eol.join(lines) + (eol if draw(st.booleans()) else b"")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@settings(BOUNDED, max_examples=300)
@given(hostile_log())
def test_scanned_reader_equals_the_committed_reader_on_hostile_bytes(data):
    _check(data)


@pytest.mark.parametrize("data", [
    b"", b"\n\n", b"\r\n", b"  \t\n", b"ACC: x: a=1\n   \nACC: x: a=2\n",
    b"ACC: transaction answered: @kind=1;method=INVITE\n",
    b"ACC: transaction answered: timestamp=1718035238;method=INVITE;method=BYE\n",
    b"ACC: transaction answered: timestamp=1718035238;" + b";" * 3000 + b"\n",
    b"ACC: transaction answered: timestamp=1718035238;method=IN\xffVITE\n",
    b"ACC: transaction answered: timestamp=1718035238;method=INVITE;src_user=<a;b=c\n",
    b"ACC: transaction answered: timestamp=1718035238;method=INVITE;src_user=\x00\n",
    b"ACC: transaction answered: timestamp=1718035238;method=INVITE",  # no line end
    b"\xef\xbb\xbfACC: transaction answered: timestamp=1718035238;method=INVITE\n",
    # the usual count's layout names its keys first, then the smaller count's
    b"ACC: call missed: timestamp=1718035238;method=INVITE;b=2\n"
    b"ACC: call missed: timestamp=1718035239;c=2\n"
    b"ACC: call missed: timestamp=1718035240;method=INVITE;b=3\n",
    # the same count, another first name: not the layout's line
    b"ACC: call missed: timestamp=1718035238;method=INVITE\n"
    b"ACC: call missed: created=1718035239;method=INVITE\n",
])
def test_edge_files_read_as_before(data):
    _check(data)


def test_plain_logs_take_the_scan_and_odd_files_the_committed_path():
    log = (FX / "kamailio_acc.log").read_bytes()
    _check(log, scanned=True)
    _check(log.replace(b"\n", b"\r\n"), scanned=True)
    _check(log + b"   \n", scanned=False)  # a line of blanks: pyarrow's own rules
    _check(log.replace(b"sip-edge-1", b"sip-\xff"), scanned=True)  # read again as cp1252


def test_bench_copies_read_as_before():
    text_ = (FX / "kamailio_acc.log").read_text()
    body = "".join(text_.replace("1718035", f"17180{k}").replace("@", f"{k}@")
                   for k in range(40, 100))
    _check(body.encode(), scanned=True)
    # past MAX_REFUSED lines of other counts: the layouts in ascending count, as pyarrow
    _check((body * 12).encode(), scanned=True)


# ---------------------------------------------------------------- the kernels alone

def _scan(data: bytes) -> kamailio_scan.Scan | None:
    with mock.patch.object(kamailio_scan, "clean_utf8", lambda d: True):
        return kamailio_scan.scan_log(data)


@settings(BOUNDED, max_examples=300)
@given(hostile_log())
def test_scan_lines_and_first_fields_equal_numpy_and_the_string_splits(data):
    from workbench.ingest.formats.delimited import cr_to_lf

    data = cr_to_lf(data)
    s = _scan(data)
    if s is None:
        return
    starts = line_starts(data)
    assert s.starts.tolist() == starts.tolist()
    counts = field_counts(data, ";", None, None, starts)
    full = nonblank_lines(data, starts) - 1
    assert np.flatnonzero(s.nf).tolist() == full.tolist()
    assert s.nf[full].tolist() == counts[full].tolist()

    texts = [data[a:b] for a, b in zip(s.starts, s.ends)]
    assert [t.rstrip(b"\r") for t in texts] == texts
    firsts = [t.split(b";", 1)[0].decode("utf-8", "replace") for t in texts]
    ok, kind, key, _ = first_field_split(pa.array(firsts, pa.string()))
    acc = (s.flags & 1).astype(bool)
    assert acc.tolist() == ok.to_pylist()
    for i in np.flatnonzero(acc):
        got = data[s.kp[i]:s.kq[i]].decode("utf-8", "replace")
        assert got == kind[int(i)].as_py()
        assert data[s.kq[i] + 2:s.kk[i]].decode("utf-8", "replace") == key[int(i)].as_py()


@settings(BOUNDED, max_examples=200)
@given(hostile_log(), st.data())
def test_columns_equal_python_slices(data, draw):
    from workbench.ingest.formats.delimited import cr_to_lf
    from workbench.ingest.formats.switches import kamailio_kernels as kern

    data = cr_to_lf(data)
    s = _scan(data)
    if s is None:
        return
    lines = np.flatnonzero(s.nf)
    rows = np.sort(np.asarray(draw.draw(st.lists(st.sampled_from(lines.tolist()), unique=True,
                                                 max_size=12)), np.int64)) if len(lines) \
        else np.zeros(0, np.int64)
    width = int(s.nf.max()) + 1
    want = [kern.WHOLE - f for f in range(4)] + [kern.KIND, kern.NAME0, 0, 1, 2, kern.NULL]
    codes = np.repeat(np.asarray(want, np.int64)[:, None], width, axis=1)
    cuts = np.asarray(draw.draw(st.lists(st.integers(0, 4), min_size=len(want),
                                         max_size=len(want))), np.int64)
    got = kamailio_scan.columns(s, rows, codes, cuts)
    for j, code in enumerate(want):
        expect = []
        for ln in rows.tolist():
            line = data[s.starts[ln]:s.ends[ln]]
            fields = line.split(b";")
            acc = s.kk[ln] >= 0
            if code <= kern.WHOLE:
                f = kern.WHOLE - code
                expect.append(fields[f] if f < len(fields) else None)
            elif code == kern.NULL or code >= len(fields):
                expect.append(None)
            elif not acc:
                expect.append(b"")
            elif code == kern.KIND:
                expect.append(data[s.kp[ln]:s.kq[ln]])
            elif code == kern.NAME0:
                expect.append(data[s.kq[ln] + 2:s.kk[ln]])
            elif code == 0:
                expect.append(data[s.kk[ln] + 1:s.starts[ln] + len(fields[0])])
            else:
                expect.append(fields[code][cuts[j]:])
        assert got[j].view(pa.binary()).to_pylist() == expect


# ---------------------------------------------------------------- imports

def test_reading_modules_do_not_import_numba():
    code = ("import sys\n"
            "import workbench.ingest.formats.switches.kamailio as k\n"
            "import workbench.ingest.formats.switches.kamailio_scan\n"
            "assert 'numba' not in sys.modules, 'numba imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


# ---------------------------------------------------------------- layouts with ';' in values

def _shapes_equal(data: bytes) -> None:
    """Every layout's ``shape_of`` (the fit told by ``shape_taken``, values cut as spans)
    equals ``templated`` of the layout's pyarrow-like columns (``field_columns``)."""
    from workbench.ingest.formats.delimited import cr_to_lf
    from workbench.ingest.formats.switches.kamailio_template import templated

    data = cr_to_lf(data)
    s = kamailio_scan.scan_log(data)  # None where not UTF-8: the committed reader's file
    if s is None:
        return
    for count, rows in zip(*kamailio_scan.group_order(s.nf, 1)):
        acc = (s.flags[rows] & 1) != 0
        if not acc.any():
            continue
        at = int(np.argmax(acc))
        want = templated(*kamailio_scan.field_columns(s, rows, count), at)
        got = kamailio_scan.shape_of(s, rows, count, at)
        if want is None or got is None:
            assert want is None and got is None
            continue
        assert got.taken.tolist() == want.taken.tolist()
        assert got.ranks == want.ranks and got.quirky == want.quirky
        assert list(got.cols) == list(want.cols)
        for name, col in want.cols.items():
            assert got.cols[name].type == col.type
            assert got.cols[name].to_pylist() == col.to_pylist(), name


@settings(BOUNDED, max_examples=300)
@given(shaped_log())
def test_shape_of_equals_templated_on_logs_of_few_layouts(data: bytes) -> None:
    _shapes_equal(data)


@settings(BOUNDED, max_examples=300)
@given(hostile_log())
def test_shape_of_equals_templated_on_hostile_bytes(data: bytes) -> None:
    _shapes_equal(data)


@pytest.mark.parametrize("data", [
    b"ACC: call missed: timestamp=1;reason=Busy; try later;code=486\n" * 2,
    b"ACC: call missed: timestamp=1;identity=e;info=x;alg=ES256;ppt=shaken;x\n",
    b"ACC: call missed: a=1;b=2;a=3;junk\nACC: call missed: a=1;b=2;a=3;c=4\n",
    b"ACC: call missed: a=1;;b=2\nACC: call missed: a=1;x;b=\n",
    b"ACC: call missed: a=1;b=<2; x\nACC: call missed: a=1;b=2; \xc3\xa9\n",
    b"x ACC: y ACC: call missed: a=1;b;c\nACC: Call missed: a=1;b;c\n",
    b"ACC: call missed: a=1;b;c=2\nACC: call missed: a=1;b=1;c=2\n",
    b"ACC: call missed: a=1;bb=2;x\nACC: call missed: a=1;bbc=2;x\nACC: call missed: a=1;bb\n",
])
def test_shape_of_equals_templated_on_edge_lines(data: bytes) -> None:
    _shapes_equal(data)
    _check(data)


# ---------------------------------------------------------------- blanks as nulls

TEXTS = st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", "NULL", "é", "x;y"])),
                 max_size=40)


@settings(BOUNDED, max_examples=300)
@given(TEXTS, st.integers(0, 5), st.booleans(), st.booleans(), st.booleans())
def test_blank_as_null_equals_blank_to_null(values: list[str | None], cut: int, large: bool,
                                            chunked: bool, dirty: bool) -> None:
    """Plain, sliced, chunked and large text; ``dirty``: null slots holding bytes (as some
    kernels leave them), which only the validity bitmap tells from values."""
    from workbench.ingest.formats.switches.common import blank_to_null

    col = pa.array(values, pa.large_string() if large else pa.string())
    if dirty and not large and len(values):
        filled = pa.array([v if v is not None else "zz" for v in values], pa.string())
        _, offs, data = filled.buffers()
        col = pa.Array.from_buffers(pa.string(), len(values),
                                    [col.buffers()[0], offs, data], null_count=col.null_count)
    col = col[min(cut, len(col)):] if cut % 2 else col
    if chunked and len(col) > 1:
        col = pa.chunked_array([col[:1], col[1:]])
    got, want = kam.blank_as_null(col), blank_to_null(col)
    assert got.type == want.type
    assert got.to_pylist() == want.to_pylist()
    assert got.null_count == want.null_count
