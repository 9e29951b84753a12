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
from ..delimited import (
    MAX_COLUMNS,
    TooManyInvalid,
    cr_to_lf,
    line_starts,
    nonblank_lines,
    read_delimited,
)
from ..sample import read_utf8, utf8_view
from .common import MAX_BAD_KEPT, field_counts, select_lines

T = TypeVar("T")
#: Past this many lines of another field count, the first parse stops and every line is
#: grouped by its own field count (pyarrow's per-row callback for refused rows is slow).
MAX_REFUSED = 2000


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
    bad_numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    starts: np.ndarray | None = None  # line_starts(data), when the reader had to find them

    def all_bad(self) -> list[BadLine]:
        """Every bad line with its text (``bad_lines`` keeps only the first few), for readers
        that repair damaged lines: all of them are repaired, in one pass over their bytes."""
        if not len(self.bad_numbers):
            return []
        why = {b.line: b.reason for b in self.bad_lines}
        texts = select_lines(self.data, self.bad_numbers, self.starts).decode("utf-8",
                                                                              errors="replace")
        return [BadLine(int(n), why.get(int(n), "refused by the parser"), t.rstrip("\r"))
                for n, t in zip(self.bad_numbers, texts.split("\n"))]


def names(n: int) -> list[str]:
    return [f"f{i}" for i in range(n)]


def with_text(path: Path, encoding: str | None, fn: Callable[[bytes, str], T], *,
              mapped: bool = False) -> T:
    """Run ``fn(data, encoding)`` on the file as UTF-8; retry as Windows-1252 if it is not UTF-8.

    ``data`` has its line ends made plain first (``cr_to_lf``: CR-only lines made LF, a lone
    CR inside a line made a space, same length), so every reader's lines are the file's.
    ``mapped``: a UTF-8 file is memory-mapped, not read into memory (for readers that only
    slice, search and parse ``data``, never call other bytes methods on it)."""
    with (utf8_view(path, encoding) if mapped else nullcontext(read_utf8(path, encoding))) \
            as (data, enc):
        try:
            return fn(cr_to_lf(data), enc)
        except UnicodeError:
            if enc != "utf-8" or encoding:
                raise
    data, enc = read_utf8(path, "cp1252")
    return fn(cr_to_lf(data), enc)


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
    try:
        first = read_delimited(data, names=names(expected), header=False, skip_lines=skip_lines,
                               want=want(expected), max_invalid=MAX_REFUSED, **kw)
        groups = [Group(expected, first.table, first.lines)] if first.table.num_rows else []
        if first.bad_count == 0:
            return Positional(groups, data=data)
        taken = first.lines
    except TooManyInvalid:  # many layouts mixed: count fields once, parse each line once
        groups, taken = [], np.zeros(0, np.int64)
    # Which lines did pyarrow refuse? Every non-blank data line it did not return.
    starts = line_starts(data)
    cands = nonblank_lines(data, starts)
    cands = cands[cands > skip_lines]
    refused = _minus(cands, taken)
    if ignore:
        refused = refused[~np.isin(refused, list(ignore))]
    if len(refused) * 4 > len(cands):  # most lines: count them in place, no copy
        counts = field_counts(data, delimiter, quote_char or None, escape_char or None,
                              starts)[refused - 1]
    else:
        counts = field_counts(select_lines(data, refused, starts), delimiter,
                              quote_char or None, escape_char or None)[:len(refused)]
    bad: list[BadLine] = []
    bad_count = 0
    recovered = []
    for count in _distinct(counts):
        these = refused[counts == count]
        # a line of the expected count is refused when a broken neighbour left a quote
        # open: read on its own it is fine
        if (accept(int(count)) or count == expected) and count <= MAX_COLUMNS:
            part = read_delimited(select_lines(data, these, starts), names=names(int(count)),
                                  header=False, want=want(int(count)), grouped=True, **kw)
            if part.table.num_rows:
                groups.append(Group(int(count), part.table, these[part.lines - 1]))
                recovered.append(these[part.lines - 1])
            bad_count += part.bad_count
            bad += [BadLine(int(these[b.line - 1]) if b.line > 0 else -1, b.reason, b.text)
                    for b in part.bad_lines]
            continue
        bad_count += len(these)
        why = f"{count} fields; {reason}" if reason else f"{count} fields, expected {expected}"
        sub_these = select_lines(data, these[:MAX_BAD_KEPT], starts).decode("utf-8",
                                                                            errors="replace")
        bad += [BadLine(int(n), why, t.rstrip("\r"))
                for n, t in zip(these[:MAX_BAD_KEPT], sub_these.split("\n"))]
    bad.sort(key=lambda b: b.line)
    bad_numbers = _minus(refused, np.concatenate(recovered)) if recovered else refused
    return Positional(groups, bad[:MAX_BAD_KEPT], bad_count, data=data,
                      bad_numbers=bad_numbers.astype(np.int64), starts=starts)


def _minus(lines: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """``lines`` without ``taken`` (both line numbers), by a mask over line numbers: linear,
    where set differences sort or hash."""
    if not len(taken) or not len(lines):
        return lines
    mark = np.zeros(int(max(lines.max(), taken.max())) + 1, dtype=bool)
    mark[taken] = True
    return lines[~mark[lines]]


def _distinct(counts: np.ndarray) -> np.ndarray:
    """The distinct field counts, ascending (counts are small: a bincount, not a sort)."""
    if not len(counts):
        return counts
    if counts.max() > 100_000:  # a hostile line of commas: don't size an array by it
        return np.unique(counts)
    return np.flatnonzero(np.bincount(counts))
