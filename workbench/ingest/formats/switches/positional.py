"""Header-less positional files whose lines may have several field counts.

pyarrow reads the common layout in one pass. Only when some lines do not fit
(a switch whose options changed mid-file, a record type with its own layout)
are those lines counted, grouped by field count and read again, each group with
its own column list. Lines that fit no accepted layout are bad lines.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

from ..base import BadLine
from ..delimited import cr_to_lf, line_starts, nonblank_lines, read_delimited
from ..sample import read_utf8, utf8_view
from .common import MAX_BAD_KEPT, field_counts, select_lines

T = TypeVar("T")


@dataclass
class Group:
    """Rows that share one field count: columns ``f0`` … and their physical lines."""

    count: int
    table: pa.Table
    lines: np.ndarray

    def col(self, i: int) -> pa.Array | pa.ChunkedArray:
        """Column ``f{i}`` as read (possibly chunked: combined only when used)."""
        c = self.table.column(f"f{i}")
        return c.chunk(0) if c.num_chunks == 1 else c


@dataclass
class Positional:
    groups: list[Group]
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_count: int = 0
    encoding: str = "utf-8"
    data: bytes = b""


def names(n: int) -> list[str]:
    return [f"f{i}" for i in range(n)]


def with_text(path: Path, encoding: str | None, fn: Callable[[bytes, str], T], *,
              mapped: bool = False) -> T:
    """Run ``fn(data, encoding)`` on the file as UTF-8; retry as Windows-1252 if it is not UTF-8.

    ``mapped``: a UTF-8 file is memory-mapped, not read into memory (for readers that only
    slice, search and parse ``data``, never call other bytes methods on it)."""
    with (utf8_view(path, encoding) if mapped else nullcontext(read_utf8(path, encoding))) \
            as (data, enc):
        try:
            return fn(data, enc)
        except UnicodeError:
            if enc != "utf-8" or encoding:
                raise
    data, enc = read_utf8(path, "cp1252")
    return fn(data, enc)


def read_positional(data: bytes, *, delimiter: str, expected: int, accept: Callable[[int], bool],
                    quote_char: str | bool = '"', escape_char: str | bool = False,
                    double_quote: bool = True, skip_lines: int = 0, ignore: set[int] | None = None,
                    reason: str = "", file: str = "",
                    columns: Callable[[int], list[int]] | None = None) -> Positional:
    """Read ``data`` by field count; ``ignore`` lists lines (e.g. a footer) never reported bad.

    ``columns(count)`` may list the only field indexes to convert for lines of ``count``
    fields (field counts are still checked on every field); the rest are not in the table.
    """
    data = cr_to_lf(data)  # CR-only line ends: the same lines, so line numbers hold

    def want(count: int):
        if columns is None:
            return None
        keep = sorted({i for i in columns(count) if 0 <= i < count})
        return lambda _names, _line: [f"f{i}" for i in keep] or None

    kw = dict(delimiter=delimiter, quote_char=quote_char, escape_char=escape_char,
              double_quote=double_quote, file=file)
    first = read_delimited(data, names=names(expected), header=False, skip_lines=skip_lines,
                           want=want(expected), **kw)
    groups = [Group(expected, first.table, first.lines)] if first.table.num_rows else []
    if first.bad_count == 0:
        return Positional(groups, data=data)
    # Which lines did pyarrow refuse? Every non-blank data line it did not return.
    starts = line_starts(data)
    cands = nonblank_lines(data, starts)
    cands = cands[cands > skip_lines]
    refused = np.setdiff1d(cands, first.lines, assume_unique=True)
    if ignore:
        refused = refused[~np.isin(refused, list(ignore))]
    sub = select_lines(data, refused)
    counts = field_counts(sub, delimiter, quote_char or None, escape_char or None)[:len(refused)]
    bad: list[BadLine] = []
    bad_count = 0
    for count in np.unique(counts):
        these = refused[counts == count]
        # a line of the expected count is refused when a broken neighbour left a quote
        # open: read on its own it is fine
        if accept(int(count)) or count == expected:
            part = read_delimited(select_lines(data, these), names=names(int(count)),
                                  header=False, want=want(int(count)), **kw)
            if part.table.num_rows:
                groups.append(Group(int(count), part.table, these[part.lines - 1]))
            bad_count += part.bad_count
            bad += [BadLine(int(these[b.line - 1]) if b.line > 0 else -1, b.reason, b.text)
                    for b in part.bad_lines]
            continue
        bad_count += len(these)
        why = f"{count} fields; {reason}" if reason else f"{count} fields, expected {expected}"
        sub_these = select_lines(data, these[:MAX_BAD_KEPT]).decode("utf-8", errors="replace")
        bad += [BadLine(int(n), why, t.rstrip("\r"))
                for n, t in zip(these[:MAX_BAD_KEPT], sub_these.split("\n"))]
    bad.sort(key=lambda b: b.line)
    return Positional(groups, bad[:MAX_BAD_KEPT], bad_count, data=data)
