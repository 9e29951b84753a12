"""Vectorized helpers shared by the switch profiles: null tokens, lines, assembly, sniffing.

Everything here works on whole Arrow/numpy columns; per-row Python is kept to the
few distinct values of a column (zone tokens, dictionary entries).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.errors import InputError

from ..base import (
    CANONICAL_FIELDS,
    EXTRA_FIELDS,
    TIME_FIELDS,
    BadLine,
    ParsedTable,
    ReadOptions,
    Sample,
)
from ..delimited import (  # noqa: F401  (re-exported: one limit, one line splitter for all)
    MAX_BAD_KEPT,
    ends_with_newline,
    field_counts,
    line_starts,
    select_lines,
)
from ..sample import HEAD_BYTES

UTC = pa.timestamp("us", tz="UTC")
NULL_TEXT = ("", "NULL", "null", "\\N", "NA", "N/A", "None")

Q850_NAMES = frozenset((
    "NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL",
    "CALL_REJECTED", "UNALLOCATED_NUMBER", "NORMAL_TEMPORARY_FAILURE", "RECOVERY_ON_TIMER_EXPIRE",
    "NO_ROUTE_DESTINATION", "DESTINATION_OUT_OF_ORDER", "INVALID_NUMBER_FORMAT",
    "NORMAL_CIRCUIT_CONGESTION", "SERVICE_UNAVAILABLE", "INCOMPATIBLE_DESTINATION",
    "MEDIA_TIMEOUT", "LOSE_RACE", "ALLOTTED_TIMEOUT", "NORMAL_UNSPECIFIED", "SUBSCRIBER_ABSENT",
    "EXCHANGE_ROUTING_ERROR", "BEARERCAPABILITY_NOTAVAIL", "MANAGER_REQUEST", "PICKED_OFF",
    "NUMBER_CHANGED", "REQUESTED_CHAN_UNAVAIL", "FACILITY_REJECTED", "SWITCH_CONGESTION",
    "NETWORK_OUT_OF_ORDER", "UNSPECIFIED", "PROGRESS_TIMEOUT", "GATEWAY_DOWN",
    "CHAN_NOT_IMPLEMENTED",
))


# ---------------------------------------------------------------- arrays

def text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous string array."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return col


def blank_to_null(col, tokens: Iterable[str] = ("",), strip: bool = False) -> pa.Array:
    """Raw text with empty values (and the given literal tokens, e.g. NULL) as nulls;
    ``strip``: values trimmed first. Both steps are skipped where one look at every value's
    edge bytes proves them idle: the trim copies the whole column and the token test hashes
    every value, and most columns of an export hold no padded value and no token."""
    arr = text(col)
    edges = _Edges.of(arr)
    if strip and (edges is None or edges.padded()):
        arr = pc.utf8_trim_whitespace(arr)
        edges = None  # the trimmed values' edges are others
    tokens = tuple(tokens)
    if edges is not None and not edges.may_be(tokens):
        return arr
    if tokens == ("",):
        mask = pc.equal(pc.binary_length(arr), 0)
    else:
        mask = pc.is_in(arr, value_set=pa.array(tokens, arr.type))
    if not pc.any(mask).as_py():
        return arr
    return pc.if_else(mask, pa.scalar(None, arr.type), arr)


class _Edges:
    """The sizes and the first and last bytes of a text column's values (two gathers over its
    offsets), which settle for the whole column whether a trim or a token test has work."""

    def __init__(self, size: np.ndarray, first: np.ndarray, last: np.ndarray):
        self.size, self.first, self.last = size, first, last  # first/last: non-empty values

    @classmethod
    def of(cls, arr: pa.Array) -> _Edges | None:
        """None for a column that is not plain or large text."""
        if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
            return None
        n = len(arr)
        _, obuf, dbuf = arr.buffers()
        wide = np.int64 if pa.types.is_large_string(arr.type) else np.int32
        offs = np.frombuffer(obuf, wide)[arr.offset:arr.offset + n + 1].astype(np.int64) \
            if n else np.zeros(1, np.int64)
        starts, ends = offs[:-1], offs[1:]
        full = ends > starts
        data = np.frombuffer(dbuf, np.uint8) if dbuf is not None else np.zeros(0, np.uint8)
        return cls(ends - starts, data[starts[full]], data[ends[full] - 1])

    def padded(self) -> bool:
        """Whether a value's first or last byte may belong to whitespace, ASCII or Unicode (a
        byte at or below a space, DEL or a high byte): trimming might change it."""
        return any(((e <= 32) | (e >= 127)).any() for e in (self.first, self.last))

    def may_be(self, tokens: tuple[str, ...]) -> bool:
        """Whether a value may equal one of ``tokens``: an empty value for "", else one no
        longer than the longest token and starting with a token's first byte (null slots
        are looked at too: at worst the test runs for nothing)."""
        words = [t.encode() for t in tokens]
        if b"" in words and not self.size.all():
            return True
        words = [w for w in words if w]
        if not words:
            return False
        short = self.size[self.size > 0] <= max(len(w) for w in words)
        return bool(np.isin(self.first[short], np.frombuffer(bytes({w[0] for w in words}),
                                                              np.uint8)).any())


def fields(named: dict[str, pa.Array], mapping: dict[str, str]) -> dict[str, pa.Array]:
    """Canonical columns taken from a format's own fields (``{canonical: field}``), blanks
    as null."""
    return {canon: blank_to_null(named[field]) for canon, field in mapping.items()}


def coalesce(*cols: pa.Array | None) -> pa.Array | None:
    """First non-null value per row among the columns given (``None`` columns skipped)."""
    present = [c for c in cols if c is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else pc.coalesce(*present)


def count_true(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def on_distinct(col, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``fn`` (vectorized) on the distinct values only, spread back by index.

    Times and names repeat a lot (a busy switch logs ≤ 86,400 distinct seconds a
    day), so parsing the dictionary instead of every row saves most of the work.
    """
    enc = pc.dictionary_encode(text(col))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return pc.take(fn(enc.dictionary), enc.indices)


def extract(arr: pa.Array, pattern: str, distinct: bool = False) -> pa.Array:
    """Group ``v`` of ``pattern`` (RE2) or null where it does not match.

    ``distinct``: run the regex on the distinct values only (for repetitive columns).
    """
    if distinct:
        return on_distinct(arr, lambda values: extract(values, pattern))
    return pc.struct_field(pc.extract_regex(text(arr), pattern), "v")


def bytes_of(col) -> tuple[pa.Array, np.ndarray, np.ndarray, bool]:
    """The contiguous string array, its offsets (int64, n + 1) and its data bytes."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    arr = text(col)
    if arr.offset:
        arr = pa.concat_arrays([arr])  # re-base so the buffers start at this array
    big = pa.types.is_large_string(arr.type)
    n = len(arr)
    if n == 0:
        return arr, np.zeros(1, np.int64), np.zeros(0, np.uint8), big
    _, obuf, dbuf = arr.buffers()
    offs = np.frombuffer(obuf, dtype=np.int64 if big else np.int32)[:n + 1].astype(np.int64)
    data = (np.frombuffer(dbuf, dtype=np.uint8)[:offs[-1]] if dbuf is not None
            else np.zeros(0, np.uint8))
    return arr, offs, data, big


def substrings(arr: pa.Array, data: np.ndarray, new_start: np.ndarray, new_end: np.ndarray,
                big: bool) -> pa.Array:
    """Value ``i`` cut to bytes ``new_start[i]:new_end[i]`` of ``data`` (nulls kept)."""
    n = len(arr)
    lengths = np.maximum(new_end - new_start, 0)
    new_offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offs[1:])
    # Mark the kept bytes with a running sum of +1 at each range's start and -1 at its end
    # (ranges never overlap; empty ones add nothing), then compress: no per-byte indexes.
    some = lengths > 0
    edge = np.zeros(len(data) + 1, dtype=np.int8)
    edge[new_start[some]] += 1
    edge[new_end[some]] -= 1
    out_data = data[np.cumsum(edge[:-1], dtype=np.int8).view(bool)]
    valid = None
    if arr.null_count:
        valid = pa.py_buffer(np.packbits(pc.is_valid(arr).to_numpy(zero_copy_only=False),
                                         bitorder="little"))
    typ = pa.large_string() if big else pa.string()
    return pa.Array.from_buffers(typ, n, [valid, pa.py_buffer(
        new_offs if big else new_offs.astype(np.int32)), pa.py_buffer(out_data)],
        null_count=arr.null_count)


def cut(arr: pa.Array, offs: np.ndarray, data: np.ndarray, new_start: np.ndarray,
         new_end: np.ndarray, big: bool) -> pa.Array:
    """``substrings(arr, data, new_start, new_end, big)``; one Arrow slice kernel when every
    non-empty value loses the same number of bytes at its start and at its end (a channel
    ``TECH/peer-%08x`` of one technology), instead of a copy through a byte mask (an empty
    value stays empty under any slice)."""
    starts, ends = offs[:-1], offs[1:]
    some = ends > starts
    if arr.null_count:
        some &= np.asarray(arr.is_valid())
    head = (new_start - starts)[some]
    tail = (ends - new_end)[some]
    if len(head) and (head == head[0]).all() and (tail == tail[0]).all() \
            and ((ends - starts)[some] >= head[0] + tail[0]).all():
        raw = pa.large_binary() if big else pa.binary()
        # pyarrow 26 fails ("Negative buffer resize") when count × stop passes its size
        # type, so an open end is given as the longest value, and only where that is small
        stop = -int(tail[0]) if tail[0] else int((ends - starts).max())
        if stop < 0 or stop * len(arr) < 1 << 30:
            try:
                return pc.binary_slice(arr.view(raw), int(head[0]), stop).view(arr.type)
            except pa.ArrowInvalid:
                pass
    return substrings(arr, data, new_start, new_end, big)


def between(col, after: str, before: str) -> pa.Array:
    """The text after the first ``after`` and before the last ``before`` of every value.

    Where a character is missing that side is kept whole. numpy over the Arrow
    byte buffer: no regex, no per-value Python (3–5x faster than string splits).
    """
    arr, offs, data, big = bytes_of(col)
    n = len(arr)
    if n == 0:
        return arr
    starts, ends = offs[:-1], offs[1:]
    # byte index of the first ``after`` in each value (-1: none; 0 for nulls: kept whole)
    at = pc.fill_null(pc.find_substring(arr, after), -1).to_numpy().astype(np.int64)
    new_start = np.where(at >= 0, starts + at + 1, starts)
    last_pos = np.flatnonzero(data == ord(before))
    j = np.searchsorted(last_pos, ends) - 1
    last = last_pos[np.maximum(j, 0)] if len(last_pos) else ends
    has_last = (j >= 0) & (last >= new_start) if len(last_pos) else np.zeros(n, bool)
    return cut(arr, offs, data, new_start, np.where(has_last, last, ends), big)


def through_last(col, char: str) -> pa.Array:
    """Every value up to and including its last ``char`` (ASCII); empty where it has none."""
    arr, offs, data, big = bytes_of(col)
    n = len(arr)
    if n == 0:
        return arr
    starts, ends = offs[:-1], offs[1:]
    pos = np.flatnonzero(data == ord(char))
    if not len(pos):
        return substrings(arr, data, starts, starts, big)
    j = np.searchsorted(pos, ends) - 1
    last = pos[np.maximum(j, 0)]
    has = (j >= 0) & (last >= starts)
    return cut(arr, offs, data, starts, np.where(has, last + 1, starts), big)


def quality_notes(columns: dict[str, pa.Array]) -> tuple[list[str], bool]:
    """Spreadsheet damage a reader can see: lost seconds, numbers in scientific notation.

    Judged on up to 20,000 evenly spread rows: a round-trip damages a whole column.
    """
    notes: list[str] = []
    low = False
    n = len(next(iter(columns.values()), []))
    pick = None
    if n > 20_000:
        pick = pa.array(np.unique(np.linspace(0, n - 1, 20_000).astype(np.int64)))
    sampled = " (sampled)" if pick is not None else ""
    for name in TIME_FIELDS:
        col = columns.get(name)
        if col is None or not pa.types.is_string(col.type):
            continue
        if pick is not None:
            col = pc.take(col, pick)
        present = len(col) - col.null_count
        if not present:
            continue
        short = count_true(pc.match_substring_regex(col, r"(^|[ T])[0-9]{1,2}:[0-9]{2}$"))
        if short and short >= present / 2:
            low = True
            notes.append(f"{name}: {short} of {present}{sampled} times have no seconds "
                         "(spreadsheet round-trip?): low precision, matched with a wider "
                         "tolerance")
    for name in ("calling", "called"):
        col = columns.get(name)
        if col is None or not pa.types.is_string(col.type):
            continue
        if pick is not None:
            col = pc.take(col, pick)
        sci = count_true(pc.match_substring_regex(col, r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"))
        if sci:
            notes.append(f"{name}: {sci}{sampled} numbers in scientific notation (digits lost "
                         "in a spreadsheet); they cannot be recovered from this file")
    return notes, low


# ---------------------------------------------------------------- lines

def text_lines(data: bytes, starts: np.ndarray | None = None) -> tuple[pa.Array, np.ndarray]:
    """Every non-blank physical line as a string (no line end) and its 1-based number.

    ``starts``: ``line_starts(data)``, if the caller has them."""
    if starts is None:
        starts = line_starts(data)
    if len(starts) == 0:
        return pa.array([], pa.string()), np.zeros(0, np.int64)
    offsets = np.append(starts, len(data))
    big = len(data) >= 2**31 - 1
    typ = pa.large_string() if big else pa.string()
    arr = pa.Array.from_buffers(typ, len(starts), [None, pa.py_buffer(
        offsets.astype(np.int64 if big else np.int32)), pa.py_buffer(data)])
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid as exc:  # not UTF-8: the caller retries as cp1252
        raise UnicodeError(str(exc)) from exc
    arr = pc.utf8_rtrim(arr, characters="\r\n")
    keep = pc.greater(pc.binary_length(arr), 0)
    lines = np.arange(1, len(starts) + 1, dtype=np.int64)[keep.to_numpy(zero_copy_only=False)]
    arr = pc.filter(arr, keep)
    return (arr.cast(pa.string()) if big else arr), lines


def texts_at(lines: pa.Array, rows: np.ndarray) -> list[str]:
    """The text of the given rows (0-based) of the lines ``text_lines`` returned."""
    return pc.take(lines, pa.array(rows, pa.int64())).to_pylist()


def lines_text(data: bytes, lines: Iterable[int], starts: np.ndarray | None = None) -> list[str]:
    """The raw text of the given 1-based physical lines (for bad-line reports).

    ``starts``: the file's ``line_starts``, if the caller has them already."""
    if starts is None:
        starts = line_starts(data)
    out = []
    for line in lines:
        end = starts[line] if line < len(starts) else len(data)
        out.append(data[starts[line - 1]:end].decode("utf-8", errors="replace").rstrip("\r\n"))
    return out


# ---------------------------------------------------------------- assembling

def finish(columns: dict[str, pa.Array], lines: np.ndarray, *, named: dict[str, pa.Array] | None,
           opts: ReadOptions, file: str, notes: list[str], bad: list[BadLine] | None = None,
           bad_count: int = 0, headers: list[str] | None = None, time_basis: str = "invite",
           encoding: str = "utf-8", low_precision: bool = False) -> ParsedTable:
    """Every canonical field present, user overrides applied, spreadsheet damage noted.

    ``named`` holds the format's own fields by name (for ``[sources.columns]``
    overrides); fields passed in ``columns`` as ``"@name"`` are taken as named too.
    """
    n = len(lines)
    raw = {k[1:]: v for k, v in columns.items() if k.startswith("@")}
    if raw:
        named = {**raw, **(named or {})}
    out: dict[str, pa.Array] = {}
    for name in CANONICAL_FIELDS + EXTRA_FIELDS:
        col = columns.get(name)
        if col is None:
            if name in CANONICAL_FIELDS:
                out[name] = pa.nulls(n, pa.string())
            continue
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        if len(col) != n:
            raise AssertionError(f"{name}: {len(col)} values for {n} rows")
        out[name] = col
    for canon, source in (opts.columns or {}).items():
        if named is None or isinstance(source, list):
            continue
        if source not in named:
            raise InputError(f"'{source}' is not a field of this format (fields: "
                             f"{', '.join(named)})", file=file, field=canon)
        out[canon] = blank_to_null(named[source], NULL_TEXT)
        notes.append(f"{canon} ← {source} (set in the case)")
    qnotes, low = quality_notes(out)
    return ParsedTable(columns=out, lines=np.asarray(lines, dtype=np.int64), bad_lines=bad or [],
                       bad_line_count=bad_count or len(bad or []), notes=notes + qnotes,
                       headers=headers, time_basis=time_basis,
                       low_precision=low_precision or low, encoding=encoding)


Part = tuple[dict[str, pa.Array], np.ndarray]


def concat_sorted(parts: list[Part]) -> Part:
    """Join per-layout column sets back into file order."""
    if len(parts) == 1:
        return parts[0]
    lines = np.concatenate([p[1] for p in parts])
    order = np.argsort(lines, kind="stable")
    names = list(dict.fromkeys(k for p in parts for k in p[0]))  # first-seen order
    cols = {}
    for name in names:
        typ = next(p[0][name].type for p in parts if name in p[0])
        chunks = [text(c) if pa.types.is_string(typ) else c for c in
                  (p[0].get(name, pa.nulls(len(p[1]), typ)) for p in parts)]
        chunks = [c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in chunks]
        cols[name] = pc.take(pa.concat_arrays([c.cast(typ) for c in chunks]), pa.array(order))
    return cols, lines[order]


def in_file_order(parts: list[Part]) -> Part:
    """``concat_sorted(parts)`` with less copying, for readers whose groups are large: the
    order is read off a mark per line number (linear; a stable sort where lines repeat or
    are sparse), and each column's chunks are joined once and taken once, not first made
    contiguous per group. One group comes back with contiguous columns."""
    if len(parts) == 1:
        cols, lines = parts[0]
        return {k: v.combine_chunks() if isinstance(v, pa.ChunkedArray) else v
                for k, v in cols.items()}, lines
    lines = np.concatenate([p[1] for p in parts])
    order = _line_order(lines)
    take = pa.array(order)
    out = {}
    for name in dict.fromkeys(k for p in parts for k in p[0]):  # first-seen order
        typ = next(p[0][name].type for p in parts if name in p[0])
        chunks: list[pa.Array] = []
        for cols, at in parts:
            col = cols.get(name)
            got = [pa.nulls(len(at), typ)] if col is None else \
                col.chunks if isinstance(col, pa.ChunkedArray) else [col]
            chunks += [c if c.type == typ else c.cast(typ) for c in got]
        out[name] = pc.take(pa.concat_arrays(chunks), take)
    return out, lines[order]


def _line_order(lines: np.ndarray) -> np.ndarray:
    """The stable ascending order of ``lines``: by marks when each line is in one part and
    the numbers are dense, else by a stable sort."""
    if len(lines) and lines.min() >= 0 and lines.max() <= 4 * len(lines) + 65536:
        mark = np.full(int(lines.max()) + 1, -1, np.int64)
        mark[lines] = np.arange(len(lines))
        order = mark[mark >= 0]
        if len(order) == len(lines):
            return order
    return np.argsort(lines, kind="stable")


# ---------------------------------------------------------------- sniffing

def head_lines(data: bytes) -> list[str]:
    """The lines of the first 64 KiB of a file (to guess its usual field count)."""
    return data[:HEAD_BYTES].decode("utf-8", "replace").splitlines()


def most_common(values: list[int], default: int) -> int:
    """The most frequent value (a file's usual field count); ``default`` when there is none."""
    return max(set(values), key=values.count) if values else default


def records(sample: Sample, delimiter: str, *, quotechar: str | None = '"',
            escapechar: str | None = None, skip: int = 0, limit: int = 40) -> list[list[str]]:
    """The first non-blank sample lines split as the format would split them."""
    lines = [ln for ln in sample.lines[skip:] if ln.strip()][:limit]
    kw = {"delimiter": delimiter, "escapechar": escapechar}
    if quotechar:
        kw["quotechar"] = quotechar
    else:
        kw["quoting"] = csv.QUOTE_NONE
    out = []
    for ln in lines:  # one line at a time: a broken quote must not swallow the next line
        try:
            out.append(next(csv.reader([ln], **kw)))
        except (csv.Error, StopIteration):
            out.append(ln.split(delimiter))
    return out


def share(rows: list, pred: Callable[[object], bool]) -> float:
    if not rows:
        return 0.0
    hits = 0
    for r in rows:
        try:
            hits += bool(pred(r))
        except (IndexError, ValueError):
            pass
    return hits / len(rows)


def count_of(n: int, word: str) -> str:
    """``1 line`` / ``3 lines``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fmt_share(x: float) -> str:
    return f"{round(x * 100)}%"


ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
