"""Kamailio acc syslog: byte loops over the mapped file (numba), imported only when a log is
read (numba's import costs 0.2 s: detection and the warm trace path never pay it).

``scan`` walks the bytes once and tells per physical line what the committed reader learned
in many passes (pyarrow's parse by field count, ``first_field``, each layout's key checks):
where the line starts and ends, its field count, its ``;`` positions, the ``ACC: <kind>:
<key0>=`` marks of its first field, and whether it follows the key order of the first ACC
line of its field count (that layout's probe). ``gather`` copies value spans out as the
bytes of one Arrow string array.

No index computed from the data is used unchecked: numba does not bounds-check.
"""
from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

Arr = np.ndarray

#: ``scan``'s per-line flags
ACC, FITS = 1, 2
#: ``scan``'s status bits: a byte >= 0x80 seen (the caller checks the whole file is UTF-8);
#: a line of only spaces and tabs; a line of more fields than ``max_cols``
HIGH, BLANKISH, WIDE = 1, 2, 4

_NL, _SEMI, _LT, _GT, _CR = 10, 59, 60, 62, 13


@nb.njit(cache=True, nogil=True)
def _grow64(a: np.ndarray, used: int) -> np.ndarray:
    out = np.empty(max(16, 2 * len(a)), np.int64)
    out[:used] = a[:used]
    return out


@nb.njit(cache=True, nogil=True)
def _grow8(a: np.ndarray, used: int) -> np.ndarray:
    out = np.empty(max(16, 2 * len(a)), np.uint8)
    out[:used] = a[:used]
    return out


@nb.njit(cache=True, nogil=True)
def _same(buf: np.ndarray, a: int, b: int, size: int) -> bool:
    """``buf[a:a+size] == buf[b:b+size]`` (both ranges inside ``buf``: the caller checks)."""
    for t in range(size):
        if buf[a + t] != buf[b + t]:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _name_len(buf: np.ndarray, s: int, e: int) -> int:
    """Length of the ``[A-Za-z_][A-Za-z0-9_]*`` name that starts ``buf[s:e]`` when an ``=``
    follows it inside the range (``PAIR`` matches), else -1."""
    j = s
    while j < e:
        b = buf[j]
        if (65 <= b <= 90) or (97 <= b <= 122) or b == 95 or (j > s and 48 <= b <= 57):
            j += 1
        else:
            break
    if j == s or j >= e or buf[j] != 61:
        return -1
    return j - s


_ONES = np.uint64(0x0101010101010101)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH = np.uint64(0x8080808080808080)
_BYTE_AT = np.uint64(0x0001020304050607)  # (1 << 8k) * this >> 56 == k


@nb.njit(cache=True, nogil=True)
def _zeros(t: np.uint64) -> np.uint64:
    """0x80 in exactly the bytes of ``t`` that are 0."""
    return ~(((t & _LOW7) + _LOW7) | t | _LOW7)


@nb.njit(cache=True, nogil=True)
def scan(buf: Arr, words: Arr, tail: np.uint64, max_cols: int) -> tuple[Any, ...]:
    """Every physical line of ``buf`` (LF ends; a CR before the LF is not content).

    ``words``: ``buf[:len(buf) // 8 * 8]`` as uint64, ``tail``: the last bytes padded with
    ``x`` (no mark). ``;``, line feeds, ``<`` and ``>`` are found a word at a time (each
    word's marks as one bit mask), and so is any high byte.

    Returns ``(starts, ends, nf, soff, semis, kp, kq, kk, flags, koff, klens, status)``:
    ``starts``/``ends`` of each line's content, ``nf`` its field count (0: blank),
    ``semis[soff[i]:soff[i + 1]]`` its ``;`` positions; for an ACC line (flag ``ACC``)
    ``kp`` the start of its kind (after the last ``ACC: `` of the first field), ``kq`` the
    first ``: `` after it and ``kk`` the first ``=`` after that (-1 elsewhere). ``FITS``: an
    ACC line whose first name and every ``name=`` prefix are those of its field count's
    probe (its first ACC line) and whose fields after the first hold no more ``<`` than
    ``>``. ``klens[koff[c]:]``: the name lengths of fields 1… of count ``c``'s probe (-1: not
    ``name=``)."""
    n = buf.shape[0]
    cap = n // 256 + 16
    starts = np.empty(cap, np.int64)
    ends = np.empty(cap, np.int64)
    nf = np.empty(cap, np.int64)
    soff = np.empty(cap + 1, np.int64)
    kp = np.empty(cap, np.int64)
    kq = np.empty(cap, np.int64)
    kk = np.empty(cap, np.int64)
    flags = np.empty(cap, np.uint8)
    semis = np.empty(n // 32 + 16, np.int64)
    probe = np.full(max_cols + 2, -1, np.int64)
    koff = np.full(max_cols + 2, -1, np.int64)
    klens = np.empty(max_cols + 256, np.int64)
    st = np.zeros(_STATE, np.int64)
    mask = np.zeros(1, np.uint64)
    soff[0] = 0
    while _part(buf, words, tail, max_cols, st, mask, starts, ends, nf, soff, kp, kq, kk,
                flags, semis, probe, koff, klens):
        ln, ns, nk = st[_LN], st[_NS], st[_NK]
        if ln + 2 >= len(starts):  # room for this line and the next line's soff
            starts = _grow64(starts, ln)
            ends = _grow64(ends, ln)
            nf = _grow64(nf, ln)
            soff = _grow64(soff, ln + 1)
            kp = _grow64(kp, ln)
            kq = _grow64(kq, ln)
            kk = _grow64(kk, ln)
            flags = _grow8(flags, ln)
        if ns >= len(semis):
            semis = _grow64(semis, ns)
        if nk + max_cols + 1 >= len(klens):
            klens = _grow64(klens, nk)
    ln, ns, nk = st[_LN], st[_NS], st[_NK]
    return (starts[:ln], ends[:ln], nf[:ln], soff[:ln + 1], semis[:ns], kp[:ln], kq[:ln],
            kk[:ln], flags[:ln], koff, klens[:nk], st[_STATUS])


# ``_part``'s state between calls
_W, _S, _LN, _NS, _NK, _LT_N, _GT_N, _BAD, _STATUS, _STATE = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9


@nb.njit(cache=True, nogil=True)
def _part(buf: Arr, words: Arr, tail: np.uint64, max_cols: int, st: Arr, mask: Arr,
          starts: Arr, ends: Arr, nf: Arr, soff: Arr, kp: Arr, kq: Arr, kk: Arr, flags: Arr,
          semis: Arr, probe: Arr, koff: Arr, klens: Arr) -> bool:
    """``scan``'s loop, from the state ``st``/``mask`` on, until the end (False) or until an
    array is full (True: the caller grows it and calls again). Its arrays are never
    reassigned, so the loop keeps them in registers."""
    n = buf.shape[0]
    nw = words.shape[0]
    w, s, ln, ns, nk = st[_W], st[_S], st[_LN], st[_NS], st[_NK]
    lt, gt, bad, status = st[_LT_N], st[_GT_N], st[_BAD] != 0, st[_STATUS]
    m = mask[0]
    cap = len(starts) - 1
    room = len(klens) - max_cols - 1
    psemi = _ONES * np.uint64(_SEMI)
    pnl = _ONES * np.uint64(_NL)
    plt = _ONES * np.uint64(_LT)
    pgt = _ONES * np.uint64(_GT)
    one = np.uint64(1)
    fresh = m == 0  # a word not begun yet
    while w <= nw:
        x = words[w] if w < nw else tail
        base = w * 8
        if fresh:
            if x & _HIGH:
                status |= HIGH
            m = _zeros(x ^ psemi) | _zeros(x ^ pnl)
            m |= _zeros(x ^ plt) | _zeros(x ^ pgt)
        fresh = True
        while m:
            low = m & (~m + one)
            pos = base + np.int64(((low >> np.uint64(7)) * _BYTE_AT) >> np.uint64(56))
            if pos >= n:
                m = np.uint64(0)
                break
            b = buf[pos]
            if b == _LT or b == _GT:
                if ns > soff[ln]:  # after the first field: counted field by field
                    if b == _LT:
                        lt += 1
                    else:
                        gt += 1
                m ^= low
                continue
            if b == _SEMI:
                if ns >= len(semis):
                    break
                semis[ns] = pos
                ns += 1
                if lt > gt:
                    bad = True
                lt = 0
                gt = 0
                m ^= low
                continue
            if ln + 1 >= cap or nk >= room:
                break
            if lt > gt:
                bad = True
            status, nk = _line(buf, s, pos, ln, ns, bad, starts, ends, nf, soff, kp, kq, kk,
                               flags, semis, probe, koff, klens, nk, max_cols, status)
            ln += 1
            soff[ln] = ns
            s = pos + 1
            lt = 0
            gt = 0
            bad = False
            m ^= low
        if m:  # an array is full: stop at this mark
            st[_W], st[_S], st[_LN], st[_NS], st[_NK] = w, s, ln, ns, nk
            st[_LT_N], st[_GT_N], st[_BAD], st[_STATUS] = lt, gt, 1 if bad else 0, status
            mask[0] = m
            return True
        w += 1
    if s < n:  # a last line without a line feed
        if ln + 1 >= cap or nk >= room:
            st[_W], st[_S], st[_LN], st[_NS], st[_NK] = nw + 1, s, ln, ns, nk
            st[_LT_N], st[_GT_N], st[_BAD], st[_STATUS] = lt, gt, 1 if bad else 0, status
            mask[0] = 0
            return True
        if lt > gt:
            bad = True
        status, nk = _line(buf, s, n, ln, ns, bad, starts, ends, nf, soff, kp, kq, kk,
                           flags, semis, probe, koff, klens, nk, max_cols, status)
        ln += 1
        soff[ln] = ns
        s = n
    st[_W], st[_S], st[_LN], st[_NS], st[_NK] = w, s, ln, ns, nk
    st[_STATUS] = status
    mask[0] = 0
    return False


@nb.njit(cache=True, nogil=True)
def _line(buf: Arr, s: int, e: int, ln: int, ns: int, ltbad: bool, starts: Arr, ends: Arr,
          nf: Arr, soff: Arr, kp: Arr, kq: Arr, kk: Arr, flags: Arr, semis: Arr, probe: Arr,
          koff: Arr, klens: Arr, nk: int, max_cols: int, status: int) -> tuple[int, int]:
    """Line ``ln``: bytes ``buf[s:e]`` (``e`` its line feed or the end), its ';' already in
    ``semis[soff[ln]:ns]``; ``ltbad``: a field after the first holds more ``<`` than ``>``.
    The caller keeps ``klens`` room for the line's fields. Returns (status, nk)."""
    ce = e
    if ce > s and buf[ce - 1] == _CR:
        ce -= 1
    o = soff[ln]
    c = ns - o + 1
    e0 = semis[o] if c > 1 else ce
    if e0 > ce:
        e0 = ce
    starts[ln] = s
    ends[ln] = ce
    kp[ln] = -1
    kq[ln] = -1
    kk[ln] = -1
    flags[ln] = 0
    if ce == s:
        c = 0  # blank (a CR alone is no content either)
    nf[ln] = c
    if c == 0:
        return status, nk
    if c > max_cols:
        return status | WIDE, nk
    if c == 1:
        blankish = True
        for t in range(s, ce):
            if buf[t] != 32 and buf[t] != 9:
                blankish = False
                break
        if blankish:
            status |= BLANKISH
    # the last "ACC: " of the first field (found from its end), the first ": " after it and
    # the first "=" after that
    p = -1
    t = e0 - 5
    while t >= s:
        if buf[t] == 65 and buf[t + 1] == 67 and buf[t + 2] == 67 and buf[t + 3] == 58 \
                and buf[t + 4] == 32:
            p = t
            break
        t -= 1
    if p < 0:
        return status, nk
    q = -1
    for t in range(p + 5, e0 - 1):
        if buf[t] == 58 and buf[t + 1] == 32:
            q = t
            break
    if q < 0:
        return status, nk
    k = -1
    for t in range(q + 2, e0):
        if buf[t] == 61:
            k = t
            break
    if k < 0:
        return status, nk
    flags[ln] = ACC
    kp[ln] = p + 5
    kq[ln] = q
    kk[ln] = k
    if probe[c] < 0:  # the first ACC line of this count: its names are the layout's
        probe[c] = ln
        koff[c] = nk
        for f in range(1, c):
            fs = semis[o + f - 1] + 1
            fe = semis[o + f] if f < c - 1 else ce
            klens[nk] = _name_len(buf, fs, fe)
            nk += 1
    if ltbad:
        return status, nk
    pr = probe[c]
    size = k - (q + 2)
    if size != kk[pr] - (kq[pr] + 2) or not _same(buf, q + 2, kq[pr] + 2, size):
        return status, nk
    po = soff[pr]
    base = koff[c] - 1
    for f in range(1, c):
        kl = klens[base + f]
        fs = semis[o + f - 1] + 1
        fe = semis[o + f] if f < c - 1 else ce
        if kl < 0 or fe - fs < kl + 1 or buf[fs + kl] != 61 \
                or not _same(buf, fs, semis[po + f - 1] + 1, kl):
            return status, nk
    flags[ln] = ACC | FITS
    return status, nk


#: ``columns`` codes besides a field index (the value after ``name=``; of field 0: after the
#: first ``=``): no value (null), the kind, the first name, a whole field (``WHOLE - f``)
NULL, KIND, NAME0, WHOLE = -1, -2, -3, -10


@nb.njit(cache=True, nogil=True)
def columns(buf: Arr, rows: Arr, starts: Arr, ends: Arr, nf: Arr, soff: Arr, semis: Arr,
            kp: Arr, kq: Arr, kk: Arr, codes: Arr, cuts: Arr, spans: Arr, odata: Arr,
            ooffs: Arr, ovalid: Arr, sel: Arr, offs: Arr) -> tuple[Arr, Arr, Arr]:
    """Several string columns in one walk over their lines: row ``r`` < ``len(rows)`` is
    line ``rows[r]``, whose column ``j`` is given by ``codes[j, count]`` (see ``NULL``),
    ``cuts[j]`` (the bytes of ``name=``) and ``spans[j]`` (a value reaching over that many
    fields after its own, ``;`` included: the segments glued to it); a later row is row
    ``r - len(rows)`` of column
    ``j`` of another table (``ooffs[:, j]`` its offsets into ``odata``, ``ovalid[:, j]`` its
    validity). Rows ``sel``, in that order.

    Fills ``offs`` (names × rows + 1, of a width that holds every column's bytes) and returns
    (validity (names × rows), bytes, each column's first byte): each value's span is found
    first, then the bytes are copied."""
    nr = rows.shape[0]
    no = ovalid.shape[0]
    nj = codes.shape[0]
    width = codes.shape[1]
    size = buf.shape[0]
    m = sel.shape[0]
    for j in range(nj):
        offs[j, 0] = 0
    at = np.full((nj, m), -1, np.int64)  # where each value starts (-1: null)
    for t in range(m):
        r = sel[t]
        if 0 <= r < nr:
            ln = rows[r]
            c = nf[ln]
            o = soff[ln]
            acc = kk[ln] >= 0
            for j in range(nj):
                code = codes[j, c] if 0 <= c < width else NULL
                a = -1
                b = -1
                if code <= WHOLE:
                    f = WHOLE - code
                    if f < c:
                        a = starts[ln] if f == 0 else semis[o + f - 1] + 1
                        b = semis[o + f] if f < c - 1 else ends[ln]
                elif code == NULL or code >= c:
                    pass
                elif not acc:  # a layout's field columns only: empty
                    a = starts[ln]
                    b = a
                elif code == KIND:
                    a = kp[ln]
                    b = kq[ln]
                elif code == NAME0:
                    a = kq[ln] + 2
                    b = kk[ln]
                else:
                    a = kk[ln] + 1 if code == 0 else semis[o + code - 1] + 1 + cuts[j]
                    last = code + spans[j]
                    b = semis[o + last] if 0 <= last < c - 1 else ends[ln]
                    if a > b:
                        a = b
                if 0 <= a <= b <= size:
                    at[j, t] = a
                    offs[j, t + 1] = offs[j, t] + b - a
                else:
                    offs[j, t + 1] = offs[j, t]
        elif 0 <= r - nr < no:
            o = r - nr
            for j in range(nj):
                a = ooffs[o, j]
                b = ooffs[o + 1, j]
                if ovalid[o, j] and 0 <= a <= b <= odata.shape[0]:
                    at[j, t] = a
                    offs[j, t + 1] = offs[j, t] + b - a
                else:
                    offs[j, t + 1] = offs[j, t]
        else:
            for j in range(nj):
                offs[j, t + 1] = offs[j, t]
    first = np.zeros(nj + 1, np.int64)
    for j in range(nj):
        first[j + 1] = first[j] + offs[j, m]
    out = np.empty(first[nj], np.uint8)
    for t in range(m):
        mine = 0 <= sel[t] < nr
        for j in range(nj):
            a = at[j, t]
            if a >= 0:
                d = first[j] + offs[j, t]
                if mine:
                    for x in range(offs[j, t + 1] - offs[j, t]):
                        out[d + x] = buf[a + x]
                else:
                    for x in range(offs[j, t + 1] - offs[j, t]):
                        out[d + x] = odata[a + x]
    return at >= 0, out, first


@nb.njit(cache=True, nogil=True)
def shape_taken(buf: Arr, rows: Arr, starts: Arr, ends: Arr, nf: Arr, soff: Arr, semis: Arr,
                kp: Arr, kq: Arr, kk: Arr, flags: Arr, key0: Arr, names: Arr, noff: Arr,
                junk: Arr) -> Arr:
    """Per line ``rows[r]`` (all of ``len(junk) + 1`` fields): whether ``templated`` reads it
    by its layout's shape: an ACC line whose first name is ``key0``, whose first field holds
    one ``ACC: ``, whose kind is ``[a-z][a-z ]*``, with no ``<`` and no byte >= 0x80, and
    whose field ``f`` >= 1 begins with ``names[noff[f - 1]:noff[f]]`` and ``=`` (``junk[f -
    1]`` 0) or with no ``name=`` at all (``junk[f - 1]`` 1)."""
    m = rows.shape[0]
    size = buf.shape[0]
    c = junk.shape[0] + 1
    nk0 = key0.shape[0]
    out = np.zeros(m, np.bool_)
    for r in range(m):
        ln = rows[r]
        if ln < 0 or ln >= nf.shape[0] or nf[ln] != c or not (flags[ln] & ACC):
            continue
        s = starts[ln]
        e = ends[ln]
        o = soff[ln]
        if not (0 <= s <= e <= size) or o < 0 or o + c - 1 > semis.shape[0]:
            continue
        p, q, k = kp[ln], kq[ln], kk[ln]
        if not (s <= p < q and q + 2 <= k <= e) or k - (q + 2) != nk0:
            continue
        same = True
        for t in range(nk0):
            if buf[q + 2 + t] != key0[t]:
                same = False
                break
        if not same:
            continue
        b = buf[p]
        if b < 97 or b > 122:
            continue
        for t in range(p + 1, q):
            b = buf[t]
            if not (97 <= b <= 122 or b == 32):
                same = False
                break
        if not same:
            continue
        e0 = semis[o] if c > 1 else e
        seen = 0
        for t in range(s, e0 - 4):
            if buf[t] == 65 and buf[t + 1] == 67 and buf[t + 2] == 67 and buf[t + 3] == 58 \
                    and buf[t + 4] == 32:
                seen += 1
        if seen != 1:
            continue
        hit = 0  # a '<' or a high byte: one branch-free pass over the line
        for t in range(s, e):
            b = buf[t]
            hit |= (b == _LT) | (b >> 7)
        if hit:
            continue
        for f in range(1, c):
            fs = semis[o + f - 1] + 1
            fe = semis[o + f] if f < c - 1 else e
            if junk[f - 1]:
                if _name_len(buf, fs, fe) >= 0:
                    same = False
                    break
                continue
            a0, a1 = noff[f - 1], noff[f]
            size_n = a1 - a0
            if fe - fs < size_n + 1 or buf[fs + size_n] != 61:
                same = False
                break
            for t in range(size_n):
                if buf[fs + t] != names[a0 + t]:
                    same = False
                    break
            if not same:
                break
        out[r] = same
    return out
