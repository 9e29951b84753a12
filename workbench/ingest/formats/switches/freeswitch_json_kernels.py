"""Byte kernels of the FreeSWITCH JSON scan (``freeswitch_json_scan``): the whole file in one
pass, then the taken values gathered into Arrow buffers.

``scan`` walks the bytes once, window by window (a window starts at a line starting with
``{`` and ends at the next one, as ``freeswitch_doc_json.scan_lines`` cuts them), and parses
each window as strict JSON. A window is *plain* when orjson would read it as one object
(nothing after it in its window but the separators the reader strips) and ``_json_leg``
would take it with the usual shape: ``variables`` an object (or absent, null, false), one
callflow (an object or a list of one object, or none), its ``caller_profile`` and
``times`` objects (or absent, null, false), and every taken field text or null. For a plain
window the byte span of each taken field is kept (the last of a key given twice, as orjson
keeps it). Anything else (several callflows, a number or object where text is taken, a
duplicate structural key, an escaped key where keys are matched, deep nesting, a long
number, any grammar fault, a line starting with ``{`` inside the document, …) makes the
window not plain: the exact reader reads it. The loop also checks that the file is UTF-8
(the exact reader reads a file that is not from its text throughout).

Imported lazily (numba costs ~0.2 s to import): only the scan of a large file calls it. The
output arrays are never grown inside the loop: a full one returns, the caller grows (or
empties) it and calls again from the window it stopped at.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HEX, HIGHS, ONES, same_as_key, same_as_key_bytes, word

#: ``scan``'s status: done; the window arrays are full; the row arrays are full; not UTF-8;
#: a field's region of the value buffer is full
DONE, MORE_WINDOWS, MORE_ROWS, NOT_UTF8, MORE_BYTES = range(5)
#: window flags
PLAIN, CLOSED, BROKEN = 1, 2, 4
#: what an object is (its keys looked up) or what the value after a key is
GEN, ROOT, VARS, FLOWLIST, FLOW, PROF, TIMES = range(7)
S_NONE, S_VARS, S_FLOW, S_PROF, S_TIMES, S_FLOWEL = -1, -2, -3, -4, -5, -6
#: struct codes of the names table (column 0 of ``info``)
VARIABLES, CALLFLOW, CALLER_PROFILE, TIMES_KEY = 0, 1, 2, 3
MAX_DEPTH = 64  # deeper than any CDR: left to the exact reader (orjson reads 1024)
MAX_KEY = 64  # longest name looked up (longer: no field)
#: the loop's variables kept where it stopped (``st``): next window, newlines before it,
#: windows found, rows; then (MORE_BYTES) a field whose region is full and the bytes it needs
I, NL, K, R, FULL, NEED = range(6)

#: string bytes with no meaning (0), the quote (1), the backslash (2), control (3), non-ASCII
STR = np.zeros(256, np.int8)
STR[34], STR[92] = 1, 2
STR[:32] = 3
STR[128:] = 4
#: separators the exact reader's window may end with (``freeswitch_doc_json._TRAIL``)
TRAIL = np.zeros(256, np.bool_)
TRAIL[np.frombuffer(b" \t\n\r,[]", np.uint8)] = True
# eight bytes at once: a word holding a '"', a '\\', a control byte or one past ASCII
# (``haszero`` of the word xor the byte, borrows only above a byte that matches)
_QUOTES, _BACKSLASHES = np.uint64(0x2222222222222222), np.uint64(0x5C5C5C5C5C5C5C5C)
_SPACES = np.uint64(0x2020202020202020)


@nb.njit(cache=True, nogil=True)
def _continued(arr: np.ndarray, i: int, k: int, lo: int, hi: int) -> bool:
    """The ``k - 1`` bytes after ``arr[i]`` are continuation bytes, the first within
    ``lo``..``hi``."""
    if i + k > arr.size or not lo <= arr[i + 1] <= hi:
        return False
    for j in range(2, k):
        if not 0x80 <= arr[i + j] <= 0xBF:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _utf8(arr: np.ndarray, i: int) -> int:
    """Length of the UTF-8 sequence starting at ``arr[i]`` (a byte past ASCII), 0 when it
    is not one Python's decoder takes (overlong, surrogate, past U+10FFFF, cut)."""
    c = arr[i]
    if 0xC2 <= c <= 0xDF:
        return 2 if _continued(arr, i, 2, 0x80, 0xBF) else 0
    if 0xE0 <= c <= 0xEF:  # (E0: no overlong form; ED: no surrogate)
        lo, hi = (0xA0 if c == 0xE0 else 0x80), (0x9F if c == 0xED else 0xBF)
        return 3 if _continued(arr, i, 3, lo, hi) else 0
    if 0xF0 <= c <= 0xF4:  # (F0: no overlong form; F4: nothing past U+10FFFF)
        lo, hi = (0x90 if c == 0xF0 else 0x80), (0x8F if c == 0xF4 else 0xBF)
        return 4 if _continued(arr, i, 4, lo, hi) else 0
    return 0


@nb.njit(cache=True, nogil=True)
def _next_window(arr: np.ndarray, j: int, n: int) -> tuple[int, int]:
    """(offset of the next line starting with '{' after ``j``, or -1 at the file's end, or
    -2 at a byte sequence that is not UTF-8; the line ends passed on the way)."""
    nl = 0
    while j < n:
        c = arr[j]
        if c == 10:
            nl += 1
            if j + 1 < n and arr[j + 1] == 123:
                return j + 1, nl
            j += 1
        elif c >= 128:
            ln = _utf8(arr, j)
            if ln == 0:
                return -2, nl
            j += ln
        else:
            j += 1
    return -1, nl


@nb.njit(cache=True, nogil=True)
def _copy(arr: np.ndarray, a: int, b: int, out: np.ndarray, p: int) -> bool:
    """``out[p:p + b - a] = arr[a:b]``; whether the bytes hold a '%' (a helper: in the scan's
    loop the copy was not vectorized, ~1 ns a byte)."""
    pct = 0
    src = arr[a:b]
    dst = out[p:p + b - a]
    for y in range(src.size):
        byte = src[y]
        dst[y] = byte
        pct |= byte == 37
    return pct != 0


@nb.njit(cache=True, nogil=True)
def _hex4(arr: np.ndarray, i: int) -> int:
    """The code of the four hex digits at ``arr[i:i + 4]``, -1 when they are not."""
    if i + 4 > arr.size:
        return -1
    code = 0
    for j in range(i, i + 4):
        h = HEX[arr[j]]
        if h < 0:
            return -1
        code = code * 16 + h
    return code


@nb.njit(cache=True, nogil=True)
def _escape(arr: np.ndarray, j: int) -> int:
    """Where a string's escape at ``arr[j]`` (a backslash) ends, -1 when orjson may refuse it
    (a lone surrogate included)."""
    n = arr.size
    if j + 1 >= n:
        return -1
    e = arr[j + 1]
    if e == 34 or e == 92 or e == 47 or e == 98 or e == 102 or e == 110 or e == 114 \
            or e == 116:
        return j + 2
    if e != 117:
        return -1
    code = _hex4(arr, j + 2)
    if code < 0 or 0xDC00 <= code <= 0xDFFF:
        return -1
    if 0xD800 <= code <= 0xDBFF:
        if j + 7 >= n or arr[j + 6] != 92 or arr[j + 7] != 117:
            return -1
        low = _hex4(arr, j + 8)
        if not 0xDC00 <= low <= 0xDFFF:
            return -1
        return j + 12
    return j + 6


@nb.njit(cache=True, nogil=True)
def _number(arr: np.ndarray, i: int) -> int:
    """Where the JSON number at ``arr[i]`` ends, -1 when it is not one or orjson might read
    it otherwise than as a finite number (long integers and exponents left out)."""
    n = arr.size
    j = i
    if arr[j] == 45:  # '-'
        j += 1
    if j >= n:
        return -1
    digits = 0
    if arr[j] == 48:
        j += 1
        digits = 1
    elif 49 <= arr[j] <= 57:
        while j < n and 48 <= arr[j] <= 57:
            j += 1
            digits += 1
    else:
        return -1
    is_float = False
    if j < n and arr[j] == 46:  # '.'
        is_float = True
        j += 1
        f0 = j
        while j < n and 48 <= arr[j] <= 57:
            j += 1
        if j == f0:
            return -1
        digits += j - f0
    if j < n and (arr[j] == 101 or arr[j] == 69):  # e E
        is_float = True
        j += 1
        if j < n and (arr[j] == 43 or arr[j] == 45):
            j += 1
        e0 = j
        while j < n and 48 <= arr[j] <= 57:
            j += 1
        if j == e0 or j - e0 > 2:
            return -1
    if (not is_float and digits > 18) or digits > 40:
        return -1
    return j


@nb.njit(cache=True, nogil=True)
def scan(arr: np.ndarray, lut: np.ndarray, chain: np.ndarray, keys: np.ndarray,
         key_len: np.ndarray, info: np.ndarray, nv: int, np_: int, st: np.ndarray,
         cur_s: np.ndarray, cur_e: np.ndarray, cur_x: np.ndarray, ctx: np.ndarray,
         starts: np.ndarray, lines: np.ndarray, flags: np.ndarray, ends: np.ndarray,
         eols: np.ndarray, vbuf: np.ndarray, vbase: np.ndarray, vcap: np.ndarray,
         vused: np.ndarray, voff: np.ndarray, valid: np.ndarray, odd: np.ndarray,
         times: np.ndarray, tvalid: np.ndarray, kwords: np.ndarray,
         setl: np.ndarray, listed: np.ndarray) -> int:
    """The windows of ``arr`` from where ``st`` says (next window, newlines before it,
    windows and rows so far); returns the status. Per window: its start, line and flags, and
    for one not plain where its orjson window ends (``ends``) and its first line (``eols``).
    Per plain window a row: each field's text (VAR_LIST, then PROFILE_LIST from ``nv``, then
    TIME_LIST) appended to its region of ``vbuf`` (from ``vbase``, ``vcap`` bytes, ``vused``
    used; ``voff`` its offsets, ``valid`` false for None), copied while the document's bytes
    are in the cache: variables and profile URL-decoded as ``unquote_array`` does; ``odd``
    marks a text left raw for the caller (1: an escape past ASCII, or a time that is not a
    plain µs count; 2: a JSON escape). Times also as µs (``times``, ``tvalid``) where
    ``micros(…, 1)`` reads them as a plain count.

    ``valid``, ``odd``, ``times`` and ``tvalid`` start zeroed: only the fields a window sets
    (``setl``, ``listed``: the current window's, kept between calls) are written.

    ``kwords``: the names as words (``key_words`` of ``keys``), a key compared with them 8
    bytes at a time.

    One function: helpers taking arrays, called per token, cost numba reference counting on
    every call; only the rare paths (escapes, non-ASCII, numbers) are helpers."""
    n = arr.size
    nf = cur_s.size
    i = st[I]
    nl = st[NL]
    k = st[K]
    r = st[R]
    nset = 0
    for f in range(nf):
        nset += listed[f]
    status = DONE
    if k == 0 and i == 0 and (n == 0 or arr[0] != 123):
        # no window at the file's start: the bytes before the first one checked here
        i, passed = _next_window(arr, 0, n)
        if i == -2:
            return NOT_UTF8
        nl += passed
    while i >= 0:
        if k >= starts.size:
            status = MORE_WINDOWS
            break
        if r >= valid.shape[1]:
            status = MORE_ROWS
            break
        s = i
        nl0 = nl
        starts[k] = s
        lines[k] = nl + 1
        for x in range(nset):  # (the fields set in the window before)
            f = setl[x]
            cur_s[f] = -1
            listed[f] = False
        nset = 0
        # ---- the document, token by token (fail: where the bytes are read again from)
        fail = -1
        seen = 0  # structural keys seen: 1 variables, 2 callflow, 4 caller_profile, 8 times
        d = 1
        ctx[0, 1] = ROOT
        ctx[1, 1] = 0
        mode = 1  # 0 a value, 1 a key or '}', 2 a key, 3 ':', 4 ',' or the close, 5 a value or ']'
        slot = S_NONE
        i = s + 1
        if k == 0 and s > 0:
            fail = s  # text before the first window: the exact reader's (the row included)
        while fail < 0:
            # white space; a line starting with '{' inside the document cuts its window
            while i < n:
                c = arr[i]
                if c == 32 or c == 9 or c == 13:
                    i += 1
                elif c == 10:
                    if i + 1 < n and arr[i + 1] == 123:
                        break
                    nl += 1
                    i += 1
                else:
                    break
            if i >= n or arr[i] == 10:
                fail = i
                break
            c = arr[i]
            if mode == 4:
                is_arr = ctx[1, d] == 1
                if c == 44 and ctx[0, d] != FLOWLIST:  # ',' (in the callflows: a second one)
                    mode = 0 if is_arr else 2
                    slot = S_NONE
                    i += 1
                    continue
                if (c == 93) if is_arr else (c == 125):  # ']' or '}'
                    d -= 1
                    i += 1
                    if d == 0:
                        break
                    continue
                fail = i
                break
            if mode == 3:
                if c != 58:
                    fail = i
                    break
                mode = 0
                i += 1
                continue
            if mode == 1 or mode == 2:
                if c == 125 and mode == 1:
                    d -= 1
                    i += 1
                    mode = 4
                    if d == 0:
                        break
                    continue
                if c != 34:
                    fail = i
                    break
            if mode == 5:
                if c == 93:
                    d -= 1
                    i += 1
                    mode = 4
                    continue
                mode = 0
            if c == 34:  # a string: a key or a value
                j = i + 1
                esc = False
                while True:
                    # plain bytes eight at a time (one unaligned load), its first special
                    # byte by the lowest mark (exact: a borrow only runs up from a byte that
                    # matches); one by one near the file's end
                    while j + 8 <= n:
                        wd = word(arr, j)
                        t1 = wd ^ _QUOTES
                        t2 = wd ^ _BACKSLASHES
                        m = (((t1 - ONES) & ~t1) | ((t2 - ONES) & ~t2)
                             | ((wd - _SPACES) & ~wd) | wd) & HIGHS
                        if m:
                            j += trailing_zeros(m) >> 3  # type: ignore[call-arg]
                            break
                        j += 8
                    while j < n and STR[arr[j]] == 0:
                        j += 1
                    if j >= n:
                        break
                    b = STR[arr[j]]
                    if b == 1:
                        break
                    if b == 2:
                        esc = True
                        j = _escape(arr, j)
                        if j < 0:
                            break
                    elif b == 3:
                        break
                    else:
                        ln = _utf8(arr, j)
                        if ln == 0:
                            return NOT_UTF8
                        j += ln
                if j < 0:
                    fail = i
                    break
                if j >= n or arr[j] != 34:
                    fail = j
                    break
                if mode != 0:  # a key: what its value is
                    slot = S_NONE
                    where = ctx[0, d]
                    if where != GEN:
                        if esc:
                            fail = i
                            break
                        a = i + 1
                        ln = j - a
                        x = -1
                        if 0 < ln < MAX_KEY:
                            x = lut[ln, arr[a]]
                            if j + 8 <= n:  # (a + ln + 8 <= n: a word at a time)
                                while x >= 0 and not same_as_key(arr, a, ln, kwords, x):
                                    x = chain[x]
                            else:  # near the file's end: byte by byte
                                while x >= 0 and not same_as_key_bytes(arr, a, ln, keys, x):
                                    x = chain[x]
                        if x >= 0:
                            if where == ROOT:
                                if info[x, 0] == VARIABLES:
                                    slot = S_VARS
                                elif info[x, 0] == CALLFLOW:
                                    slot = S_FLOW
                            elif where == VARS:
                                if info[x, 1] >= 0:
                                    slot = info[x, 1]
                            elif where == FLOW:
                                if info[x, 0] == CALLER_PROFILE:
                                    slot = S_PROF
                                elif info[x, 0] == TIMES_KEY:
                                    slot = S_TIMES
                            elif where == PROF:
                                if info[x, 2] >= 0:
                                    slot = nv + info[x, 2]
                            elif where == TIMES:
                                if info[x, 3] >= 0:
                                    slot = nv + np_ + info[x, 3]
                    # the ':' (and the spaces around it) here: one turn of the loop less
                    i = j + 1
                    while i < n and arr[i] == 32:
                        i += 1
                    if i < n and arr[i] == 58:
                        i += 1
                        while i < n and arr[i] == 32:
                            i += 1
                        mode = 0
                    else:
                        mode = 3
                    continue
                if slot >= 0:
                    cur_s[slot], cur_e[slot], cur_x[slot] = i + 1, j, esc
                    if not listed[slot]:
                        listed[slot] = True
                        setl[nset] = slot
                        nset += 1
                elif slot != S_NONE:  # text where an object belongs
                    fail = i
                    break
                i = j + 1
                if i < n and arr[i] == 44 and ctx[1, d] == 0:  # ',' in an object: a key next
                    i += 1
                    while i < n and arr[i] == 32:
                        i += 1
                    mode = 2
                    slot = S_NONE
                else:
                    mode = 4
                continue
            # mode 0: a value other than a string
            if c == 123 or c == 91:  # '{' '['
                new = GEN
                if slot >= 0:
                    fail = i
                    break
                if slot == S_VARS or slot == S_FLOW or slot == S_PROF or slot == S_TIMES:
                    bit = 1 if slot == S_VARS else 2 if slot == S_FLOW else \
                        4 if slot == S_PROF else 8
                    if seen & bit:
                        fail = i
                        break
                    seen |= bit
                    if slot == S_FLOW:
                        new = FLOW if c == 123 else FLOWLIST
                    elif c == 91:
                        fail = i
                        break
                    else:
                        new = VARS if slot == S_VARS else PROF if slot == S_PROF else TIMES
                elif slot == S_FLOWEL:
                    if c != 123:
                        fail = i
                        break
                    new = FLOW
                if d + 1 >= MAX_DEPTH:
                    fail = i
                    break
                d += 1
                ctx[0, d] = new
                if c == 91:
                    ctx[1, d] = 1
                    mode = 5
                    slot = S_FLOWEL if new == FLOWLIST else S_NONE
                else:
                    ctx[1, d] = 0
                    mode = 1
                i += 1
                continue
            if c == 116 or c == 102 or c == 110:  # true false null
                ok = False
                if c == 116:
                    ok = i + 3 < n and arr[i + 1] == 114 and arr[i + 2] == 117 and \
                        arr[i + 3] == 101
                    ln = 4
                elif c == 102:
                    ok = i + 4 < n and arr[i + 1] == 97 and arr[i + 2] == 108 and \
                        arr[i + 3] == 115 and arr[i + 4] == 101
                    ln = 5
                else:
                    ok = i + 3 < n and arr[i + 1] == 117 and arr[i + 2] == 108 and \
                        arr[i + 3] == 108
                    ln = 4
                if not ok or slot == S_FLOWEL or (slot >= 0 and c != 110) or \
                        (slot < S_NONE and c == 116):
                    fail = i
                    break
                if slot >= 0:  # null: None
                    cur_s[slot], cur_e[slot], cur_x[slot] = -1, -1, False
                elif slot < S_NONE:  # null or false: no object (``or {}``), once
                    bit = 1 if slot == S_VARS else 2 if slot == S_FLOW else \
                        4 if slot == S_PROF else 8
                    if seen & bit:
                        fail = i
                        break
                    seen |= bit
                mode = 4
                i += ln
                continue
            if c == 45 or 48 <= c <= 57:
                if slot != S_NONE:
                    fail = i
                    break
                j = _number(arr, i)
                if j < 0:
                    fail = i
                    break
                mode = 4
                i = j
                continue
            fail = i
            break
        # ---- after the document: separators up to the next window, else the bytes again
        nxt = -1
        if fail < 0:
            j = i
            while j < n:
                c = arr[j]
                if not TRAIL[c]:
                    fail = j
                    break
                if c == 10:
                    nl += 1
                    if j + 1 < n and arr[j + 1] == 123:
                        nxt = j + 1
                        break
                j += 1
        if fail >= 0:
            nxt, passed = _next_window(arr, fail, n)
            if nxt == -2:
                return NOT_UTF8
            nl += passed
        stop = n if nxt < 0 else nxt
        if fail < 0:
            room = True
            for x in range(nset):
                f = setl[x]
                a = cur_s[f]
                if a >= 0 and vused[f] + cur_e[f] - a > vcap[f]:
                    room = False
                    st[FULL] = f
                    st[NEED] = vused[f] + cur_e[f] - a
            if not room:  # this window again once the regions are grown
                status = MORE_BYTES
                i = s
                nl = nl0
                break
            flags[k] = PLAIN
            nu = nv + np_
            for xi in range(nset):  # (a field not set: no text, as the arrays start)
                f = setl[xi]
                a = cur_s[f]
                if a < 0:
                    continue
                valid[f, r] = True
                b = cur_e[f]
                p = vbase[f] + vused[f]
                pct = _copy(arr, a, b, vbuf, p)  # the text as it is
                how = 2 if cur_x[f] else 0
                q = p + b - a
                if pct and f < nu and how == 0:  # %XX decoded (one past ASCII: raw)
                    q = p
                    y = a
                    while y < b:
                        dc = int(arr[y])
                        if dc == 37 and y + 2 < b and HEX[arr[y + 1]] >= 0 and \
                                HEX[arr[y + 2]] >= 0:
                            dc = HEX[arr[y + 1]] * 16 + HEX[arr[y + 2]]
                            if dc >= 0x80:
                                how = 1
                                break
                            y += 3
                        else:
                            y += 1
                        vbuf[q] = dc
                        q += 1
                    if how == 1:
                        for y in range(b - a):
                            vbuf[p + y] = arr[a + y]
                        q = p + b - a
                if f >= nu:  # a time: µs where ``micros`` reads a plain count
                    t = f - nu
                    v = -1
                    if how == 0 and 1 <= b - a <= 16:
                        v = 0
                        for y in range(a, b):
                            digit = int(arr[y]) - 48
                            if digit < 0 or digit > 9:
                                v = -1
                                break
                            v = v * 10 + digit
                    if v < 0 or v > 2 ** 53:
                        how = how | 1
                    else:
                        times[t, r] = v
                        tvalid[t, r] = v > 0
                odd[f, r] = how
                vused[f] = q - vbase[f]
            for f in range(nf):
                voff[f, r + 1] = vused[f]
            r += 1
        else:
            e = stop  # the window less trailing separators (never past its '{')
            while TRAIL[arr[e - 1]]:
                e -= 1
            ends[k] = e
            fl = CLOSED if arr[e - 1] == 125 else 0
            # ``_broken``: its first line holds an odd number of '"', no '\', '}' or ']'
            quotes = 0
            other = False
            q = s
            while q < n and arr[q] != 10:
                c = arr[q]
                if c == 34:
                    quotes += 1
                elif c == 92 or c == 125 or c == 93:
                    other = True
                q += 1
            eols[k] = q
            if quotes % 2 == 1 and not other:
                fl |= BROKEN
            flags[k] = fl
        k += 1
        i = nxt
    st[I] = i
    st[NL] = nl
    st[K] = k
    st[R] = r
    return status
