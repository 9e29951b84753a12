"""Header-less positional files whose lines may have several field counts.

pyarrow reads the common layout in one pass. Only when some lines do not fit
(a switch whose options changed mid-file, a record type with its own layout)
are those lines counted, grouped by field count and read again, each group with
its own column list. Lines that fit no accepted layout are bad lines.
"""
from __future__ import annotations

import mmap
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from workbench.common.errors import InputError

from ..base import BadLine
from ..delimited import (
    MAX_COLUMNS,
    TooManyInvalid,
    cr_to_lf,
    field_counts,
    line_starts,
    lines_bytes,
    nonblank_lines,
    read_delimited,
)
from ..sample import HEAD_BYTES, read_utf8, utf8_view
from .common import MAX_BAD_KEPT, select_lines

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


def clean_utf8(data: bytes | mmap.mmap) -> bool:
    """True when every byte of ``data`` is UTF-8. A reader converting only some columns may
    do so only then: pyarrow checks the encoding of converted columns alone, and a fault in
    any accepted line must still send the file to the Windows-1252 retry."""
    if isinstance(data, bytes) and data.isascii():
        return True
    big = len(data) >= 2**31 - 1
    offsets = np.array([0, len(data)], np.int64 if big else np.int32)
    whole = pa.Array.from_buffers(pa.large_string() if big else pa.string(), 1,
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def read_positional(data: bytes, *, delimiter: str, expected: int, accept: Callable[[int], bool],
                    quote_char: str | bool = '"', escape_char: str | bool = False,
                    double_quote: bool = True, skip_lines: int = 0, ignore: set[int] | None = None,
                    reason: str = "", file: str = "",
                    columns: Callable[[int], list[int]] | None = None,
                    only: np.ndarray | None = None,
                    starts: np.ndarray | None = None) -> Positional:
    """Read ``data`` by field count; ``ignore`` lists lines (e.g. a footer) never reported bad.

    ``columns(count)`` may list the only field indexes to convert for lines of ``count``
    fields (field counts are still checked on every field); the rest are not in the table.
    ``only``: read just these non-blank physical lines (ascending, 1-based; ``skip_lines`` and
    ``ignore`` then unused), as if they were a file of their own, numbered as in ``data``;
    ``starts``: ``line_starts(data)``, if the caller has them.
    """
    data = cr_to_lf(data)  # CR-only line ends: the same lines, so line numbers hold

    def want(count: int):
        if columns is None:
            return None
        keep = sorted({i for i in columns(count) if 0 <= i < count})
        return lambda _names, _line: [f"f{i}" for i in keep] or None

    kw = dict(delimiter=delimiter, quote_char=quote_char, escape_char=escape_char,
              double_quote=double_quote, file=file)
    if only is not None and starts is None:
        starts = line_starts(data)
    mixed = _many_refused(data, only, starts, expected, skip_lines, want(expected), kw)
    if mixed:  # many layouts mixed: count fields once, parse each line once
        groups, taken = [], np.zeros(0, np.int64)
    elif only is not None and (table := _parse_whole(data, starts, only, expected,
                                                     want(expected), **kw)) is not None:
        return Positional([Group(expected, table, only)] if len(only) else [], data=data,
                          starts=starts)
    else:
        try:
            body = data if only is None else select_lines(data, only, starts)
            first = read_delimited(body, names=names(expected), header=False,
                                   skip_lines=skip_lines if only is None else 0,
                                   want=want(expected), max_invalid=MAX_REFUSED, **kw)
            got = first.lines if only is None else only[first.lines - 1]
            groups = [Group(expected, first.table, got)] if first.table.num_rows else []
            if first.bad_count == 0:
                return Positional(groups, data=data, starts=starts)
            taken = got
        except TooManyInvalid:
            groups, taken = [], np.zeros(0, np.int64)
    # Which lines did pyarrow refuse? Every non-blank data line it did not return.
    if starts is None:
        starts = line_starts(data)
    if only is None:
        cands = nonblank_lines(data, starts)
        cands = cands[cands > skip_lines]
    else:
        cands = only
    refused = _minus(cands, taken)
    if ignore and only is None:
        refused = refused[~np.isin(refused, list(ignore))]
    # a line's count depends on its own bytes alone (quote parity from its start), so the
    # lines may be counted in place or copied out
    if len(refused) * 4 > len(starts):  # most lines: count them in place, no copy
        counts = field_counts(data, delimiter, quote_char or None, escape_char or None,
                              starts)[refused - 1]
    else:
        counts = field_counts(select_lines(data, refused, starts), delimiter,
                              quote_char or None, escape_char or None)[:len(refused)]
    return _group_refused(data, starts, refused, counts, groups, expected=expected,
                          accept=accept, reason=reason, want=want, kw=kw)


def refused_as_bad(data: Any, these: np.ndarray, starts: np.ndarray, count: int, expected: int,
                   reason: str) -> list[BadLine]:
    """Lines ``these`` (of ``count`` fields, a count the reader does not take) as bad lines
    with their text: the first MAX_BAD_KEPT of them."""
    why = f"{count} fields; {reason}" if reason else f"{count} fields, expected {expected}"
    texts = select_lines(data, these[:MAX_BAD_KEPT], starts).decode("utf-8", errors="replace")
    return [BadLine(int(n), why, t.rstrip("\r"))
            for n, t in zip(these[:MAX_BAD_KEPT], texts.split("\n"))]


def _group_refused(data: Any, starts: np.ndarray, refused: np.ndarray, counts: np.ndarray,
                   groups: list[Group], *, expected: int, accept: Callable[[int], bool],
                   reason: str, want: Any, kw: dict[str, Any]) -> Positional:
    """The refused lines (``counts``: their field counts) read layout by layout: each count
    the reader accepts becomes a group (beside ``groups``, those read already), the others
    bad lines with their text. Shared by every reader that groups a mixed file."""
    bad: list[BadLine] = []
    bad_count = 0
    recovered = []
    for count in _distinct(counts):
        these = refused[counts == count]
        # a line of the expected count is refused when a broken neighbour left a quote
        # open: read on its own it is fine
        if (accept(int(count)) or count == expected) and count <= MAX_COLUMNS:
            table = _parse_whole(data, starts, these, int(count), want(int(count)), **kw) \
                if len(these) >= DIRECT_MIN else None
            if table is not None:  # every line read as it stands: no line to place
                groups.append(Group(int(count), table, these))
                recovered.append(these)
                continue
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
        bad += refused_as_bad(data, these, starts, int(count), expected, reason)
    bad.sort(key=lambda b: b.line)
    bad_numbers = _minus(refused, np.concatenate(recovered)) if recovered else refused
    return Positional(groups, bad[:MAX_BAD_KEPT], bad_count, data=data,
                      bad_numbers=bad_numbers.astype(np.int64), starts=starts)


#: Lines of a file's head whose field counts are checked before the first parse; a trial
#: parse of the first TRIAL_LINES lines follows when some of them do not fit.
HEAD_LINES, TRIAL_LINES = 200, 32 * MAX_REFUSED


def _many_refused(data: bytes | mmap.mmap, only: np.ndarray | None, starts: np.ndarray | None,
                  expected: int, skip_lines: int, want, kw: dict) -> bool:
    """Would the first parse stop at ``MAX_REFUSED`` lines of another field count? Told from
    the first lines alone (a parse of them stops where the whole file's would), so a file that
    mixes layouts is not parsed in full twice; False when its head fits ``expected``."""
    if only is None:
        head = bytes(data[:HEAD_BYTES])
        cut = head.rfind(b"\n") + 1 if len(data) > len(head) else len(head)
        counts = field_counts(head[:cut], kw["delimiter"], kw["quote_char"] or None,
                              kw["escape_char"] or None)
        lines = nonblank_lines(head[:cut], line_starts(head[:cut]))
        lines = lines[lines > skip_lines]
        counts = counts[lines - 1] if len(lines) else counts[:0]
    else:
        some = select_lines(data, only[:HEAD_LINES], starts)
        counts = field_counts(some, kw["delimiter"], kw["quote_char"] or None,
                              kw["escape_char"] or None)[:min(len(only), HEAD_LINES)]
    if not np.any(counts[:HEAD_LINES] != expected):
        return False
    if only is None:
        stop = _end_of_line(data, skip_lines + TRIAL_LINES)
        if stop >= len(data):
            return False  # the trial would be the whole parse
        trial = bytes(data[:stop])
    else:
        if len(only) <= TRIAL_LINES:
            return False
        trial = select_lines(data, only[:TRIAL_LINES], starts)
    try:
        read_delimited(trial, names=names(expected), header=False,
                       skip_lines=skip_lines if only is None else 0, want=want,
                       max_invalid=MAX_REFUSED, **kw)
    except TooManyInvalid:
        return True
    except (InputError, UnicodeError, pa.ArrowException):
        return False  # the whole parse meets it and says so
    return False


def _end_of_line(data: bytes | mmap.mmap, n: int) -> int:
    """Byte offset just after the ``n``-th line (``len(data)`` when there are fewer lines):
    line feeds found 1 MiB at a time, not one ``find`` call per line (64 k of them)."""
    buf = np.frombuffer(data, np.uint8)
    pos, seen = 0, 0
    while seen < n and pos < len(buf):
        ends = np.flatnonzero(buf[pos:pos + (1 << 20)] == 10)
        if seen + len(ends) >= n:
            return pos + int(ends[n - seen - 1]) + 1
        seen += len(ends)
        pos += 1 << 20
    return 0 if n <= 0 else len(data)


#: Fewer lines than this are read by ``read_delimited`` alone (the direct parse saves a copy)
DIRECT_MIN = 4096


def _parse_whole(data: bytes | mmap.mmap, starts: np.ndarray, these: np.ndarray, count: int,
                 want: Callable[[list[str], None], list[str] | None] | None, *, delimiter: str,
                 quote_char: str | bool, escape_char: str | bool, double_quote: bool,
                 file: str) -> pa.Table | None:
    """Lines ``these`` (non-blank, ``count`` fields each) parsed straight from an Arrow copy of
    their bytes, in parallel. None unless pyarrow reads every one of them as one row: a line it
    refuses (a quote fault) needs ``read_delimited``'s numbering, so the caller reads them so."""
    body = lines_bytes(data, starts, these)
    cols = names(count)
    try:
        table = pv.read_csv(
            pa.BufferReader(body), read_options=pv.ReadOptions(column_names=cols),
            parse_options=pv.ParseOptions(delimiter=delimiter, quote_char=quote_char,
                                          escape_char=escape_char, double_quote=double_quote),
            convert_options=pv.ConvertOptions(
                column_types={c: pa.string() for c in cols},
                include_columns=(want(cols, None) if want else None) or None,
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:  # a refused row, a quote fault, bytes not UTF-8: the careful path
        return None
    return table if table.num_rows == len(these) else None


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
