"""mod_cdr_csv files with many damaged lines, read without pyarrow's per-row callbacks.

When most lines do not fit (a file the benchmark writes: two lines in five with an
unescaped quote or cut), ``read_positional`` counts every line's fields, groups lines by
count and parses each group; pyarrow hands every refused line of a group to Python (~10 µs
each), which was most of the reading time. Here the same outcome is worked out line by line:

- a *plain* line (``"v0","v1",…`` with the file's usual 13 or 15 values and no quote inside
  one, found by one RE2 pass over every line) is a row;
- which of the other lines have 13 or 15 fields (as ``field_counts`` counts them) is told
  by one RE2 pass; the exact count is found only for the few bad lines kept and for the lines
  pyarrow reads as 13 or 15 fields (``_classify``: usually none, so a damaged line with an
  unescaped quote costs one pass fewer);
- any other line of 13 or 15 counted fields is a row if pyarrow reads it as that many fields
  (an RE2 pattern that follows pyarrow's quote rules says so), else a bad line "wrong number
  of fields";
- a line of another count is a bad line "<n> fields; …" (never parsed);
- the rows of each count are parsed by pyarrow in one block (a refusal: the careful reader),
  converting only the fields asked for;
- the bad lines' text, copied out already, goes with the result for their repair.

That is ``read_positional``'s outcome when it groups every line (``_many_refused``) and every
line it would parse ends outside quotes; otherwise (or for a file not plain UTF-8 without CR)
this returns None and the careful reader runs. ``tests/test_freeswitch_lines.py`` compares
both on generated files.
"""
from __future__ import annotations

import mmap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from ..base import BadLine
from ..delimited import MAX_BAD_KEPT, field_counts, is_ascii, nonblank_lines
from . import positional as _positional
from .positional import Group, Positional, clean_utf8, names

ACCEPT = (13, 15)
# One field as pyarrow reads it (delimiter ",", quote '"', doubled quotes, no escape): quoted
# (a doubled quote is a literal; after the closing quote the rest up to "," is plain text, so
# it cannot start with a quote, which would be a doubled one) or plain (its first byte not a
# quote; any quote after it is a literal).
_FIELD = r'(?:"(?:[^"]|"")*"(?:[^",][^,]*)?|[^",][^,]*|)'
_CLOSED = f"^{_FIELD}(?:,{_FIELD})*$"  # a line that ends outside quotes


def _exactly(n: int) -> str:
    return f"^{_FIELD}(?:,{_FIELD}){{{n - 1}}}$"


@dataclass
class LinePositional(Positional):
    """``Positional`` with the bad lines' text, which this reader has copied out already:
    the repair reads it instead of finding the lines in the file again."""

    #: one string per bad line (``bad_numbers`` order), each with its line end (``\n``)
    #: except maybe the file's last line
    bad_texts: pa.Array | None = None


def read_lines(data: bytes, expected: int, file: str, reason: str,
               fields: Sequence[int] | None = None) -> LinePositional | None:
    """``read_positional(data, delimiter=",", expected=expected, accept=13/15, …)``'s result
    where it can be had without the per-row callbacks (see the module's docstring), else
    None. ``fields``: the only field indexes the groups' tables convert (all if None)."""
    if not isinstance(data, (bytes, mmap.mmap)) or data.find(b"\r") >= 0 or \
            not (is_ascii(data) or clean_utf8(data)):
        return None
    kw = dict(delimiter=",", quote_char='"', escape_char=False, double_quote=True, file=file)
    if not _positional._many_refused(data, None, None, expected, 0, None, kw):
        return None  # one parse of the whole file is what the careful reader does: cheap
    starts = _line_starts(data)
    cands = nonblank_lines(data, starts)
    if not len(cands):
        return None
    whole = _whole(data, starts)
    # plain lines of the usual count by one RE2 pass; a plain line of the other count is
    # counted and matched below with the other lines, which reads it the same way
    plain = pc.match_substring_regex(whole, _plain_pattern(expected)).to_numpy(
        zero_copy_only=False)[cands - 1]
    # a line's outcome: the plain lines of the usual count are rows of it; the others are
    # classified on their own copy (a line's count depends on its own bytes alone)
    counts = np.full(len(cands), expected, np.int64)
    other = np.flatnonzero(~plain)
    texts = whole.take(pa.array(cands[other] - 1))
    wanted = sorted(set(ACCEPT) | {expected})
    if len(other):
        got = _classify(texts, wanted)
        if got is None:
            return None  # a line left a quote open: the careful reader places it
        counts[other] = got
    where = np.full(len(cands), -1, np.int64)  # a line's place among the other lines
    where[other] = np.arange(len(other))
    groups: list[Group] = []
    for count in wanted:
        rows = cands[counts == count]
        if not len(rows):
            continue
        table = _table(whole, rows, count, fields)
        if table is None:
            return None
        if table.num_rows:
            groups.append(Group(count, table, rows))
    bad_at = [np.flatnonzero(counts == WRONG), np.flatnonzero(counts == OTHER)]
    bad_why: list[tuple[np.ndarray, str | None]] = [
        (cands[bad_at[0]], "wrong number of fields"),
        (cands[bad_at[1]], None)]  # "<n> fields; …": n found for the kept lines
    bad_idx = np.sort(np.concatenate(bad_at))
    kept = sorted(((int(n), why) for lines, why in bad_why
                   for n in lines[:MAX_BAD_KEPT].tolist()), key=lambda b: b[0])[:MAX_BAD_KEPT]
    bad = [BadLine(n, why, "") for n, why in _reasons(kept, cands, where, texts, reason)]
    # the bad lines' text, for the repair (every bad line is one of the other lines)
    bad_texts = texts if len(bad_idx) == len(other) else texts.take(pa.array(where[bad_idx]))
    return LinePositional(groups, bad[:MAX_BAD_KEPT], len(bad_idx), data=data,
                          bad_numbers=cands[bad_idx].astype(np.int64), starts=starts,
                          bad_texts=bad_texts)


#: ``_classify``'s outcomes besides a row's count: a line of a wanted count that pyarrow does
#: not read as that many fields, and a line of another count.
WRONG, OTHER = -2, -1


def _classify(texts: pa.Array, wanted: Sequence[int]) -> np.ndarray | None:
    """Each line's outcome as the careful reader has it: the count ``c`` of a row (its
    ``field_counts`` is ``c`` and pyarrow reads ``c`` fields), ``WRONG`` (its count is wanted,
    pyarrow reads another number of fields), ``OTHER`` (another count); None if a line of a
    wanted count leaves a quote open. RE2 passes: which lines have a wanted count, which of
    those end outside quotes and which pyarrow reads as one of the wanted counts; only these
    last (rows, mostly none) are counted exactly."""
    out = np.full(len(texts), OTHER, np.int64)
    hit = np.flatnonzero(_matches(texts, _counted(wanted)))
    if not len(hit):
        return out
    some = texts if len(hit) == len(texts) else texts.take(pa.array(hit))
    if not _matches(some, _CLOSED).all():
        return None  # a line of a wanted count left a quote open: the careful reader
    out[hit] = WRONG
    read = np.flatnonzero(_matches(some, _read_as(wanted)))
    if len(read):
        few = some.take(pa.array(read))
        counted = _counts_in(few, wanted)
        row = np.zeros(len(read), bool)
        for count in wanted:
            row |= (counted == count) & _matches(few, _exactly(count))
        out[hit[read[row]]] = counted[row]
    return out


def _matches(texts: pa.Array, pattern: str) -> np.ndarray:
    hit: np.ndarray = pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
    return hit


def _read_as(counts: Sequence[int]) -> str:
    """A line pyarrow reads as one of ``counts`` fields (ending outside quotes)."""
    alts = "|".join(f"(?:,{_FIELD}){{{c - 1}}}" for c in sorted(counts))
    return f"^{_FIELD}(?:{alts})$"


#: One stretch between counted commas as ``field_counts`` reads a line (a separator counts where the
#: quotes before it on the line are balanced): text without a quote or a comma, and quoted
#: runs (anything up to the next quote, commas included) with such text after each.
_SEGMENT = r'[^",]*(?:"[^"]*"[^",]*)*'


def _counted(counts: Sequence[int]) -> str:
    """A line of which ``field_counts`` counts one of ``counts`` fields (a quote left open at
    its end hides the commas after it)."""
    alts = "|".join(f"(?:,{_SEGMENT}){{{c - 1}}}" for c in sorted(counts))
    return f'^{_SEGMENT}(?:{alts})(?:"[^"]*)?$'


def _counts_in(texts: pa.Array, wanted: Sequence[int]) -> np.ndarray:
    """Each line's ``field_counts`` where it is one of ``wanted``, else -1: RE2 passes (~2x
    less CPU than counting every field of every line), the second and later only over the
    lines still undecided."""
    out = np.full(len(texts), -1, np.int64)
    left = np.flatnonzero(pc.match_substring_regex(texts, _counted(wanted)).to_numpy(
        zero_copy_only=False))
    for count in wanted[:-1]:
        if not len(left):
            break
        hit = pc.match_substring_regex(texts.take(pa.array(left)), _counted([count])) \
            .to_numpy(zero_copy_only=False)
        out[left[hit]] = count
        left = left[~hit]
    out[left] = wanted[-1]
    return out


def _reasons(kept: list[tuple[int, str | None]], cands: np.ndarray, where: np.ndarray,
             texts: pa.Array, reason: str) -> list[tuple[int, str]]:
    """The kept bad lines' reasons, the field counts of lines of another count (``None``)
    found now, on their text alone."""
    unknown = [n for n, why in kept if why is None]
    if not unknown:
        return [(n, str(why)) for n, why in kept]
    some = texts.take(pa.array(where[np.searchsorted(cands, unknown)]))
    at = _offsets(some)
    found = dict(zip(unknown, field_counts(_joined(some), ",", '"', None,
                                           at[:-1] - at[0]).tolist()))
    return [(n, why if why is not None else f"{found[n]} fields; {reason}") for n, why in kept]


def _plain_pattern(count: int) -> str:
    """A *plain* line of ``count`` values (``"v0","v1",…`` with no quote inside a value: the
    first byte and the last are quotes and the quotes between pair up as ``","``), with its
    line end."""
    return f'^"[^"]*(?:","[^"]*){{{count - 1}}}"\n?$'


def _offsets(lines: pa.Array) -> np.ndarray:
    """Where each of string ``lines`` starts in their data buffer, and where the last ends."""
    wide = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    at = np.frombuffer(lines.buffers()[1], wide)[lines.offset:lines.offset + len(lines) + 1]
    return at.astype(np.int64)


def _joined(lines: pa.Array) -> pa.Buffer:
    """The bytes of string ``lines`` end to end (their data buffer, no copy)."""
    at = _offsets(lines)
    return lines.buffers()[2].slice(int(at[0]), int(at[-1] - at[0]))


def _line_starts(data: bytes) -> np.ndarray:
    """``line_starts(data)``, a block at a time (no file-sized mask)."""
    buf = np.frombuffer(data, np.uint8)
    parts = [np.zeros(1, np.int64)]
    for i in range(0, len(buf), BLOCK):
        parts.append(np.flatnonzero(buf[i:i + BLOCK] == 10) + (i + 1))
    starts = np.concatenate(parts)
    return starts[:-1] if len(starts) and starts[-1] >= len(data) else starts


#: Bytes scanned together for line ends: temporaries stay in the CPU cache.
BLOCK = 1 << 22


def _whole(data: bytes, starts: np.ndarray) -> pa.Array:
    """Every line of ``data`` with its line end as one string each, over ``data``'s own
    bytes (no copy): ``_FIELD`` reads a line end after a line's last field as part of that
    field (after a closing quote, as plain text), so a line and the line with its line end
    match the same patterns."""
    big = len(data) >= 2**31 - 1
    offsets = np.append(starts, len(data)).astype(np.int64 if big else np.int32)
    return pa.Array.from_buffers(pa.large_string() if big else pa.string(), len(starts),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _table(whole: pa.Array, lines: np.ndarray, count: int,
           fields: Sequence[int] | None = None) -> pa.Table | None:
    """The given lines (each read by pyarrow as ``count`` fields, ending outside quotes)
    parsed as one block: None if pyarrow does not return one row a line. Only ``fields``
    are converted (pyarrow still splits every field of every row, so counts are checked).
    ``whole``: ``_whole``'s lines, from which the wanted ones are copied once, end to end."""
    cols = names(count)
    keep = cols if fields is None else [cols[i] for i in sorted(set(fields)) if i < count]
    if not len(lines):
        return pa.table({c: pa.array([], pa.string()) for c in keep})
    try:
        table = pv.read_csv(
            pa.BufferReader(_joined(whole.take(pa.array(lines - 1)))),
            read_options=pv.ReadOptions(column_names=cols),
            parse_options=pv.ParseOptions(delimiter=",", quote_char='"', double_quote=True),
            convert_options=pv.ConvertOptions(column_types={c: pa.string() for c in cols},
                                              include_columns=keep,
                                              strings_can_be_null=False,
                                              quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return table if table.num_rows == len(lines) else None
