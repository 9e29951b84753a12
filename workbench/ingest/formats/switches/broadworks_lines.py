"""BroadWorks lines grouped by field count with a cheaper count than the general one.

A BroadWorks file that mixes layouts (short records among the ~450-field ones) sends
``read_positional`` to count the fields of every line with ``field_counts``, which lists the
position of every separator (a third of the file's bytes here) before counting them. Without
quotes a line's count is its commas minus the escaped ones, summed per line straight from a
comparison mask. Each count's lines are then read by ``read_positional(only=...)``, as the
general path reads them; if any group is not read whole (a line pyarrow refuses), the
general path reads the whole file instead, so its words for damaged lines stay the same;
so it does for a file where a backslash escapes a backslash or a line end (there pyarrow's
count of a line and this one differ).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..base import BadLine
from ..delimited import MAX_COLUMNS, line_starts, nonblank_lines
from .common import MAX_BAD_KEPT
from .positional import MAX_REFUSED, Group, Positional, read_positional, refused_as_bad

BLOCK = 1 << 22


def comma_counts(data, starts: np.ndarray, lines: int | None = None) -> np.ndarray:
    """Fields on every line (the first ``lines`` lines): 1 + commas not preceded by a
    backslash (``field_counts`` with ``,``, no quote and ``\\`` as escape), summed per line in
    blocks of about ``BLOCK`` bytes."""
    buf = np.frombuffer(data, np.uint8)
    n = len(starts) if lines is None else min(lines, len(starts))
    out = np.empty(n, np.int64)
    i0 = 0
    while i0 < n:
        i1 = min(max(int(np.searchsorted(starts, starts[i0] + BLOCK)), i0 + 1), n)
        lo = int(starts[i0])
        hi = int(starts[i1]) if i1 < len(starts) else len(buf)
        seg = buf[lo:hi]
        hits = seg == 44
        back = np.flatnonzero(seg[:-1] == 92)  # escapes are rare: only their next byte looked at
        if len(back):
            hits[back[hits[back + 1]] + 1] = False
        if lo > 0 and buf[lo - 1] == 92 and len(hits):
            hits[0] = False  # a block never starts inside a line, but say it anyway
        out[i0:i1] = np.add.reduceat(hits, starts[i0:i1] - lo, dtype=np.int64)
        i0 = i1
    return out + 1


def read_grouped(data, *, expected: int, accept: Callable[[int], bool], skip_lines: int,
                 ignore: set[int], reason: str, read: Callable[..., Positional],
                 **kw) -> Positional:
    """``read(data, ...)`` (``read_positional`` with the caller's arguments) as its mixed-layout
    path would read it, with the cheaper count; ``read`` itself when the file's head fits
    ``expected``, when few lines do not fit, or when a group is not read whole."""
    if not _plain_escapes(data):
        return read(data)
    starts = line_starts(data)
    cands = nonblank_lines(data, starts)
    cands = cands[cands > skip_lines]
    if ignore:
        cands = cands[~np.isin(cands, list(ignore))]
    head = cands[:200]
    if not len(head) or not np.any(comma_counts(data, starts, int(head[-1]))[head - 1]
                                   != expected):
        return read(data)
    counts = comma_counts(data, starts)[cands - 1]
    if np.count_nonzero(counts != expected) <= MAX_REFUSED:
        return read(data)
    groups: list[Group] = []
    bad: list[BadLine] = []
    bad_count = 0
    recovered = []
    for count in np.unique(counts).tolist():
        these = cands[counts == count]
        if (accept(count) or count == expected) and count <= MAX_COLUMNS:
            got = read_positional(data, expected=count, accept=accept, only=these,
                                  starts=starts, reason=reason, **kw)
            if len(got.groups) != 1 or got.bad_count or len(got.groups[0].lines) != len(these):
                return read(data)
            groups.append(got.groups[0])
            recovered.append(these)
            continue
        bad_count += len(these)
        bad += refused_as_bad(data, these, starts, count, expected, reason)
    bad.sort(key=lambda b: b.line)
    taken = np.concatenate(recovered) if recovered else np.zeros(0, np.int64)
    mark = np.zeros(len(starts) + 1, bool)
    mark[taken] = True
    return Positional(groups, bad[:MAX_BAD_KEPT], bad_count, data=data,
                      bad_numbers=cands[~mark[cands]].astype(np.int64), starts=starts)


def _plain_escapes(data) -> bool:
    """True when every backslash escapes an ordinary character: then pyarrow finds on each
    line the fields ``comma_counts`` finds, and refuses exactly the lines of another count
    (an escaped backslash before a comma, or an escaped line end, would make them differ)."""
    return data[len(data) - 1:] != b"\\" and all(
        data.find(s) < 0 for s in (b"\\\\", b"\\\n", b"\\\r"))
