"""``read_delimited`` past ``MAX_INVALID`` refused rows groups lines by field count and parses
the lines of the header's count straight from an Arrow copy of their bytes
(``_parse_lines``); the result is the one the careful parse of ``select_lines``' copy gave:
rows, values, line numbers, bad lines, counts. And ``nonblank_lines`` reads the file's bytes
at one-byte lines alone, with the same lines as before."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import delimited as dl

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _nonblank_before(data: bytes, starts: np.ndarray) -> np.ndarray:
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    if len(starts):
        ends[-1] = len(data) - 1 if dl.ends_with_newline(data) else len(data)
    length = ends - starts
    cr_only = (length == 1) & (buf[np.minimum(starts, max(len(buf) - 1, 0))] == 13) \
        if len(buf) else length
    blank = (length <= 0) | cr_only
    return np.flatnonzero(~blank).astype(np.int64) + 1


@SETTINGS
@given(st.lists(st.sampled_from(["", "\r", "a", "\t", " ", "ab", "\r\r", ","]), max_size=12),
       st.booleans())
def test_nonblank_lines_as_before(lines, end):
    data = ("\n".join(lines) + ("\n" if end else "")).encode()
    starts = dl.line_starts(data)
    assert dl.nonblank_lines(data, starts).tolist() == _nonblank_before(data, starts).tolist()


_FIELD = st.sampled_from(["a", "", " ", '"q"', '"a,b"', '"x""y"', 'p"q', "é", "\t", '"open',
                          "\r", "b\xe9".encode("latin-1").decode("latin-1")])


@st.composite
def _file(draw) -> bytes:
    n = draw(st.integers(1, 4))
    delim = draw(st.sampled_from([",", ";", "\t"]))
    rows = [delim.join(f"c{i}" for i in range(n))]
    for _ in range(draw(st.integers(4, 30))):
        k = draw(st.sampled_from([n, n, n, n + 1, max(n - 1, 1), 0]))
        rows.append(delim.join(draw(_FIELD) for _ in range(k)))
    text = "\n".join(rows) + draw(st.sampled_from(["\n", "", "\r\n"]))
    return text.encode("utf-8" if draw(st.integers(0, 5)) else "latin-1", errors="replace")


def _read(data: bytes, delim: str, direct: bool, monkeypatch):
    if not direct:
        monkeypatch.setattr(dl, "_parse_lines", lambda *a, **k: None)
    try:
        d = dl.read_delimited(data, delimiter=delim, header=True, file="f")
    except Exception as exc:  # the same refusal either way
        return f"{type(exc).__name__}: {exc}"
    finally:
        monkeypatch.undo()
    return (d.table.to_pydict(), d.table.column_names, d.lines.tolist(),
            [(b.line, b.reason, b.text) for b in d.bad_lines], d.bad_count, d.header,
            d.header_line)


@SETTINGS
@given(_file())
def test_grouped_lines_parsed_straight_read_the_same(data):
    delim = max(",;\t", key=lambda d: data.split(b"\n", 1)[0].count(d.encode()))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dl, "MAX_INVALID", 1)
        direct = _read(data, delim, True, mp)
        mp.setattr(dl, "MAX_INVALID", 1)
        careful = _read(data, delim, False, mp)
    assert direct == careful


@pytest.mark.parametrize("first", [" ", "\t", " \t", "\t\t"])
def test_a_first_grouped_line_of_blanks_reads_as_the_careful_parse_reads_it(first):
    """``read_delimited`` takes a first line of blanks for no data: the straight parse
    leaves such a selection to it."""
    delim = "\t" if first.count("\t") > 1 else ","
    header = delim.join(f"c{i}" for i in range(first.count("\t") + 1 if delim == "\t" else 1))
    data = "\n".join([header, first, "x" if delim == "," else delim.join("x" * 3)] +
                     ["a" + delim * 5] * 4).encode() + b"\n"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dl, "MAX_INVALID", 1)
        direct = _read(data, delim, True, mp)
        mp.setattr(dl, "MAX_INVALID", 1)
        careful = _read(data, delim, False, mp)
    assert direct == careful
