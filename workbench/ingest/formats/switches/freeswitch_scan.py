"""mod_cdr_csv files with many damaged lines read in one compiled pass (``freeswitch_kernels``).

Where the line reader (``freeswitch_lines.read_lines``) runs, it takes ~10 Arrow and RE2 passes
(the plain lines' pattern, the other lines' counts and quote rules, a parse per field count,
the repair's split, the merge back into file order), each near what pyarrow does alone. Here
one byte loop classifies each line by the same rules (a plain line of a wanted count; else its
``field_counts`` and, for 13 or 15, pyarrow's reading of it; a bad line's re-split on the
template's ``","`` where the repair's common case applies) and writes the wanted fields of each
row, repaired or not, straight into Arrow string buffers in file order.

Where the line reader or the repair's common case would hand over to other code (a line of a
wanted count left inside quotes, a bad line with ``(``, ``);`` or ``",<blank>"``, the last bad
line without a line end, a bad line that is quoted once trimmed), this returns None and the
exact code runs. ``tests/test_freeswitch_scan.py`` compares both.
"""
from __future__ import annotations

import mmap
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..base import BadLine
from ..delimited import MAX_BAD_KEPT, is_ascii
from . import positional as _positional
from .freeswitch_lines import ACCEPT
from .positional import clean_utf8


@dataclass
class Scanned:
    """The rows (``columns[i]``: field ``i``'s values, blanks kept), their line numbers, the
    first bad lines left after the repair, how many, and the repaired lines (the first 10)."""

    columns: dict[int, pa.Array]
    lines: np.ndarray
    bad: list[BadLine]
    bad_count: int
    repaired: int
    first_repaired: list[int]


def read_rows(data: bytes, expected: int, file: str, reason: str, fields: Sequence[int]
              ) -> Scanned | None:
    """``freeswitch_lines.read_lines`` and the repair of its bad lines in one pass, for the
    field indexes ``fields``; None where the exact code must run (see the module's
    docstring). ``reason``: the bad lines' "<n> fields; …" reason."""
    if not isinstance(data, (bytes, mmap.mmap)) or not len(data) or \
            len(data) >= 2**31 - 1 or data.find(b"\r") >= 0 or \
            not (is_ascii(data) or clean_utf8(data)):
        return None
    kw = dict(delimiter=",", quote_char='"', escape_char=False, double_quote=True, file=file)
    if not _positional._many_refused(data, None, None, expected, 0, None, kw):
        return None  # the careful reader's single parse
    from . import freeswitch_kernels as fk  # numba: imported where used alone

    wanted = np.array(sorted(set(ACCEPT) | {expected}), np.int64)
    fields = sorted(set(fields))
    if not fields or fields[-1] >= int(wanted.min()):
        return None  # a field some rows lack: the general merge fills it with nulls
    slot = np.full(fk.MAXF, -1, np.int64)
    slot[fields] = np.arange(len(fields))
    got = _scan(fk, np.frombuffer(data, np.uint8), int(expected), wanted, slot, len(fields))
    if got is None:
        return None
    out, used, offs, lines, nrows, kept, stats, fixed, trims = got
    if stats[fk.TRIMS] and _quoted_once_trimmed(data, trims[:stats[fk.TRIMS]]):
        return None
    columns = {f: pa.Array.from_buffers(pa.string(), nrows, [
        None, pa.py_buffer(offs[j, :nrows + 1]), pa.py_buffer(out[j, :used[j]])])
        for j, f in enumerate(fields)}
    bad = []
    left = int(stats[fk.LEFT])
    for line, ordinal, kind, count, lo, hi in kept[:min(left, MAX_BAD_KEPT)].tolist():
        why = ("wrong number of fields" if kind == fk.WRONG else f"{count} fields; {reason}") \
            if ordinal <= MAX_BAD_KEPT else "refused by the parser"
        bad.append(BadLine(line, why, bytes(data[lo:hi]).decode("utf-8")))
    repaired = int(stats[fk.REPAIRED])
    return Scanned(columns, lines[:nrows], bad, left, repaired,
                   fixed[:min(repaired, 10)].tolist())


def _scan(fk: ModuleType, buf: np.ndarray, expected: int, wanted: np.ndarray,
          slot: np.ndarray, ncols: int) -> tuple[Any, ...] | None:
    """The kernel's pass over the whole file, its output arrays grown where full: (column
    bytes, bytes used, offsets, line numbers, rows, kept bad lines, stats, first repaired
    lines, trim-checks), or None where the exact code must run."""
    size, rows, checks = _first_sizes(buf)
    out = np.empty((ncols, size), np.uint8)
    used = np.zeros(ncols, np.int64)
    offs = np.zeros((ncols, rows + 1), np.int32)  # len(buf) < 2**31
    lines = np.empty(rows, np.int64)
    kept = np.zeros((MAX_BAD_KEPT, fk.KEPT_COLS), np.int64)
    stats = np.zeros(4, np.int64)
    fixed = np.zeros(10, np.int64)
    trims = np.empty((checks, 2), np.int64)
    pos = lineno = nrows = 0
    while True:
        status, pos, lineno, nrows, need = fk.scan(buf, pos, lineno, nrows, expected, wanted,
                                                   slot, out, used, offs, lines, kept, stats,
                                                   fixed, trims)
        if status == fk.OK:
            return out, used, offs, lines, nrows, kept, stats, fixed, trims
        if status == fk.MORE_BYTES:
            out = _grown(out, max(2 * out.shape[1], need), used)
        elif status == fk.MORE_ROWS:
            offs = _grown(offs, 2 * offs.shape[1], np.full(ncols, nrows + 1))
            lines = np.concatenate([lines[:nrows], np.empty(len(lines), np.int64)])
        elif status == fk.MORE_TRIMS:
            trims = np.concatenate([trims, np.empty_like(trims)])
        else:
            return None


def _grown(a: np.ndarray, size: int, used: np.ndarray) -> np.ndarray:
    """``a`` (one row a column) with ``size`` places a row, the first ``used[c]`` of row
    ``c`` kept."""
    new = np.empty((a.shape[0], size), a.dtype)
    for c, u in enumerate(used.tolist()):
        new[c, :u] = a[c, :u]
    return new


def _first_sizes(buf: np.ndarray) -> tuple[int, int, int]:
    """The output arrays' first sizes (grown where short): bytes a column (a fifth of the
    file: a CDR's longest wanted field, a UUID, is ~15% of its line), rows (a little more
    than the file's lines, told from its head) and trim-checks."""
    head = buf[:1 << 16]
    ends = int(np.count_nonzero(head == 10))
    rows = ends + 1024 if not ends or len(head) == len(buf) else \
        int(len(buf) * ends / len(head) * 1.1) + 1024
    return len(buf) // 5 + 65536, rows, 64


def _quoted_once_trimmed(data: bytes, spans: np.ndarray) -> bool:
    """Whether a bad line that is not ``"…"`` as it stands is once whitespace is trimmed
    (the repair's general code then runs). ``spans``: (first byte, line-end byte)."""
    texts = pa.array([bytes(data[lo:hi + 1]) for lo, hi in spans.tolist()], pa.binary()) \
        .cast(pa.string())
    t = pc.utf8_trim_whitespace(texts)
    return bool(pc.any(pc.and_(pc.and_(pc.starts_with(t, '"'), pc.ends_with(t, '"')),
                               pc.greater_equal(pc.utf8_length(t), 2))).as_py())
