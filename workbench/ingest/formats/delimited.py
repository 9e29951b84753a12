"""Fast delimited-text reading with exact physical line numbers for every row.

pyarrow parses; numpy finds the line starts, so each row is tied to the line
it came from (for raw read-back and for error messages) without a Python loop
over rows. Lines pyarrow cannot parse are skipped, reported and counted.
"""
from __future__ import annotations

import csv
import io
import mmap
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from workbench.common.errors import InputError

from .base import BadLine

MAX_BAD_KEPT = 200
MAX_COLUMNS = 2000  # the widest CDR layouts have a few hundred fields


@dataclass
class Delimited:
    table: pa.Table  # every column pa.string()
    lines: np.ndarray  # int64 1-based physical line of each row
    bad_lines: list[BadLine] = field(default_factory=list)
    bad_count: int = 0
    header: list[str] | None = None
    header_line: int | None = None


_COUNT_BLOCK = 1 << 22
_COMPARE_BLOCK = 1 << 18  # bytes compared at once: the mask stays in the CPU cache


def count_newlines(data, start: int = 0, stop: int | None = None) -> int:
    """Line feeds in ``data[start:stop]`` (bytes or a memory map), counted in blocks so no
    file-sized temporary is made: a vectorized compare into one reused mask, read straight
    from the buffer (3x less CPU than copying blocks out to count them)."""
    stop = len(data) if stop is None else min(stop, len(data))
    if stop - start < _COMPARE_BLOCK:
        return bytes(data[start:stop]).count(b"\n")
    buf = np.frombuffer(data, dtype=np.uint8)
    mask = np.empty(_COMPARE_BLOCK, dtype=bool)
    total = 0
    for i in range(start, stop, _COMPARE_BLOCK):
        part = buf[i:min(i + _COMPARE_BLOCK, stop)]
        hit = mask[:len(part)]
        np.equal(part, 10, out=hit)
        total += int(np.count_nonzero(hit))
    return total


def ends_with_newline(data) -> bool:
    return len(data) > 0 and data[len(data) - 1:] == b"\n"


def cr_only(data) -> bool:
    """True for text whose lines end in CR alone (no LF anywhere, at least one CR)."""
    return data.find(b"\n") < 0 and data.find(b"\r") >= 0


def cr_to_lf(data):
    """``data`` with CR-only line ends made LF, and a lone CR inside LF-ended lines made a
    space (pyarrow ends a row at any CR, splitting that record in two and shifting every
    line number after it). Same length, so byte offsets and line numbers stay those of the
    file; text without either is returned as is (no copy). A text without any CR (the
    usual log) is told by one search: ``cr_only`` and ``has_lone_cr`` each search it whole."""
    if data.find(b"\r") < 0:
        return data
    if cr_only(data):
        return bytes(data).replace(b"\r", b"\n")
    if not has_lone_cr(data):
        return data
    buf = np.frombuffer(data, dtype=np.uint8).copy()
    cr = np.flatnonzero(buf == 13)
    nxt = np.append(buf[1:], np.uint8(0))[cr]
    buf[cr[nxt != 10]] = 32
    return buf.tobytes()


def has_lone_cr(data) -> bool:
    """True when a CR stands anywhere but before a LF (blocks, no file-sized temporary;
    one memchr pass for the usual file without CRs)."""
    if data.find(b"\r") < 0:
        return False
    n = len(data)
    for i in range(0, n, _COUNT_BLOCK):
        j = min(i + _COUNT_BLOCK, n)
        chunk = bytes(data[i:j + 1])  # one byte more: a CRLF across the block's end
        if chunk.count(b"\r", 0, j - i) != chunk.count(b"\r\n"):
            return True
    return False


def is_ascii(data: bytes | memoryview | mmap.mmap) -> bool:
    """True when no byte of ``data`` has its high bit set: ASCII text, which is valid UTF-8
    as it stands, so the parser need not validate it (about a quarter of pyarrow's CPU for
    string columns). One OR-reduction over 8-byte words in 16 MiB blocks (~0.1 s a GB)."""
    n = len(data)
    words = np.frombuffer(data, dtype=np.uint64, count=n // 8)
    acc = np.uint64(0)
    for i in range(0, len(words), _COUNT_BLOCK // 2):
        acc |= np.bitwise_or.reduce(words[i:i + _COUNT_BLOCK // 2])
    tail = bytes(data[len(words) * 8:])
    return not int(acc) & 0x8080808080808080 and tail.isascii()


@dataclass
class TextScan:
    """What one pass over a file's bytes tells: any CR, all ASCII, how many line feeds."""

    has_cr: bool
    ascii: bool
    newlines: int


#: Bytes per block of ``scan_text``: the block stays in the CPU cache while it is compared
#: twice and OR-reduced, so the file streams from memory once.
_SCAN_BLOCK = 1 << 18


def scan_text(data: bytes | memoryview | mmap.mmap) -> TextScan:
    """Whether ``data`` holds a CR, ``is_ascii(data)`` and ``count_newlines(data)`` in one
    pass over the bytes: they were three passes (a CR find, the ASCII check, the count),
    53 ms of CPU for a 136 MB file against 37 ms here."""
    n = len(data)
    if not n:
        return TextScan(False, True, 0)
    buf = np.frombuffer(data, dtype=np.uint8)
    words = np.frombuffer(data, dtype=np.uint64, count=n // 8)
    step = max(8, _SCAN_BLOCK // 8 * 8)  # whole words per block: the OR-reduction stays aligned
    mask = np.empty(min(step, n), dtype=bool)
    acc = np.uint64(0)
    total = 0
    has_cr = False
    for i in range(0, n, step):
        part = buf[i:i + step]
        hit = mask[:len(part)]
        acc |= np.bitwise_or.reduce(words[i // 8:(i + step) // 8])
        np.equal(part, 10, out=hit)
        total += int(np.count_nonzero(hit))
        if not has_cr:
            np.equal(part, 13, out=hit)
            has_cr = bool(hit.any())
    tail = bytes(data[len(words) * 8:])
    return TextScan(has_cr, not int(acc) & 0x8080808080808080 and tail.isascii(), total)


def line_starts(data: bytes, block: int = 1 << 22) -> np.ndarray:
    """Byte offset of the start of every physical line (vectorized), compared ``block``
    bytes at a time: no file-sized mask (a 600 MB file's mask cost more in page faults than
    the comparison itself)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    out = [np.zeros(1, np.int64)]
    for i in range(0, len(buf), block):
        out.append(np.flatnonzero(buf[i:i + block] == 10).astype(np.int64) + (i + 1))
    starts = np.concatenate(out)
    return starts[:-1] if len(starts) and starts[-1] >= len(data) else starts


def select_lines(data: bytes | mmap.mmap, wanted: np.ndarray,
                 starts: np.ndarray | None = None) -> bytes:
    """The bytes of the given 1-based physical lines, each ending in a newline.

    ``starts``: the file's ``line_starts``, if the caller has them (finding them is a pass
    over the whole file, so a caller selecting several groups of lines finds them once)."""
    wanted = np.asarray(wanted, dtype=np.int64)
    if not len(wanted):
        return b""
    buf = np.frombuffer(data, np.uint8)
    if starts is None:
        starts = line_starts(data)
    ends = np.append(starts[1:], len(buf))
    tail = b"" if ends_with_newline(data) or wanted.max() < len(starts) else b"\n"
    if len(wanted) * 64 < len(starts):  # a few lines: slices, no mask over the whole file
        return b"".join(bytes(data[starts[i - 1]:ends[i - 1]]) + (tail if i == len(starts)
                                                                  else b"")
                        for i in wanted.tolist())
    # every line as one value of a binary array over the file's own bytes (no copy); Arrow's
    # take copies just the wanted ones, end to end, in one pass
    big = len(buf) >= 2**31 - 1
    offsets = np.append(starts, len(buf)).astype(np.int64 if big else np.int32)
    lines = pa.Array.from_buffers(pa.large_binary() if big else pa.binary(), len(starts),
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    got = lines.take(pa.array(wanted - 1))
    width = np.int64 if big else np.int32
    at = np.frombuffer(got.buffers()[1], dtype=width)[got.offset:got.offset + len(got) + 1]
    return got.buffers()[2].slice(int(at[0]), int(at[-1] - at[0])).to_pybytes() + tail


#: Bytes per block when counting fields: temporaries stay small and are reused, where
#: file-sized ones cost a page fault per 4 KiB on every import.
FIELD_COUNT_BLOCK = 1 << 22


def field_counts(data: bytes | mmap.mmap, delimiter: str, quote: str | None = '"',
                 escape: str | None = None, starts: np.ndarray | None = None) -> np.ndarray:
    """Number of fields on every physical line (quote- and escape-aware, vectorized): a
    separator counts unless an escape precedes it, and, with ``quote``, only where the
    quotes before it on its line are balanced (quote parity runs over the file, carried
    from block to block: no file-sized temporary).

    ``starts``: the file's ``line_starts``, if the caller has them."""
    buf = np.frombuffer(data, np.uint8)
    if starts is None:
        starts = line_starts(data)
    n = len(starts)
    out = np.empty(n, np.int64)
    if not n:
        return out
    sep, q, esc = ord(delimiter), ord(quote) if quote else -1, ord(escape) if escape else -1
    block_starts = np.arange(0, len(buf), FIELD_COUNT_BLOCK)
    cuts = np.unique(np.append(np.searchsorted(starts, block_starts), n))
    carry, i0 = 0, 0  # carry: quote parity before the block
    for i1 in cuts[1:].tolist():
        lo, hi = int(starts[i0]), int(starts[i1]) if i1 < n else len(buf)
        seg, loc = buf[lo:hi], starts[i0:i1] - lo
        seps = np.flatnonzero(seg == sep)
        if esc >= 0 and len(seps):
            prev = buf[np.maximum(seps + lo - 1, 0)]
            seps = seps[((seps + lo) == 0) | (prev != esc)]
        bounds = np.append(np.searchsorted(seps, loc), len(seps))
        quotes = (seg == q) if q >= 0 else None
        if quotes is not None and (carry or quotes.any()):
            parity = np.bitwise_xor.accumulate(quotes.view(np.uint8))
            if carry:
                parity ^= 1
            before = np.empty(len(loc), np.uint8)  # parity before each line's first byte
            before[0] = carry
            before[1:] = parity[loc[1:] - 1]
            at = parity[seps]
            if before.any():
                at = at != np.repeat(before, np.diff(bounds))
            kept = np.flatnonzero(at == 0)
            out[i0:i1] = np.diff(np.searchsorted(kept, bounds))
            carry = int(parity[-1])
        else:
            out[i0:i1] = np.diff(bounds)
        i0 = i1
    return out + 1


def nonblank_lines(data: bytes, starts: np.ndarray) -> np.ndarray:
    """1-based numbers of lines holding something other than an end-of-line."""
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    if len(starts):
        ends[-1] = len(data) - 1 if ends_with_newline(data) else len(data)
    length = ends - starts
    blank = length <= 0
    # a line that is only "\r" is blank too: the file's bytes read at one-byte lines alone
    # (a gather at every line start touched a cache line per line: ~0.1 s a million lines)
    one = np.flatnonzero(length == 1)
    if len(one) and len(buf):
        blank[one[buf[starts[one]] == 13]] = True
    return np.flatnonzero(~blank).astype(np.int64) + 1


def _first_nonblank(data: bytes, skip_lines: int) -> tuple[int, int] | None:
    """(1-based line, byte offset) of the first non-blank line after ``skip_lines`` lines."""
    pos, line = 0, 1
    while pos < len(data):
        nl = data.find(b"\n", pos)
        end = len(data) if nl < 0 else nl
        if line > skip_lines and data[pos:end].strip(b"\r \t"):
            return line, pos
        if nl < 0:
            return None
        pos, line = nl + 1, line + 1
    return None


def sniff_delimiter(line: str) -> str:
    """The most frequent of , ; | TAB outside quotes in a header line."""
    counts = {d: 0 for d in ",;|\t"}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_delimited(data: bytes | mmap.mmap, *, delimiter: str, names: list[str] | None = None,
                   header: bool = True, skip_lines: int = 0, quote_char: str | bool = '"',
                   escape_char: str | bool = False, double_quote: bool = True,
                   file: str = "", want=None, max_invalid: int | None = None,
                   grouped: bool = False) -> Delimited:
    """Parse ``data`` (UTF-8) into string columns, tying rows to physical lines.

    ``skip_lines`` physical lines are ignored first (preambles); with ``header``
    the first non-blank line after them names the columns, else ``names`` do.
    ``want(names, header_line)`` may return the only columns to convert (parsing fewer
    columns is cheaper; field counts are still checked on every column).
    Old Mac line ends (CR only, a spreadsheet's "CSV (Macintosh)") are read as lines.
    ``max_invalid``: past this many rows of the wrong field count, stop and raise
    ``TooManyInvalid`` (pyarrow hands each one to Python, ~10 µs apiece, and a parallel parse
    cannot number them: a caller that groups lines by field count parses each line once).
    Without it, past ``MAX_INVALID`` such rows the lines are counted and only those of the
    right count parsed (a second parse of just them), the others reported. ``grouped``: the
    caller gave lines of one field count already, so refused rows are quote faults and are
    numbered by the parser, never counted again.
    """
    scan: TextScan | None = scan_text(data)  # one pass for CRs, ASCII and line feeds
    if scan is None or scan.has_cr:  # None: not scanned, each asked on its own (as before)
        converted = cr_to_lf(data)
        scan = scan if converted is data else None  # lines changed: count them afresh
        data = converted
    first = _first_nonblank(data, skip_lines)
    if first is None:
        raise InputError("file is empty (no data lines)", file=file)
    first_line, first_off = first
    header_names = None
    header_line = None
    body_start = first_off
    body_first_line = first_line
    if header:
        header_line = first_line
        nl = data.find(b"\n", first_off)
        hend = len(data) if nl < 0 else nl + 1
        htext = data[first_off:hend].decode("utf-8", errors="replace").rstrip("\r\n")
        header_names = next(csv.reader([htext], delimiter=delimiter,
                                       quotechar=quote_char or '"'))
        header_names = [h.strip() for h in header_names]
        if not any(header_names):
            raise InputError("no header row: the file holds only blank lines", file=file,
                             line=header_line)
        names = _dedupe(header_names)
        body_start, body_first_line = hend, header_line + 1
    if names is None:
        raise InputError("no column names for a header-less file", file=file)
    if len(names) > MAX_COLUMNS:  # Arrow keeps buffers per column: 100,000 of them exhaust memory
        raise InputError(f"{len(names):,} columns: more than any CDR layout has "
                         f"({MAX_COLUMNS:,} at most); not a CDR file, or the wrong delimiter",
                         file=file, line=header_line)
    include = want(names, header_line) if want else None
    body = memoryview(data)[body_start:]
    if not bytes(body[:65536]).strip() and not bytes(body).strip():
        table = pa.table({n: pa.array([], pa.string()) for n in names})
        return Delimited(table, np.zeros(0, np.int64), header=header_names, header_line=header_line)

    cap = max_invalid if max_invalid is not None else None if grouped else MAX_INVALID
    ascii_only = (scan is not None and scan.ascii) or is_ascii(body)
    try:
        table, invalid, unknown = _parse(body, names, delimiter, quote_char, escape_char,
                                         double_quote, len(body) >= THREADED_BODY, include,
                                         cap, check_utf8=not ascii_only)
    except TooManyInvalid:
        if max_invalid is not None:
            raise
        return _by_field_count(data, body_start, body_first_line, names, header_names,
                               header_line, delimiter=delimiter, quote_char=quote_char,
                               escape_char=escape_char, double_quote=double_quote,
                               file=file, include=include)
    except _OutOfSync:
        return _without_open_quotes(data, body_start, body_first_line, names, header_names,
                                    header_line, delimiter=delimiter, quote_char=quote_char,
                                    escape_char=escape_char, double_quote=double_quote,
                                    file=file, include=include)
    # Parse first, count after: when rows + invalid rows equal the body's lines there are no
    # blank lines and no quoted newlines, and line numbers need no scan of the file.
    body_newlines = count_newlines(data, body_start) if scan is None else \
        scan.newlines - count_newlines(data, 0, body_start)
    n_body = body_newlines + (0 if ends_with_newline(data) else 1)
    located = _locate_lines(data, body_start, body_first_line, unknown,
                            body_newlines) if unknown else []
    if located is None and grouped:  # one record a line: match the refused texts at once
        located = _locate_whole_lines(data, body_start, body_first_line, unknown)
    if located is None:  # invalid rows the parallel parse could not place: parse serially
        try:
            table, invalid, _ = _parse(body, names, delimiter, quote_char, escape_char,
                                       double_quote, False, include, None,
                                       check_utf8=not ascii_only)
        except _OutOfSync:
            return _without_open_quotes(data, body_start, body_first_line, names,
                                        header_names, header_line, delimiter=delimiter,
                                        quote_char=quote_char, escape_char=escape_char,
                                        double_quote=double_quote, file=file, include=include)
        located = []
    if table.num_rows + len(invalid) + len(located) == n_body:
        cands = np.arange(body_first_line, body_first_line + n_body, dtype=np.int64)
    else:
        starts = line_starts(data)
        cands = nonblank_lines(data, starts)
        cands = cands[cands >= body_first_line]
    for line, text in located:  # as if the parser had numbered them itself
        invalid.append((int(np.searchsorted(cands, line)) + 1, text))
    invalid.sort()
    bad_idx = np.array([n - 1 for n, _ in invalid], dtype=np.int64)
    if len(bad_idx) and bad_idx.max() < len(cands):
        keep = np.ones(len(cands), dtype=bool)
        keep[bad_idx] = False
        lines = cands[keep]
    else:  # every line a row: the candidates as they are (no copy of a file-long array)
        lines = cands
    bad_lines = [BadLine(int(cands[i]) if i < len(cands) else -1,
                         "wrong number of fields", text) for i, (_, text) in
                 zip(bad_idx[:MAX_BAD_KEPT], invalid[:MAX_BAD_KEPT])]
    if len(lines) != table.num_rows:
        # quoted values spanning lines: only a serial reader knows where rows start
        first_index = body_first_line - 1  # lines before the body
        lines, bad_lines = _lines_by_csv_module(body, delimiter, quote_char, len(names),
                                                first_index)
        if len(lines) != table.num_rows:
            raise InputError(f"could not tie {table.num_rows} rows to lines "
                             f"({len(lines)} found)", file=file)
    return Delimited(table, lines, bad_lines, len(invalid), header_names, header_line)


def _quiet_undecodable_rows() -> None:
    """Install, once, an unraisable-exception hook that drops the UnicodeDecodeError pyarrow
    raises when it cannot hand a refused row that is not UTF-8 to ``on_invalid`` (below).
    pyarrow then stops the parse with "CSV parse error", which ``_parse`` turns into a retry
    as Windows-1252; without the hook Python also printed "Exception ignored in
    on_invalid … UnicodeDecodeError" on stderr for such a file. Anything else goes to the
    hook that was there before."""
    global _HOOKED
    if _HOOKED:
        return
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, UnicodeDecodeError) and getattr(
                unraisable.object, "__qualname__", "") == "_parse.<locals>.on_invalid" and \
                getattr(unraisable.object, "__module__", "") == __name__:
            return
        previous(unraisable)

    sys.unraisablehook = hook
    _HOOKED = True


_HOOKED = False


#: Bodies from this size on are parsed by pyarrow's thread pool. A smaller one is one or two
#: of its 1 MB blocks anyway, and parsed serially it leaves no task running when pyarrow
#: refuses it: a refused threaded parse returns while other blocks are still in flight, and
#: when the process ended just then (``detect`` of a small file) the last task released the
#: Python buffer during interpreter shutdown and the process aborted ("terminate called
#: without an active exception"), seen under load about once in 20 runs.
THREADED_BODY = 1 << 20


def _parse(body, names, delimiter, quote_char, escape_char, double_quote, threads,
           include=None, max_invalid=None, check_utf8=True):
    _quiet_undecodable_rows()
    invalid: list[tuple[int, str]] = []
    unknown = []
    limit = float("inf") if max_invalid is None else max_invalid

    def on_invalid(row):
        if row.number is None:
            unknown.append(row.text)
        else:
            invalid.append((row.number, row.text))
        return "skip" if len(invalid) + len(unknown) <= limit else "error"

    try:
        table = pv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),  # zero-copy: no second copy of the file
            read_options=pv.ReadOptions(column_names=names, use_threads=threads,
                                        ),
            parse_options=pv.ParseOptions(delimiter=delimiter, quote_char=quote_char,
                                          escape_char=escape_char, double_quote=double_quote,
                                          invalid_row_handler=on_invalid),
            convert_options=pv.ConvertOptions(column_types={n: pa.string() for n in names},
                                              include_columns=include or None,
                                              strings_can_be_null=False,
                                              quoted_strings_can_be_null=False,
                                              check_utf8=check_utf8),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise UnicodeError(str(exc)) from exc
        if "out of sync" in str(exc):
            raise _OutOfSync(str(exc)) from exc
        if len(invalid) + len(unknown) > limit:
            raise TooManyInvalid(f"more than {max_invalid} lines of another field count") \
                from exc
        if str(exc).startswith("CSV parse error"):  # only a refused row not valid UTF-8 does
            # this: pyarrow cannot hand its text to the handler, and stops (the caller
            # retries the file as Windows-1252)
            raise UnicodeError(f"a line that is not UTF-8: {exc}") from exc
        raise
    return table, invalid, unknown


MAX_INVALID = 1000  # rows of the wrong field count handed to Python before lines are counted


def _by_field_count(data, body_start: int, body_first_line: int, names: list[str],
                    header_names: list[str] | None, header_line: int | None, *,
                    delimiter: str, quote_char: str | bool, escape_char: str | bool,
                    double_quote: bool, file: str, include) -> Delimited:
    """Many lines of another field count: count every line's fields (vectorized), parse only
    the lines of the right count, report the others. Each line is parsed once."""
    body = memoryview(data)[body_start:]
    starts = line_starts(body)
    counts = field_counts(body, delimiter, quote_char or None, escape_char or None, starts)
    counts = counts[:len(starts)]
    nonblank = np.zeros(len(starts), dtype=bool)
    nonblank[nonblank_lines(body, starts) - 1] = True
    fit = np.flatnonzero(nonblank & (counts == len(names))) + 1
    other = np.flatnonzero(nonblank & (counts != len(names))) + 1
    table = _parse_lines(body, starts, fit, names, delimiter=delimiter, quote_char=quote_char,
                         escape_char=escape_char, double_quote=double_quote, include=include)
    if table is not None:  # every line a row: what the parse below gives, without its copy
        sub = Delimited(table, np.arange(1, len(fit) + 1, dtype=np.int64))
    else:
        sub = read_delimited(select_lines(body, fit, starts), delimiter=delimiter, names=names,
                             header=False, quote_char=quote_char, escape_char=escape_char,
                             double_quote=double_quote, file=file,
                             want=(lambda _n, _h: include) if include else None, grouped=True)
    first = body_first_line - 1
    texts = select_lines(body, other[:MAX_BAD_KEPT], starts).decode("utf-8", errors="replace")
    closed = _closed_line(delimiter, quote_char, escape_char, double_quote).fullmatch
    bad = [BadLine(int(n) + first, f"{int(counts[n - 1])} fields, expected {len(names)}"
                   if closed(t.encode()) else OPEN_QUOTE, t.rstrip("\r"))
           for n, t in zip(other[:MAX_BAD_KEPT], texts.split("\n"))]
    bad += [BadLine(int(fit[b.line - 1]) + first if b.line > 0 else -1, b.reason, b.text)
            for b in sub.bad_lines]
    bad.sort(key=lambda b: b.line)
    return Delimited(sub.table, fit[sub.lines - 1] + first, bad[:MAX_BAD_KEPT],
                     len(other) + sub.bad_count, header_names, header_line)


def lines_bytes(data: bytes | memoryview | mmap.mmap, starts: np.ndarray,
                these: np.ndarray) -> pa.Buffer:
    """The bytes of lines ``these`` (1-based, ``starts`` their line starts) one after another,
    in one Arrow copy: the lines of ``data`` as a binary array over its bytes, taken."""
    big = len(data) >= 2**31 - 1
    offsets = np.append(starts, len(data)).astype(np.int64 if big else np.int32)
    lines = pa.Array.from_buffers(pa.large_binary() if big else pa.binary(), len(starts),
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    got = lines.take(pa.array(these - 1))
    at = np.frombuffer(got.buffers()[1], dtype=np.int64 if big else np.int32)
    at = at[got.offset:got.offset + len(got) + 1]
    return got.buffers()[2].slice(int(at[0]), int(at[-1] - at[0]))


def _parse_lines(body: bytes | memoryview | mmap.mmap, starts: np.ndarray, these: np.ndarray,
                 names: list[str], *, delimiter: str, quote_char: str | bool,
                 escape_char: str | bool, double_quote: bool,
                 include: list[str] | None) -> pa.Table | None:
    """Lines ``these`` (1-based, non-blank, of ``len(names)`` fields each) parsed straight from
    an Arrow copy of their bytes: ``select_lines`` then ``read_delimited`` copied them once
    more into Python bytes and scanned them again for CRs, line feeds and high bytes. None
    unless pyarrow returns one row a line with no refusal (a quote fault, bytes that are not
    UTF-8): the caller then reads them the careful way, which numbers or reports them."""
    if not len(these) or not bytes(body[starts[these[0] - 1]:starts[these[0] - 1] + 65536]
                                   ).split(b"\n", 1)[0].strip(b"\r \t"):
        return None  # read_delimited would skip a first line of blanks as no data
    chosen = lines_bytes(body, starts, these)
    try:
        table = pv.read_csv(
            pa.BufferReader(chosen),
            read_options=pv.ReadOptions(column_names=names),
            parse_options=pv.ParseOptions(delimiter=delimiter, quote_char=quote_char,
                                          escape_char=escape_char, double_quote=double_quote),
            convert_options=pv.ConvertOptions(column_types={n: pa.string() for n in names},
                                              include_columns=include or None,
                                              strings_can_be_null=False,
                                              quoted_strings_can_be_null=False,
                                              check_utf8=not is_ascii(chosen)))
    except pa.ArrowInvalid:
        return None
    return table if table.num_rows == len(these) else None


class TooManyInvalid(Exception):
    """More rows of the wrong field count than the caller allowed (``max_invalid``)."""


class _OutOfSync(Exception):
    """pyarrow's block chunker (which splits at every line feed) and its parser (which reads a
    line feed inside quotes as part of a value) disagreed: some line left a quote open."""


OPEN_QUOTE = "a quote (or escape) opened on this line is never closed"


def _closed_line(delimiter: str, quote_char: str | bool, escape_char: str | bool,
                 double_quote: bool) -> re.Pattern[bytes]:
    """A regex that matches a whole line iff it ends outside quotes, as pyarrow parses: a
    quote opens a value only at its start; after the closing quote the rest of the field is
    plain text; a doubled quote (or an escape) inside quotes is a literal."""
    d = re.escape(delimiter.encode())
    e = re.escape(escape_char.encode()) if escape_char else b""
    esc = [e + b"."] if escape_char else []
    plain_first = b"[^" + d + (re.escape(quote_char.encode()) if quote_char else b"") + e + b"]"
    plain = b"(?:" + b"|".join([b"[^" + d + e + b"]"] + esc) + b")"
    field = b"(?:" + plain_first + b"|" + b"|".join(esc or [b"(?!)"]) + b")" + plain + b"*+"
    if quote_char:
        q = re.escape(quote_char.encode())
        inside = b"(?:" + b"|".join([b"[^" + q + e + b"]"] + ([q + q] if double_quote else [])
                                    + esc) + b")*+"
        field = b"(?:" + q + inside + q + plain + b"*+|" + field + b")"
    return re.compile(field + b"?+(?:" + d + field + b"?+)*+")


def _without_open_quotes(data, body_start: int, body_first_line: int, names: list[str],
                         header_names: list[str] | None, header_line: int | None, *,
                         delimiter: str, quote_char: str | bool, escape_char: str | bool,
                         double_quote: bool, file: str, include) -> Delimited:
    """The robust path when lines leave a quote open (values with unescaped quotes, a cut
    line): those lines become bad lines, named, and the others are parsed without them, so
    one damaged line never swallows the lines after it nor stops the import."""
    body = bytes(data[body_start:])
    closed = _closed_line(delimiter, quote_char, escape_char, double_quote).fullmatch
    marks = [m for m in ((quote_char or "").encode(), (escape_char or "").encode()) if m]
    keep: list[bytes] = []
    kept_lines: list[int] = []
    damaged: list[BadLine] = []
    for i, line in enumerate(body.split(b"\n")):
        if any(m in line for m in marks) and not closed(line):
            damaged.append(BadLine(body_first_line + i, OPEN_QUOTE,
                                   line.decode("utf-8", errors="replace").rstrip("\r")))
        else:
            keep.append(line)
            kept_lines.append(body_first_line + i)
    sub = read_delimited(b"\n".join(keep), delimiter=delimiter, names=names, header=False,
                         quote_char=quote_char, escape_char=escape_char,
                         double_quote=double_quote, file=file,
                         want=(lambda _n, _h: include) if include else None)
    where = np.asarray(kept_lines, dtype=np.int64)
    bad = damaged + [BadLine(int(where[b.line - 1]) if b.line > 0 else -1, b.reason, b.text)
                     for b in sub.bad_lines]
    bad.sort(key=lambda b: b.line)
    return Delimited(sub.table, where[sub.lines - 1], bad[:MAX_BAD_KEPT],
                     sub.bad_count + len(damaged), header_names, header_line)


MAX_LOCATED = 8


def _locate_lines(data, body_start: int, first_line: int, texts: list[str],
                  body_newlines: int) -> list[tuple[int, str]] | None:
    """(line, text) of rows the parallel parser refused without knowing their number (a cut
    last line, say), found as whole lines in the file; None when there are too many or one
    cannot be placed, and a serial parse must number them."""
    if len(texts) > MAX_LOCATED:
        return None
    found: list[tuple[int, str]] = []
    tries = 0
    for text in sorted(set(texts)):
        needle, want, pos = text.encode("utf-8"), texts.count(text), body_start
        got = 0
        while got < want:
            i = data.find(needle, pos)
            tries += 1
            if i < 0 or not needle or tries > 16 * MAX_LOCATED:  # a short text found
                return None  # inside many lines: numbering it by a serial parse is cheaper
            after = data[i + len(needle):i + len(needle) + 2]
            if (i == body_start or data[i - 1:i] == b"\n") and \
                    (after[:1] in (b"", b"\n") or after == b"\r\n"):
                if i - body_start < len(data) - i:  # count from the nearer end
                    before = count_newlines(data, body_start, i)
                else:
                    before = body_newlines - count_newlines(data, i)
                found.append((first_line + before, text))
                got += 1
            pos = i + 1
    return found


def _locate_whole_lines(data, body_start: int, first_line: int, texts: list[str]
                        ) -> list[tuple[int, str]] | None:
    """``_locate_lines`` for many refused rows of a caller's one-record-a-line selection: every
    line compared with the refused texts in one Arrow pass. None unless each text is exactly
    the lines that hold it (a text also on an accepted line is numbered by a serial parse)."""
    body = memoryview(data)[body_start:]
    starts = line_starts(body)
    if not len(starts):
        return None
    big = len(body) >= 2**31 - 1
    offsets = np.append(starts, len(body)).astype(np.int64 if big else np.int32)
    lines = pa.Array.from_buffers(pa.large_binary() if big else pa.binary(), len(starts),
                                  [None, pa.py_buffer(offsets), pa.py_buffer(body)])
    lines = pc.utf8_rtrim(lines.cast(pa.large_string() if big else pa.string()),
                          characters="\r\n")
    hit = np.flatnonzero(pc.is_in(lines, value_set=pa.array(texts, lines.type))
                         .to_numpy(zero_copy_only=False))
    if len(hit) != len(texts):
        return None
    return list(zip((hit + first_line).tolist(), pc.take(lines, pa.array(hit)).to_pylist()))


def _lines_by_csv_module(body, delimiter, quote_char, ncols, first_line_index):
    """Slow exact path for files whose quoted values contain newlines."""
    text = io.StringIO(bytes(body).decode("utf-8", errors="replace"), newline="")
    reader = csv.reader(text, delimiter=delimiter, quotechar=quote_char or '"')
    lines, bad = [], []
    prev_end = 0
    for rec in reader:
        start_line = prev_end + 1
        prev_end = reader.line_num
        if not rec:
            continue
        if len(rec) != ncols:
            bad.append(BadLine(first_line_index + start_line, "wrong number of fields",
                               delimiter.join(rec)))
            continue
        lines.append(first_line_index + start_line)
    return np.asarray(lines, dtype=np.int64), bad[:MAX_BAD_KEPT]


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}_{seen[n]}"
        else:
            seen[n] = 1
        out.append(n)
    return out
