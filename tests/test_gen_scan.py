"""The one-pass scan of a delimited file (``delimited.scan_text``) must answer as the three
passes it replaced (a CR find, ``is_ascii``, ``count_newlines``), and ``read_delimited`` must
read every file as it did when it asked each of them on its own."""
from __future__ import annotations

import mmap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.common.errors import InputError
from workbench.ingest.formats import delimited

# monkeypatch is set inside each example (``monkeypatch.context``) or to the same value in all
SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=300), skip=st.integers(0, 9), block=st.integers(1, 12))
def test_scan_text_answers_as_the_three_passes(monkeypatch, data, skip, block):
    monkeypatch.setattr(delimited, "_SCAN_BLOCK", block * 8)
    for view in (data, memoryview(data)[min(skip, len(data)):]):
        raw = bytes(view)
        got = delimited.scan_text(view)
        assert got.has_cr == (raw.find(b"\r") >= 0)
        assert got.ascii == delimited.is_ascii(view) == raw.isascii()
        assert got.newlines == delimited.count_newlines(view) == raw.count(b"\n")


def test_scan_text_of_a_mapped_file(tmp_path):
    data = b"".join(b"x" * (i % 977) + b"\n" for i in range(3000)) + "é\r".encode()
    f = tmp_path / "d.csv"
    f.write_bytes(data)
    with open(f, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        got = delimited.scan_text(mm)
    assert (got.has_cr, got.ascii, got.newlines) == (True, False, data.count(b"\n"))


_FIELD = st.sampled_from(["a", "bb", "", '"q,1"', '"x""y"', "é", "1", '"open', "\r", " "])
_LINE = st.lists(_FIELD, min_size=1, max_size=4).map(",".join)
_END = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])


def _read(data: bytes, **kw):
    """What ``read_delimited`` made of ``data``, and how often it had to find every line's
    start (the slow way to number rows: taken only when the line count does not add up)."""
    scans = []
    real = delimited.line_starts

    def counted(*a, **k):
        scans.append(1)
        return real(*a, **k)

    delimited.line_starts = counted
    try:
        d = delimited.read_delimited(data, delimiter=",", file="f.csv", **kw)
    except InputError as exc:
        return ("error", str(exc))
    finally:
        delimited.line_starts = real
    return (d.table.to_pydict(), d.lines.tolist(), [vars(b) for b in d.bad_lines],
            d.bad_count, d.header, d.header_line, len(scans))


@SETTINGS
@given(lines=st.lists(st.tuples(_LINE, _END), min_size=1, max_size=12),
       last=st.booleans(), header=st.booleans())
def test_read_delimited_reads_as_with_one_pass_per_question(monkeypatch, lines, last, header):
    text = "h1,h2,h3\n" + "".join(a + b for a, b in lines)
    data = (text if last else text.rstrip("\r\n")).encode()
    kw = {"header": header} if header else {"header": False, "names": ["h1", "h2", "h3"]}
    new = _read(data, **kw)
    with monkeypatch.context() as m:
        m.setattr(delimited, "scan_text", lambda _data: None)  # each question on its own
        old = _read(data, **kw)
    assert new == old


@pytest.mark.parametrize("data", [b"a,b\r\nc,d\r\n", b"a,b\rc,d\r", b"a,b\nc,\rd\n",
                                  "a,b\né,1\n".encode(), b"a,b\n\n1,2\n\n"])
def test_line_ends_and_text_kinds_read_as_before(monkeypatch, data):
    new = _read(data)
    monkeypatch.setattr(delimited, "scan_text", lambda _data: None)
    assert new == _read(data)
