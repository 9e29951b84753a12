"""Block-wise scans of raw bytes must answer as the simple loops they replaced:
``positional._end_of_line`` (line feeds a block at a time) and ``delimited.is_ascii``
(which lets pyarrow skip UTF-8 validation of pure-ASCII text)."""
from __future__ import annotations

import mmap

from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.formats.delimited import is_ascii
from workbench.ingest.formats.switches.positional import _end_of_line


def _reference(data: bytes, n: int) -> int:
    pos = 0
    for _ in range(n):
        nl = data.find(b"\n", pos)
        if nl < 0:
            return len(data)
        pos = nl + 1
    return pos


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"\n", b"a", b"\r", b"xyz", b"\n\n"]), max_size=60),
       st.integers(0, 80))
def test_same_offset_as_the_line_by_line_loop(parts: list[bytes], n: int) -> None:
    data = b"".join(parts)
    assert _end_of_line(data, n) == _reference(data, n)


def test_lines_across_block_edges_and_a_mapped_file(tmp_path) -> None:
    # lines of odd lengths straddle every 1 MiB boundary; also read through an mmap
    data = b"".join(b"x" * (i % 977) + b"\n" for i in range(5000)) + b"tail"
    for n in (0, 1, 2, 1234, 4999, 5000, 5001, 9999):
        assert _end_of_line(data, n) == _reference(data, n)
    f = tmp_path / "d.txt"
    f.write_bytes(data)
    with open(f, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        for n in (3, 4321, 5001):
            assert _end_of_line(mm, n) == _reference(data, n)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=70), st.integers(0, 9))
def test_is_ascii_agrees_with_bytes_isascii(data: bytes, skip: int) -> None:
    # through a memoryview that starts past the front, as read_delimited passes the body
    view = memoryview(data)[min(skip, len(data)):]
    assert is_ascii(view) == bytes(view).isascii()
    assert is_ascii(data) == data.isascii()
