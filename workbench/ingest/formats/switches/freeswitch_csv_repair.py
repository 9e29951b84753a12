"""The re-split of mod_cdr_csv's damaged lines (``freeswitch._repair``) in its common case,
on the lines' text the line reader has already copied out, with fewer passes.

``_repair`` in general: each line's sql wrapping taken off (``INSERT INTO … VALUES (`` and
``);``), whitespace trimmed, and a line that is then ``"…"`` split on ``","`` (or on
``",\\s?"`` when some line has ``",\\s"``) inside its outer quotes; it is a row when it has
the template's count of parts. Here, when one RE2 search over all the lines' bytes finds no
``(``, no ``);`` and no ``",<blank>"`` (no wrapping, the plain split), and every line ends in
``\\n``, a line is ``"…"`` after trimming exactly when it starts with ``"`` and ends with
``"\\n`` (no whitespace to trim around those quotes); only the lines that do not, and whose
first byte or last byte before the line end might be a blank (is not printable ASCII), are
trimmed, and if one of them turns out quoted the general code runs instead (None).
Trimming, slicing and splitting then run on the quoted lines alone, and only the wanted
fields are taken out.
``tests/test_freeswitch_csv_fast.py`` compares it with the general code,
``tests/test_freeswitch_csv_classify.py`` with the code before the trim test was narrowed.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Bytes looked at together: temporaries stay in the CPU cache.
BLOCK = 1 << 22
_PAREN, _CLOSE, _SEMI, _QUOTE, _COMMA = 40, 41, 59, 34, 44
#: blanks after a separator's comma: RE2's ``\s`` but the line end, which ends each line
_BLANKS = (32, 9, 12, 13)


def resplit(lines: pa.Array, count: int, fields: Sequence[int] | None
            ) -> tuple[dict[str, pa.Array], np.ndarray] | None:
    """(columns ``f{i}`` of the lines that are rows, for ``fields`` or all, and which lines
    are rows) as ``freeswitch._repair`` works them out, or None where its general code must
    run (see the module's docstring). ``lines``: string lines each ending in ``\\n``."""
    n = len(lines)
    if not n or not _all_end_in_newline(lines):
        return None
    if _not_simple(np.frombuffer(_joined(lines), np.uint8)):
        return None
    quoted = pc.and_(pc.and_(pc.starts_with(lines, '"'), pc.ends_with(lines, '"\n')),
                     pc.greater_equal(pc.binary_length(lines), 3))
    q = quoted.to_numpy(zero_copy_only=False)
    maybe = np.flatnonzero(~q & _may_trim_to_quoted(lines)) if not q.all() else \
        np.zeros(0, np.int64)
    if len(maybe):
        t = pc.utf8_trim_whitespace(lines.take(pa.array(maybe)))
        if pc.any(pc.and_(pc.and_(pc.starts_with(t, '"'), pc.ends_with(t, '"')),
                          pc.greater_equal(pc.utf8_length(t), 2))).as_py():
            return None  # quoted once blanks around it are trimmed: the general code
    picked = lines if q.all() else lines.filter(quoted)
    parts = pc.split_pattern(pc.utf8_slice_codeunits(picked, 1, -2), '","')
    fits = pc.equal(pc.list_value_length(parts), count).to_numpy(zero_copy_only=False)
    fit = np.zeros(n, bool)
    fit[np.flatnonzero(q)[fits]] = True
    fixed = parts if fits.all() else parts.filter(pa.array(fits))
    wanted = range(count) if fields is None else sorted(i for i in set(fields) if i < count)
    return {f"f{i}": pc.list_element(fixed, i) for i in wanted}, fit


def _may_trim_to_quoted(lines: pa.Array) -> np.ndarray:
    """The lines that might be ``"…"`` once trimmed: all but those whose first byte is
    printable ASCII other than a quote (it stays first), or that start with a quote and whose
    last byte before the line end is printable ASCII other than a quote (it stays last).
    Blanks are never printable ASCII, in Unicode or not, and every line ends in ``\\n``."""
    big = pa.types.is_large_string(lines.type)
    at = np.frombuffer(lines.buffers()[1], np.int64 if big else np.int32)[
        lines.offset:lines.offset + len(lines) + 1].astype(np.int64)
    buf = np.frombuffer(lines.buffers()[2], np.uint8)
    lo, hi = at[:-1], at[1:]
    first = buf[np.minimum(lo, hi - 1)]  # (each line has its line end at least)
    last = buf[np.maximum(hi - 2, lo)]
    keeps_first = (first >= 0x21) & (first <= 0x7E) & (first != _QUOTE)
    keeps_last = (hi - lo >= 2) & (last >= 0x21) & (last <= 0x7E) & (last != _QUOTE)
    may: np.ndarray = ~(keeps_first | ((first == _QUOTE) & keeps_last))
    return may


def _all_end_in_newline(lines: pa.Array) -> bool:
    """Only the file's last line can lack a line end, so checking the last one is enough."""
    last = lines[len(lines) - 1].as_py()
    return bool(last) and last.endswith("\n")


def _not_simple(buf: np.ndarray) -> bool:
    """Whether the bytes hold ``(``, ``);`` or ``",<blank>"`` (sql wrapping, the ``\\s`` split):
    a block at a time into one reused mask (a fresh one per block costs page faults), the
    positions of a byte taken only where it occurs."""
    n = len(buf)
    mask = np.empty(min(n, BLOCK), bool)
    for lo in range(0, n, BLOCK):
        blk = buf[lo:lo + BLOCK]
        m = mask[:len(blk)]
        if np.equal(blk, _PAREN, out=m).any():
            return True
        if np.equal(blk, _CLOSE, out=m).any():
            at = np.flatnonzero(m) + lo
            if (buf[at[at + 1 < n] + 1] == _SEMI).any():
                return True
        for b in _BLANKS:  # a blank between a separator's comma and its second quote
            if not np.equal(blk, b, out=m).any():
                continue
            at = np.flatnonzero(m) + lo
            at = at[(at >= 2) & (at + 1 < n)]
            if ((buf[at - 1] == _COMMA) & (buf[at - 2] == _QUOTE) & (buf[at + 1] == _QUOTE)
                    ).any():
                return True
    return False


def _joined(lines: pa.Array) -> pa.Buffer:
    """The bytes of string ``lines`` end to end (their data buffer, no copy)."""
    big = pa.types.is_large_string(lines.type)
    at = np.frombuffer(lines.buffers()[1], np.int64 if big else np.int32)[
        lines.offset:lines.offset + len(lines) + 1]
    return lines.buffers()[2].slice(int(at[0]), int(at[-1] - at[0]))
