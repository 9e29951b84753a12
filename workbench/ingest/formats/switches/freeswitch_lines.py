"""mod_cdr_csv files with many damaged lines, read without pyarrow's per-row callbacks.

When most lines do not fit (a file the benchmark writes: two lines in five with an
unescaped quote or cut), ``read_positional`` counts every line's fields, groups lines by
count and parses each group; pyarrow hands every refused line of a group to Python (~10 µs
each), which was most of the reading time. Here the same outcome is worked out line by line:

- a *plain* line (``"v0","v1",…`` with 13 or 15 values and no quote inside one, found from
  its quotes' offsets) is a row;
- any other line of 13 or 15 counted fields is a row if pyarrow reads it as that many fields
  (an RE2 pattern that follows pyarrow's quote rules says so), else a bad line "wrong number
  of fields";
- a line of another count is a bad line "<n> fields; …" (never parsed);
- the rows of each count are parsed by pyarrow in one block (a refusal: the careful reader).

That is ``read_positional``'s outcome when it groups every line (``_many_refused``) and every
line it would parse ends outside quotes; otherwise (or for a file not plain UTF-8 without CR)
this returns None and the careful reader runs. ``tests/test_freeswitch_lines.py`` compares
both on generated files.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from ..base import BadLine
from ..delimited import MAX_BAD_KEPT, field_counts, nonblank_lines, select_lines
from . import positional as _positional
from .positional import Group, Positional, clean_utf8, names

ACCEPT = (13, 15)
_QUOTE, _COMMA = 34, 44
# One field as pyarrow reads it (delimiter ",", quote '"', doubled quotes, no escape): quoted
# (a doubled quote is a literal; after the closing quote the rest up to "," is plain text, so
# it cannot start with a quote, which would be a doubled one) or plain (its first byte not a
# quote; any quote after it is a literal).
_FIELD = r'(?:"(?:[^"]|"")*"(?:[^",][^,]*)?|[^",][^,]*|)'
_CLOSED = f"^{_FIELD}(?:,{_FIELD})*$"  # a line that ends outside quotes


def _exactly(n: int) -> str:
    return f"^{_FIELD}(?:,{_FIELD}){{{n - 1}}}$"


def read_lines(data: bytes, expected: int, file: str, reason: str) -> Positional | None:
    """``read_positional(data, delimiter=",", expected=expected, accept=13/15, …)``'s result
    where it can be had without the per-row callbacks (see the module's docstring), else
    None."""
    if not isinstance(data, bytes) or data.find(b"\r") >= 0 or not clean_utf8(data):
        return None
    kw = dict(delimiter=",", quote_char='"', escape_char=False, double_quote=True, file=file)
    if not _positional._many_refused(data, None, None, expected, 0, None, kw):
        return None  # one parse of the whole file is what the careful reader does: cheap
    starts = _line_starts(data)
    cands = nonblank_lines(data, starts)
    if not len(cands):
        return None
    buf = np.frombuffer(data, np.uint8)
    ends = np.append(starts[1:] - 1, len(buf) - 1 if buf[-1] == 10 else len(buf))
    lo, hi = starts[cands - 1], ends[cands - 1]
    plain, counts = _plain_lines(buf, lo, hi)
    other = np.flatnonzero(~plain)
    # the other lines copied out once: counted there (a line's count depends on its own
    # bytes alone) and, where a row may be, matched against pyarrow's reading
    texts = _texts(data, starts, cands[other])
    if len(other):
        at = np.frombuffer(texts.buffers()[1], np.int64)[texts.offset:texts.offset + len(other)
                                                         + 1]
        body = texts.buffers()[2].slice(int(at[0]), int(at[-1] - at[0]))
        counts[other] = field_counts(body, ",", '"', None, at[:-1] - at[0])
    where = np.full(len(cands), -1, np.int64)  # a line's place among the other lines
    where[other] = np.arange(len(other))
    groups: list[Group] = []
    bad_at: list[np.ndarray] = []
    bad_why: list[tuple[np.ndarray, str]] = []
    for count in np.unique(counts).tolist():
        at = np.flatnonzero(counts == count)
        if count not in ACCEPT and count != expected:
            bad_why.append((cands[at], f"{count} fields; {reason}"))
            bad_at.append(cands[at])
            continue
        odd = at[~plain[at]]
        rows_odd = np.zeros(0, np.int64)
        if len(odd):
            some = texts.take(pa.array(where[odd]))
            fits = pc.match_substring_regex(some, _exactly(count)).to_numpy(
                zero_copy_only=False)
            closed = pc.match_substring_regex(some, _CLOSED).to_numpy(zero_copy_only=False)
            if not np.all(fits | closed):
                return None  # a line left a quote open: the careful reader places it
            rows_odd = odd[fits]
            wrong = cands[odd[~fits]]
            if len(wrong):
                bad_why.append((wrong, "wrong number of fields"))
                bad_at.append(wrong)
        rows = cands[np.sort(np.concatenate([at[plain[at]], rows_odd]))]
        table = _table(data, starts, rows, count)
        if table is None:
            return None
        if table.num_rows:
            groups.append(Group(count, table, rows))
    bad_numbers = np.sort(np.concatenate(bad_at)) if bad_at else np.zeros(0, np.int64)
    bad = sorted((BadLine(int(n), why, "") for lines, why in bad_why
                  for n in lines[:MAX_BAD_KEPT].tolist()), key=lambda b: b.line)
    return Positional(groups, bad[:MAX_BAD_KEPT], len(bad_numbers), data=data,
                      bad_numbers=bad_numbers.astype(np.int64), starts=starts)


#: Bytes of lines looked at together for their quotes: temporaries stay in the CPU cache
#: (a file's quote offsets at once are 8 bytes per quote, most of a page fault per line).
BLOCK = 1 << 22


def _plain_lines(buf: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(plain, fields): which lines (from ``lo`` to ``hi``, no line end) are plain (``_plain``)
    and their field count (0 for the others), a block of lines at a time."""
    plain = np.zeros(len(lo), bool)
    counts = np.zeros(len(lo), np.int64)
    cuts = np.unique(np.append(np.searchsorted(lo, np.arange(0, int(hi[-1]) + 1, BLOCK)),
                               len(lo)))
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
        base = int(lo[a])
        quotes = np.flatnonzero(buf[base:int(hi[b - 1])] == _QUOTE) + base
        first = np.searchsorted(quotes, lo[a:b])
        nq = np.searchsorted(quotes, hi[a:b]) - first
        ok = np.zeros(b - a, bool)
        for c in ACCEPT:
            ok |= _plain(buf, quotes, first, nq, lo[a:b], hi[a:b], c)
        plain[a:b] = ok
        counts[a:b][ok] = nq[ok] // 2
    return plain, counts


def _line_starts(data: bytes) -> np.ndarray:
    """``line_starts(data)``, a block at a time (no file-sized mask)."""
    buf = np.frombuffer(data, np.uint8)
    parts = [np.zeros(1, np.int64)]
    for i in range(0, len(buf), BLOCK):
        parts.append(np.flatnonzero(buf[i:i + BLOCK] == 10) + (i + 1))
    starts = np.concatenate(parts)
    return starts[:-1] if len(starts) and starts[-1] >= len(data) else starts


def _plain(buf: np.ndarray, quotes: np.ndarray, first: np.ndarray, nq: np.ndarray,
           lo: np.ndarray, hi: np.ndarray, c: int) -> np.ndarray:
    """Lines written ``"v0","v1",…,"v{c-1}"`` with no quote inside a value: the first byte
    and the last are quotes, and the quotes between pair up as ``","``."""
    ok: np.ndarray = nq == 2 * c
    idx = np.flatnonzero(ok)
    if not len(idx):
        return ok
    q = quotes[first[idx, None] + np.arange(2 * c)]  # (lines, 2c) quote offsets
    good = (q[:, 0] == lo[idx]) & (q[:, -1] == hi[idx] - 1)
    closers, openers = q[:, 1:-1:2], q[:, 2::2]
    good &= np.all(openers - closers == 2, axis=1) & np.all(buf[closers + 1] == _COMMA, axis=1)
    ok[idx] = good
    return ok


def _texts(data: bytes, starts: np.ndarray, lines: np.ndarray) -> pa.Array:
    """The given lines' text with its line end: ``_FIELD`` reads a line end after a line's
    last field as part of that field (after a closing quote, as plain text), so a line and
    the line with its line end match the same patterns."""
    offsets = np.append(starts, len(data)).astype(np.int64)
    whole = pa.Array.from_buffers(pa.large_string(), len(starts),
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return whole.take(pa.array(lines - 1))


def _table(data: bytes, starts: np.ndarray, lines: np.ndarray, count: int) -> pa.Table | None:
    """The given lines (each read by pyarrow as ``count`` fields, ending outside quotes)
    parsed as one block: None if pyarrow does not return one row a line."""
    cols = names(count)
    if not len(lines):
        return pa.table({c: pa.array([], pa.string()) for c in cols})
    try:
        table = pv.read_csv(
            pa.BufferReader(select_lines(data, lines, starts)),
            read_options=pv.ReadOptions(column_names=cols),
            parse_options=pv.ParseOptions(delimiter=",", quote_char='"', double_quote=True),
            convert_options=pv.ConvertOptions(column_types={c: pa.string() for c in cols},
                                              strings_can_be_null=False,
                                              quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return table if table.num_rows == len(lines) else None
