"""A lone CR inside LF-ended lines (a field pasted from a Mac tool, a stray control byte)
is data, not a line end: pyarrow ends a row at any CR, which split that record in two,
shifted every line number after it, and for some layouts refused the whole file."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.format_fixtures import FIXTURES, FX
from workbench.ingest.config import SourceConfig
from workbench.ingest.formats.delimited import cr_to_lf, has_lone_cr
from workbench.store.source import load_source

LINE_BASED = {name: fmt for name, fmt in FIXTURES.items()
              if fmt not in ("freeswitch_json", "freeswitch_xml")}


def _with_lone_crs(data: bytes) -> bytes:
    """Every record line (not the first two: headers, CUCM's type row; not a line with no
    field separator: a trailer) with a CR before its last byte: the last field gains a
    space once read; numbers and times, earlier on the line, stay as they were."""
    out = []
    for n, line in enumerate(data.split(b"\n")):
        body = line.rstrip(b"\r")
        damage = n >= 2 and len(body) > 1 and any(d in body for d in (b",", b";", b"\t", b"|"))
        out.append(body[:-1] + b"\r" + body[-1:] + line[len(body):] if damage else line)
    return b"\n".join(out)


def _summary(folder: Path, name: str, fmt: str):
    cfg = SourceConfig(provider="P", path=name, format=fmt, timezone="America/New_York")
    src = load_source(cfg, folder, "US", use_cache=False)
    s = src.summary
    return len(src), s.rows, s.bad_line_count, [b["line"] for b in s.bad_lines]


@pytest.mark.parametrize("name", sorted(LINE_BASED))
def test_a_lone_cr_in_every_line_reads_the_same_rows_and_lines(name, tmp_path):
    fmt = LINE_BASED[name]
    data = (FX / name).read_bytes()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / name).write_bytes(data)
    (tmp_path / "b" / name).write_bytes(_with_lone_crs(data))
    assert _summary(tmp_path / "b", name, fmt) == _summary(tmp_path / "a", name, fmt)


def test_lone_crs_become_spaces_and_line_ends_stay():
    assert cr_to_lf(b"a,b\r\nc,d\n") == b"a,b\r\nc,d\n"  # CRLF untouched, no copy needed
    assert cr_to_lf(b"a,b\rc,d\r") == b"a,b\nc,d\n"  # CR-only file: CR ends lines
    assert cr_to_lf(b"a,\rb\nc,d\r\n") == b"a, b\nc,d\r\n"
    assert not has_lone_cr(b"x\r\n" * 10)
    assert has_lone_cr(b"x\r\n" * 10 + b"y\rz\n")
