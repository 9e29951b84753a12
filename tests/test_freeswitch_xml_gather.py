"""``freeswitch_xml_gather`` (words copied and searched for '%' 8 bytes at a time, a value's
last word written whole where there is room) against the byte-by-byte gathering it replaced,
kept here as the oracle: every field's bytes, offsets, validity and the mark of escapes past
ASCII, for spans of every length and alignment, with '%' at every place in a word, escapes
cut by the span's end and by the file's, spans ending in the file's last 8 bytes, and values
whose last word runs into the next value of their field or the next field's bytes."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.test_freeswitch_xml_kernels import SETTINGS
from workbench.ingest.formats.switches import freeswitch_xml_gather as gat

_HEX = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}


def _old_gather(arr: bytes, vs: np.ndarray, ve: np.ndarray, nv: int
                ) -> tuple[list[list[bytes | None]], list[list[bool]]]:
    """Per field, each row's text (None where no span) and, for the variables, whether an
    escape gave a byte past ASCII: the loop the gather had, byte by byte."""
    rows, nf = vs.shape
    texts: list[list[bytes | None]] = [[] for _ in range(nf)]
    wide = [[False] * rows for _ in range(nv)]
    for j in range(rows):
        for f in range(nf):
            a, b = int(vs[j, f]), int(ve[j, f])
            if a < 0:
                texts[f].append(None)
                continue
            if f >= nv:
                texts[f].append(arr[a:b])
                continue
            out, x = bytearray(), a
            while x < b:
                c = arr[x]
                if c == 37 and x + 2 < b and arr[x + 1] in _HEX and arr[x + 2] in _HEX:
                    c = _HEX[arr[x + 1]] * 16 + _HEX[arr[x + 2]]
                    wide[f][j] = wide[f][j] or c >= 0x80
                    x += 3
                else:
                    x += 1
                out.append(c)
            texts[f].append(bytes(out))
    return texts, wide


def _gather_into(arr: np.ndarray, vs: np.ndarray, ve: np.ndarray, nv: int, offs: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``_fill`` over every row at once into regions of exactly the spans' bytes (the word
    copies' room at its tightest: a region ends where the next field's begins): (offsets
    [field, row + 1] written to ``offs``, valid [field, row], bytes, where each field's
    bytes start [field + 1], wide), the room a decoded field left over zeroed."""
    rows, nf = vs.shape
    base = np.concatenate([[0], np.cumsum(np.where(vs >= 0, ve - vs, 0).sum(axis=0))])
    buf = np.empty(base[nf], np.uint8)
    valid = np.empty((nf, rows), np.bool_)
    wide = np.zeros((nv, rows), np.bool_)
    used = np.zeros(nf, np.int64)
    offs[:, 0] = 0
    gat._fill(arr, vs, ve, nv, 0, offs, valid, 0, buf, base, used, base[1:].copy(), wide)
    for f in range(nf):
        buf[base[f] + used[f]:base[f + 1]] = 0
    return offs, valid, buf, base, wide


def _check(data: bytes, spans: list[list[tuple[int, int] | None]], nv: int,
           width: type) -> None:
    """``_fill`` gives the oracle's texts and marks, in ``offs`` of its type, the
    room a decoded field left over as zeros."""
    rows, nf = len(spans), len(spans[0])
    vs = np.full((rows, nf), -1, np.int64)
    ve = np.full((rows, nf), -1, np.int64)
    for j, row in enumerate(spans):
        for f, span in enumerate(row):
            if span is not None:
                vs[j, f], ve[j, f] = span
    arr = np.frombuffer(data, np.uint8)
    into: np.ndarray = np.empty((nf, rows + 1), width)
    offs, valid, buf, base, wide = _gather_into(arr, vs, ve, nv, into)
    assert offs is into and offs[:, 0].tolist() == [0] * nf
    texts, old_wide = _old_gather(data, vs, ve, nv)
    lengths = [sum(b - a for a, b in filter(None, (row[f] for row in spans))) for f in range(nf)]
    assert base.tolist() == np.cumsum([0] + lengths).tolist() and buf.size == base[-1]
    for f in range(nf):
        region = buf[base[f]:base[f + 1]]
        for j in range(rows):
            got = bytes(region[offs[f, j]:offs[f, j + 1]]) if valid[f, j] else None
            assert got == texts[f][j], (f, j)
            assert offs[f, j + 1] - offs[f, j] == (len(got) if got is not None else 0)
        assert not region[offs[f, rows]:].any()
    assert wide.tolist() == old_wide


_BYTES = st.binary(min_size=0, max_size=80) | st.lists(
    st.sampled_from([b"%", b"%2", b"%25", b"%2F", b"%e9", b"%C3%A9", b"%zz", b"a", b"abcdefgh",
                     b"\x80", b"%%41", b"%4", b"7"]), max_size=30).map(b"".join)


@SETTINGS
@given(data=_BYTES, cuts=st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80),
                                            st.booleans()), min_size=1, max_size=12),
       nf=st.integers(1, 4), nv=st.integers(0, 4), width=st.sampled_from([np.int32, np.int64]))
def test_gather_equals_the_byte_loop(data: bytes, cuts: list[tuple[int, int, bool]], nf: int,
                                     nv: int, width: type) -> None:
    n = len(data)
    spans: list[list[tuple[int, int] | None]] = []
    for k, (a, b, present) in enumerate(cuts):
        row: list[tuple[int, int] | None] = []
        for f in range(nf):
            lo, hi = sorted((min(a + f, n), min(b, n)))
            row.append((lo, hi) if present or (k + f) % 3 else None)
        spans.append(row)
    _check(data, spans, min(nv, nf), width)


def test_a_percent_at_every_place_of_a_word_and_at_the_array_end() -> None:
    for at in range(20):
        for tail in (b"", b"2", b"25", b"2Fxyz", b"zz", b"C3%A9"):
            data = b"x" * at + b"%" + tail
            _check(data, [[(0, len(data)), (at, len(data))]], 2, np.int32)
            _check(data, [[(0, len(data) - 1 if data else 0), None]], 1, np.int64)


_TAILS = [b"", b"%", b"%4", b"%41", b"%e9", b"%%41", b"x%2", b"%C3%A9", b"%zz%", b"abcdefgh%"]


def test_every_span_up_to_40_bytes_at_every_alignment_to_the_end_of_the_file() -> None:
    """Each span [a, b) of up to 40 bytes a row, its copy in the next field: every value's
    last word runs into the next row's value and the last row's into the next field, and the
    spans end at each of the file's last 8 bytes, escapes cut there."""
    for tail in _TAILS:
        data = b"ab%2Fcd%41efgh%%3Bij%e9klmnopqrst%2" + bytes(range(0x21, 0x39)) + tail
        n = len(data)
        spans: list[list[tuple[int, int] | None]] = [
            [(a, b), (a, b)] for a in range(n + 1) for b in range(a, min(a + 40, n) + 1)]
        for nv in (0, 1, 2):
            _check(data, spans, nv, np.int32)
        _check(data, [[(a, n), None, (a, n)] for a in range(max(n - 40, 0), n + 1)], 2,
               np.int64)


def test_short_values_next_to_each_other_across_fields() -> None:
    """One- to nine-byte values, many fields: a field's last value ends 1..7 bytes before the
    next field's first (written earlier), which its whole last word must not overwrite."""
    data = b"0123456789%41%42abcdefghijklmnopqrstuvwxyz%"
    n = len(data)
    for size in range(10):
        for rows in (1, 2, 3):
            spans: list[list[tuple[int, int] | None]] = [
                [(min(j * 3 + f, n - size), min(j * 3 + f, n - size) + size) for f in range(5)]
                for j in range(rows)]
            for nv in (0, 3, 5):
                _check(data, spans, nv, np.int32)


_HOSTILE = st.lists(st.sampled_from([b"%", b"%2", b"%41", b"%e9", b"%C3%A9", b"%zz", b"a",
                                     b"abcdefg", b"\x80", b"%%2F", b"%4", b"\x00", b"%25"]),
                    max_size=40).map(b"".join)


@SETTINGS
@given(data=_HOSTILE, rows=st.lists(st.lists(st.none() | st.tuples(st.integers(0, 48),
                                                                    st.integers(0, 40)),
                                             min_size=3, max_size=3), min_size=1, max_size=10),
       nv=st.integers(0, 3), width=st.sampled_from([np.int32, np.int64]))
def test_spans_counted_from_the_end_of_the_file(data: bytes,
                                                rows: list[list[tuple[int, int] | None]],
                                                nv: int, width: type) -> None:
    """Spans placed from the file's end (0..48 bytes back), 0..40 bytes long, cut by it."""
    n = len(data)
    spans: list[list[tuple[int, int] | None]] = []
    for row in rows:
        out: list[tuple[int, int] | None] = []
        for cell in row:
            if cell is None:
                out.append(None)
            else:
                a = max(n - cell[0], 0)
                out.append((a, min(a + cell[1], n)))
        spans.append(out)
    _check(data, spans, nv, width)
