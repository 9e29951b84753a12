"""Compiled byte loops for the mod_cdr_csv reader (``freeswitch_scan``): one pass over the
file's bytes that classifies every line as the line reader and the repair do, and writes the
wanted fields of every row straight into Arrow string buffers, in file order.

Imported lazily (numba costs ~0.2 s to import): only ``freeswitch_scan.read_rows`` loads it.
Every index computed from the data is checked against the array's length before use; the
output arrays are never grown inside the loop (a full one returns, the caller grows it and
calls again from the line it stopped at).
"""
from __future__ import annotations

import numba
import numpy as np

QUOTE, COMMA, NL, PAREN, CLOSE, SEMI = 34, 44, 10, 40, 41, 59
#: a line's outcomes besides a row (as ``freeswitch_lines``: WRONG, OTHER)
WRONG, OTHER = -2, -1
#: ``scan``'s status: done; the exact code must run instead (a line of a wanted count left
#: inside quotes, a bad line the repair's common case does not take, the last bad line
#: without a line end); or an output array is full (grow it, call again)
OK, OPEN_QUOTE, NOT_SIMPLE, NO_LINE_END, MORE_BYTES, MORE_ROWS, MORE_TRIMS = range(7)
#: spans kept per line: a row never has more fields (the wanted counts are smaller)
MAXF = 32
#: ``kept`` columns: line, ordinal among all bad lines (1-based), outcome, field count,
#: first byte, line-end byte
KEPT_COLS = 6
#: ``stats``: bad lines, bad lines left after the repair, lines repaired, lines to trim-check
BAD, LEFT, REPAIRED, TRIMS = range(4)


@numba.njit(cache=True, nogil=True)
def _emit_arrow(buf: np.ndarray, s: int, e: int, slot: np.ndarray, out: np.ndarray,
                used: np.ndarray) -> None:
    """A closed line's fields as pyarrow reads them (quote ``"``, doubled quotes, no escape;
    a quote opens a quoted section only as a field's first byte), those with a column slot
    appended to it."""
    f = 0
    c = slot[0]
    st = 0  # 0: a field's start, 1: unquoted text, 2: quoted
    i = s
    while i < e:
        b = buf[i]
        if st == 2:
            if b == QUOTE:
                if i + 1 < e and buf[i + 1] == QUOTE:
                    if c >= 0:
                        out[c, used[c]] = QUOTE
                        used[c] += 1
                    i += 2
                    continue
                st = 1
                i += 1
                continue
            if c >= 0:
                out[c, used[c]] = b
                used[c] += 1
            i += 1
            continue
        if st == 0 and b == QUOTE:
            st = 2
        elif b == COMMA:
            f += 1
            c = slot[f] if f < len(slot) else -1
            st = 0
        else:
            st = 1
            if c >= 0:
                out[c, used[c]] = b
                used[c] += 1
        i += 1


@numba.njit(cache=True, nogil=True)
def _emit_spans(buf: np.ndarray, fs: np.ndarray, fe: np.ndarray, count: int,
                slot: np.ndarray, out: np.ndarray, used: np.ndarray) -> None:
    for f in range(min(count, len(slot))):
        c = slot[f]
        if c < 0:
            continue
        a = fs[f]
        u = used[c]
        for t in range(fe[f] - a):
            out[c, u + t] = buf[a + t]
        used[c] = u + fe[f] - a


@numba.njit(cache=True, nogil=True)
def _wanted(n: int, wanted: np.ndarray) -> bool:
    for w in wanted:
        if n == w:
            return True
    return False


@numba.njit(cache=True, nogil=True)
def scan(buf: np.ndarray, pos: int, lineno: int, nrows: int, expected: int,
         wanted: np.ndarray, slot: np.ndarray, out: np.ndarray, used: np.ndarray,
         offs: np.ndarray, lines: np.ndarray, kept: np.ndarray, stats: np.ndarray,
         fixed: np.ndarray, trims: np.ndarray) -> tuple[int, int, int, int, int]:
    """The lines of ``buf`` (a mod_cdr_csv file without CR) from byte ``pos`` (the start of
    line ``lineno + 1``) read as ``freeswitch_lines.read_lines`` and the repair's common case
    (``freeswitch_csv_repair.resplit``) read them; ``nrows`` rows written so far.

    A row's field ``f`` goes to column ``slot[f]`` (-1: not kept): its bytes appended to
    ``out[c]`` (``used[c]`` bytes used), its end to ``offs[c, row + 1]``, its line number to
    ``lines``. A bad line left after the repair counts in ``stats``; the first ``len(kept)``
    go to ``kept``, the first 10 lines repaired to ``fixed``, the bad lines whose trim must be
    checked (first byte, line-end byte) to ``trims``. Returns (status, pos, lineno, nrows,
    bytes needed per column): where an output array is full, ``pos``/``lineno`` are those of
    the line that did not fit, nothing of it written."""
    n = len(buf)
    ncols = out.shape[0]
    cap = out.shape[1]
    fs = np.empty(MAXF, np.int64)
    fe = np.empty(MAXF, np.int64)
    while pos < n:
        s = pos
        if buf[s] == NL:  # a blank line
            pos = s + 1
            lineno += 1
            continue
        # plain: "v0","v1",… with no quote inside a value
        k = 0
        plain = buf[s] == QUOTE
        i = s + 1
        e = -1
        if plain:
            start = i
            while True:
                while i < n and buf[i] != QUOTE and buf[i] != NL:
                    i += 1
                if i >= n or buf[i] == NL:
                    plain = False
                    break
                if k < MAXF:
                    fs[k] = start
                    fe[k] = i
                k += 1
                j = i + 1
                if j >= n or buf[j] == NL:
                    e = j
                    break
                if buf[j] == COMMA and j + 1 < n and buf[j + 1] == QUOTE:
                    i = j + 2
                    start = i
                    continue
                plain = False
                i = j
                break
        if e < 0:  # the line's end
            while i < n and buf[i] != NL:
                i += 1
            e = i
        length = e - s
        kind = 1  # 1: a row of spans fs/fe, 2: a row read as pyarrow reads it
        count = k
        fc = k
        repaired = False
        trim = False
        if not (plain and _wanted(k, wanted)):
            # one pass: field_counts' count (commas where the quotes before are balanced),
            # pyarrow's reading (fields, whether it ends inside quotes), the repair's tests
            # (``(``, ``);``, ``",<blank>"``) and its split on ``","`` inside outer quotes
            quoted = buf[s] == QUOTE and length >= 2 and buf[e - 1] == QUOTE
            par = 0
            fc = 1
            st = 0
            nf = 1
            literal = -1  # a quote pyarrow has read as the second of a doubled pair
            odd = False  # not the repair's common case
            parts = 0
            start = s + 1
            nxt = s + 1
            for i in range(s, e):
                b = buf[i]
                if b > COMMA:  # no byte the rules look at
                    if st == 0:
                        st = 1
                    continue
                if b == QUOTE:
                    par ^= 1
                    if i != literal:
                        if st == 0:
                            st = 2
                        elif st == 2:
                            if i + 1 < e and buf[i + 1] == QUOTE:
                                literal = i + 1
                            else:
                                st = 1
                    if quoted and i >= nxt and i + 2 <= e - 2 and buf[i + 1] == COMMA and \
                            buf[i + 2] == QUOTE:
                        if parts < MAXF:
                            fs[parts] = start
                            fe[parts] = i
                        parts += 1
                        nxt = i + 3
                        start = i + 3
                    continue
                if b == COMMA:
                    if par == 0:
                        fc += 1
                    if st != 2:
                        nf += 1
                        st = 0
                    continue
                if st == 0:
                    st = 1
                if b == PAREN:
                    odd = True
                elif b == CLOSE:
                    if i + 1 < e and buf[i + 1] == SEMI:
                        odd = True
                elif b == 32 or b == 9 or b == 12 or b == 13:
                    if i - 2 >= s and i + 1 < e and buf[i - 1] == COMMA and \
                            buf[i - 2] == QUOTE and buf[i + 1] == QUOTE:
                        odd = True
            if _wanted(fc, wanted):
                if st == 2:
                    return OPEN_QUOTE, pos, lineno, nrows, 0
                if nf == fc:
                    kind = 2
                    count = nf
                else:
                    kind = WRONG
            else:
                kind = OTHER
            if kind < 0:  # a bad line: the repair's common case
                if e >= n:
                    return NO_LINE_END, pos, lineno, nrows, 0
                if odd:
                    return NOT_SIMPLE, pos, lineno, nrows, 0
                if quoted:
                    if parts < MAXF:
                        fs[parts] = start
                        fe[parts] = e - 1
                    if parts + 1 == expected:
                        repaired = True
                        kind = 1
                        count = expected
                else:
                    first = buf[s]
                    last = buf[e - 1]
                    keeps_first = first >= 0x21 and first <= 0x7E and first != QUOTE
                    keeps_last = last >= 0x21 and last <= 0x7E and last != QUOTE
                    trim = not (keeps_first or (first == QUOTE and keeps_last))
        if kind < 0:
            t = stats[TRIMS]
            if trim and t >= len(trims):
                return MORE_TRIMS, pos, lineno, nrows, 0
            lineno += 1
            pos = e + 1
            stats[BAD] += 1
            if trim:
                trims[t, 0] = s
                trims[t, 1] = e
                stats[TRIMS] = t + 1
            left = stats[LEFT]
            if left < len(kept):
                kept[left, 0] = lineno
                kept[left, 1] = stats[BAD]
                kept[left, 2] = kind
                kept[left, 3] = fc
                kept[left, 4] = s
                kept[left, 5] = e
            stats[LEFT] = left + 1
            continue
        # a row: room for the line in every column, and for one more row
        for c in range(ncols):
            if used[c] + length > cap:
                return MORE_BYTES, pos, lineno, nrows, used[c] + length
        if nrows >= len(lines) or nrows + 1 >= offs.shape[1]:
            return MORE_ROWS, pos, lineno, nrows, 0
        lineno += 1
        pos = e + 1
        if repaired:
            stats[BAD] += 1
            r = stats[REPAIRED]
            if r < len(fixed):
                fixed[r] = lineno
            stats[REPAIRED] = r + 1
        if kind == 1:
            _emit_spans(buf, fs, fe, count, slot, out, used)
        else:
            _emit_arrow(buf, s, e, slot, out, used)
        lines[nrows] = lineno
        nrows += 1
        for c in range(ncols):
            offs[c, nrows] = used[c]
    return OK, pos, lineno, nrows, 0
