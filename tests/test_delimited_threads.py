"""A small body is parsed serially: a refused threaded parse can leave pyarrow tasks running
that release the Python buffer during interpreter shutdown (an abort at exit); and serial or
threaded, the rows, refused lines and line numbers are the same."""
from __future__ import annotations

import pyarrow.csv as pv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.ingest.formats import delimited
from workbench.ingest.formats.delimited import THREADED_BODY, read_delimited


def _threads_used(monkeypatch: pytest.MonkeyPatch, data: bytes) -> list[bool]:
    seen: list[bool] = []
    real = pv.read_csv

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["read_options"].use_threads)
        return real(*args, **kwargs)

    monkeypatch.setattr(delimited.pv, "read_csv", spy)
    read_delimited(data, delimiter=",")
    return seen


def test_a_small_body_is_parsed_serially(monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"a,b,c\n1,2,3\n4,5\n6,7,8\n"
    assert _threads_used(monkeypatch, data) == [False]


def test_a_large_body_is_parsed_by_the_thread_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    row = b"12025550143,13125550178,2026-03-08 07:41:12\n"
    data = b"calling,called,start\n" + row * (THREADED_BODY // len(row) + 1)
    assert _threads_used(monkeypatch, data)[0] is True


_line = st.lists(st.sampled_from(["1", "22", "", '"q"', '"a,b"', "x y"]), min_size=1,
                 max_size=5).map(",".join)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(lines=st.lists(_line, min_size=1, max_size=40))
def test_serial_and_threaded_parses_read_the_same(lines: list[str]) -> None:
    data = ("a,b,c\n" + "\n".join(lines) + "\n").encode()
    serial = read_delimited(data, delimiter=",")
    old = delimited.THREADED_BODY
    try:
        delimited.THREADED_BODY = 0  # every body through the thread pool, as before
        threaded = read_delimited(data, delimiter=",")
    finally:
        delimited.THREADED_BODY = old
    assert serial.table.equals(threaded.table)
    assert serial.lines.tolist() == threaded.lines.tolist()
    assert serial.bad_lines == threaded.bad_lines
    assert serial.bad_count == threaded.bad_count
