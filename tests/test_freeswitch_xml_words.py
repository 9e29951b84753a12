"""Edges of the XML kernel's word paths (``freeswitch_xml_kernels``): a text run walked byte
by byte for its first ``_RUN`` bytes, then 8 bytes at a time while no byte has a class, and
an attribute value walked 8 bytes at a time up to its quote or a byte with a class. Each
file is checked against the numpy scan kept as the oracle (``_same_scan``), its byte past
ASCII seen or not (``non_ascii``), and read again with the kernel stopping at every document
(``scan_docs(cap=...)``): runs of ``_RUN - 1``, ``_RUN``, ``_RUN + 1``, ... bytes with a line
end, a byte past ASCII, '<', '>', '&', a CR, a tab or a control byte at every position of
the words after them; runs and values ending at the file's last bytes and at its last '>'.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_freeswitch_xml_kernels import SETTINGS, _same_scan
from tests.test_freeswitch_xml_resume import _kernel, _same_resumed

# one byte (or a few) put in a run: with a class (line end, past ASCII, markup, CR, control,
# U+FFFE), a tab (marked by the word test though it has none), quotes, plain text
_SPECIAL = [b"\n", b"\xc3\xa9", b"\xe9", b"\xef\xbf\xbe", b"\xef\xbb\xbf", b"<", b">", b"&amp;",
            b"&", b"&#65;", b"\r", b"\r\n", b"\t", b"\x01", b"\x7f", b"'", b'"', b" ", b"/",
            b"x"]
_PLAIN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%.-_=+;:/ ?!#[]{}'\""
_RUN = 16  # (freeswitch_xml_kernels._RUN)


def _run(length: int, seed: int) -> bytes:
    """``length`` bytes without a class (text a word may skip)."""
    return bytes(_PLAIN[(seed + 7 * j) % len(_PLAIN)] for j in range(length))


def _with(run: bytes, at: int, special: bytes) -> bytes:
    return run[:at] + special + run[at:]


def _docs(value: bytes, attr: bytes, quote: bytes = b'"') -> bytes:
    """A read document with ``value`` as a field's text and ``attr`` as an attribute value,
    a second one after it (its line: the line ends of the first counted), a third cut."""
    doc = (b"<cdr core-uuid=" + quote + attr + quote + b">\n  <variables>\n    <sip_gateway>"
           + value + b"</sip_gateway>\n    <ani>1</ani>\n  </variables>\n</cdr>\n")
    return doc + b"<cdr><variables><ani>2</ani></variables></cdr>\n" + doc[:40]


def _check(data: bytes, resumed: bool = True) -> None:
    """The oracle's documents and fields, the byte past ASCII noted, and (``resumed``) the
    same answer when the kernel stops at every document."""
    _same_scan(data)
    out = _kernel(data)
    if out[0] == 0:
        assert out[6] == bool((np.frombuffer(data, np.uint8) >= 0x80).any())
    if resumed:
        _same_resumed(data, (1,))


@pytest.mark.parametrize("special", _SPECIAL)
def test_a_byte_at_every_place_of_a_long_run(special: bytes) -> None:
    """Runs around ``_RUN`` bytes (and up to three words past it) with ``special`` at every
    place: in the byte by byte head, at each of a word's 8 lanes, just past the run."""
    for length in (_RUN - 1, _RUN, _RUN + 1, _RUN + 7, _RUN + 8, _RUN + 9, _RUN + 24):
        run = _run(length, length)
        for at in range(length + 1):
            text = _with(run, at, special)
            _check(_docs(text, b"u"), resumed=at % 4 == 0)
            _check(_docs(b"v", text.replace(b'"', b"'"), b'"'), resumed=False)


@pytest.mark.parametrize("special", _SPECIAL)
def test_a_value_with_a_byte_at_every_place(special: bytes) -> None:
    """Attribute values (either quote) of 0 to 24 bytes, ``special`` at every place."""
    for length in (0, 1, 2, 7, 8, 9, 15, 16, 17, 24):
        run = _run(length, 3 * length).replace(b"'", b"x").replace(b'"', b"y")
        for at in range(length + 1):
            for quote in (b'"', b"'"):
                _check(_docs(b"v", _with(run, at, special), quote), resumed=False)


def test_runs_ending_at_the_files_end_and_its_last_gt() -> None:
    """A run, or a value, reaching the file's last bytes (no '>' after it, or the last '>'
    right after it): the word test must not read past the array, the end must be found."""
    for length in range(0, 2 * _RUN + 10):
        run = _run(length, length)
        base = b"<cdr><variables><ani>1</ani></variables></cdr>\n"
        for tail in (run, run + b">", run + b"\n", run + b"\n>", b"<x a='" + run,
                     b"<x a='" + run + b"'>", b"<x a='" + run + b">", b"<sip_gateway>" + run,
                     b"<cdr><variables><sip_gateway>" + run + b"</sip_gateway>",
                     b"<cdr><variables><sip_gateway>" + run + b"<"):
            _check(base + tail)
            _check(tail)


@st.composite
def _long_run(draw: st.DrawFn) -> bytes:
    """A run of 0 to 70 plain bytes with up to four specials anywhere in it."""
    run = _run(draw(st.integers(0, 70)), draw(st.integers(0, 100)))
    for _ in range(draw(st.integers(0, 4))):
        run = _with(run, draw(st.integers(0, len(run))), draw(st.sampled_from(_SPECIAL)))
    return run


@SETTINGS
@given(_long_run(), _long_run(), st.sampled_from([b'"', b"'"]), st.integers(0, 400))
def test_runs_with_bytes_anywhere(value: bytes, attr: bytes, quote: bytes, cut: int) -> None:
    data = _docs(value, attr.replace(quote, b""), quote)
    _check(data)
    _check(data[:max(0, len(data) - cut)])


@SETTINGS
@given(st.lists(st.tuples(_long_run(), st.booleans()), min_size=1, max_size=6))
def test_many_documents_of_long_runs(parts: list[tuple[bytes, bool]]) -> None:
    """Documents in a row, each a long run as a field's text or as text after its root
    (lines, the byte past ASCII, a stop at every document)."""
    data = b""
    for run, after in parts:
        if after:
            data += b"<cdr><variables><ani>1</ani></variables></cdr>" + run + b"\n"
        else:
            data += b"<cdr><variables><sip_gateway>" + run + b"</sip_gateway></variables></cdr>\n"
    _check(data)


def test_the_word_test_marks_the_first_byte_with_a_class() -> None:
    """``_classed``: its lowest mark is the first byte of the word with a class (or a tab),
    for every byte value at every lane, whatever the bytes after it."""
    from workbench.ingest.formats.switches import freeswitch_xml_kernels as kern

    rng = np.random.default_rng(7)
    plain = np.frombuffer(_PLAIN.replace(b"'", b"").replace(b'"', b""), np.uint8)
    marked = (kern.CLASS != 0) | (np.arange(256) == 9)
    for value in range(256):
        for lane in range(8):
            for _ in range(4):
                b = rng.choice(plain, 8)
                b[lane] = value
                b[lane + 1:] = rng.integers(0, 256, 7 - lane)
                w = np.frombuffer(b.tobytes(), np.uint64)[0]
                t = int(kern._classed(w))
                first = next((j for j in range(8) if marked[b[j]]), 8)
                got = ((t & -t).bit_length() - 1) // 8 if t else 8
                assert got == first, (value, lane, b.tobytes())
