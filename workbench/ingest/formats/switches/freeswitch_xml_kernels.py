"""Byte kernel of the FreeSWITCH XML scan (``freeswitch_doc_xml``): the whole file in one pass.

The numpy scan this replaces made some forty passes over the bytes and the tags (finding
marks, gathering every tag to classify it, depths, end-tag matching, the fields); here one
loop walks the bytes once, parses each tag where it stands and keeps per document only a
small state. Its decisions are the numpy scan's, document by document (the property tests
of ``tests/test_freeswitch_xml_kernels.py`` compare both): which documents are read here,
which are broken, and the byte span of every field taken. Imported lazily (numba costs
~0.2 s to import): only ``scan`` of a file calls it.

Its shortcuts (``tests/test_freeswitch_xml_scan_edges.py`` and
``tests/test_freeswitch_xml_words.py`` try their edges): an end tag and a name looked up are
compared 8 bytes at a time; before the file's last '>' the runs of text and names are walked
with an unsigned index and no test of the file's end (numba tests the sign of a signed index
at every read); a run of text longer than ``_RUN`` bytes (a SIP Identity header, a UUID, a
call id) and an attribute value are skipped 8 bytes at a time while no byte has a class.
"""
from __future__ import annotations

from collections.abc import Callable

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HEAD as _HEAD
from workbench.common.words import HEX, HIGHS, ONES
from workbench.common.words import key_words as _key_words
from workbench.common.words import same_as_key as _same_as_key
from workbench.common.words import same_as_key_bytes as _same_as_key_bytes
from workbench.common.words import word as _word

# byte classes of the main loop (0: a byte with no meaning of its own)
_LT, _GT, _LF, _CR, _AMP, _CTRL, _EF, _HIGH = 1, 2, 3, 4, 5, 6, 7, 8
CLASS = np.zeros(256, np.int8)
CLASS[0x80:] = _HIGH  # (only noted: a file without any is ASCII, valid UTF-8 unchecked)
CLASS[60], CLASS[62], CLASS[10], CLASS[13], CLASS[38], CLASS[0xEF] = _LT, _GT, _LF, _CR, _AMP, _EF
CLASS[[b for b in range(32) if b not in (9, 10, 13)]] = _CTRL
NAME_START = np.zeros(256, np.bool_)
NAME_START[np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_", np.uint8)] = True
NAME_CHAR = NAME_START.copy()
NAME_CHAR[np.frombuffer(b"0123456789.-", np.uint8)] = True
WS = np.zeros(256, np.bool_)
WS[np.frombuffer(b" \t\r\n", np.uint8)] = True

START, END, EMPTY, DECL, BAD = 0, 1, 2, 3, 4
INT32_BYTES = 2**31 - 1  # files below this size: spans and offsets as int32
MAX_LEVEL = 1000  # deeper than any CDR: left to the exact reader
# struct codes of the names the reader walks through
VARIABLES, CALLFLOW, CALLER_PROFILE, TIMES = 0, 1, 2, 3

# the per-document state, one int64 array (indices)
ODD, BROKEN, SKIP, MULTI, NTAGS, DEPTH, PHASE, HAS_END, EXTRA, TOO_DEEP, DECL_IN, MISMATCH, \
    VAR_ST, CF_ST, CP_ST, TM_ST, CF_COUNT, PEND, PEND_LEAF, PEND_GT, PAIRED, DOC_START = range(22)
_STATE = 22
# then the loop's variables, kept where the kernel stopped
_I, _D, _R, _NL, _OPEN, _LAST, _TEXT_ODD, _NON_ASCII = range(_STATE, _STATE + 8)


@nb.njit(cache=True, nogil=True)
def _ref_ok(arr: np.ndarray, i: int) -> bool:
    """Whether the '&' at ``i`` starts a predefined entity or a character reference to a
    character XML allows (``_references`` of the numpy scan)."""
    n = arr.size
    if i + 1 >= n:
        return False
    c = arr[i + 1]
    if c == 97:  # a
        if i + 4 < n and arr[i + 2] == 109 and arr[i + 3] == 112 and arr[i + 4] == 59:
            return True  # &amp;
        return i + 5 < n and arr[i + 2] == 112 and arr[i + 3] == 111 and arr[i + 4] == 115 \
            and arr[i + 5] == 59  # &apos;
    if c == 108 or c == 103:  # &lt; &gt;
        return i + 3 < n and arr[i + 2] == 116 and arr[i + 3] == 59
    if c == 113:  # &quot;
        return i + 5 < n and arr[i + 2] == 117 and arr[i + 3] == 111 and arr[i + 4] == 116 \
            and arr[i + 5] == 59
    if c != 35:  # '#'
        return False
    p = i + 2
    code = 0
    digits = 0
    if p < n and arr[p] == 120:  # 'x': 1 to 6 hex digits
        p += 1
        while p < n and HEX[arr[p]] >= 0 and digits <= 6:
            code = code * 16 + HEX[arr[p]]
            digits += 1
            p += 1
        if digits == 0 or digits > 6:
            return False
    else:
        while p < n and 48 <= arr[p] <= 57 and digits <= 8:
            code = code * 10 + (arr[p] - 48)
            digits += 1
            p += 1
        if digits == 0 or digits > 8:
            return False
    if p >= n or arr[p] != 59:
        return False
    return code == 9 or code == 10 or code == 13 or 0x20 <= code <= 0xD7FF or \
        0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF


@nb.njit(cache=True, nogil=True)
def _noncharacter(arr: np.ndarray, i: int) -> bool:
    """Whether the 0xEF at ``i`` starts U+FFFE or U+FFFF, which XML does not allow."""
    return i + 2 < arr.size and arr[i + 1] == 0xBF and (arr[i + 2] == 0xBE or arr[i + 2] == 0xBF)


@nb.njit(cache=True, nogil=True)
def _quoted_byte(arr: np.ndarray, p: int, k: int, st: np.ndarray) -> bool:
    """A byte of class ``k`` (not a line end, '<' or '>') inside a declaration or an attribute
    value: marks the document odd (``st[ODD]``) for a stray '&', a control byte or a
    noncharacter; True when it is past ASCII."""
    if k == _AMP:
        if not _ref_ok(arr, p):
            st[ODD] = 1
    elif k == _CTRL:
        st[ODD] = 1
    elif k == _EF:
        if _noncharacter(arr, p):
            st[ODD] = 1
        return True
    return k == _HIGH


@nb.njit(cache=True, nogil=True)
def _same_words(arr: np.ndarray, a: int, b: int, ln: int) -> bool:
    """``arr[a:a+ln] == arr[b:b+ln]`` 8 bytes at a time (``a + ln + 8 <= arr.size`` and
    ``b + ln + 8 <= arr.size``)."""
    j = 0
    while j + 8 <= ln:
        if _word(arr, a + j) != _word(arr, b + j):
            return False
        j += 8
    return bool(((_word(arr, a + j) ^ _word(arr, b + j)) & _HEAD[ln - j]) == 0)


_U1 = np.uint64(1)  # (uint64 + int64 is float64 in numba: an unsigned index steps by this)
_EIGHT, _THREE = np.uint64(8), np.uint64(3)
_RUN = np.uint64(16)  # the bytes of a text run walked one by one before words are tried
_BELOW_SPACE = ONES * np.uint64(0x20)
_LTS, _GTS, _AMPS = ONES * np.uint64(60), ONES * np.uint64(62), ONES * np.uint64(38)


@nb.njit(cache=True, nogil=True)
def _classed(w: np.uint64) -> np.uint64:
    """The bytes of the word ``w`` that have a class (``CLASS`` not 0: past ASCII, below a
    space, '<', '>', '&'; a tab too, which has none), marked by their high bit: exact at the
    lowest mark (a borrow only runs up from a byte that is marked), 0 when there is none.
    (``w`` itself marks the bytes past ASCII; the '<' and '>' terms mark them too, but
    without it LLVM laid the kernel out ~10% slower: keep it.)"""
    return (w | (w - _BELOW_SPACE) | ((w ^ _LTS) - ONES) | ((w ^ _GTS) - ONES)
            | ((w ^ _AMPS) - ONES)) & HIGHS


@nb.njit(cache=True, nogil=True)
def _last_gt(arr: np.ndarray) -> int:
    """The last '>' of ``arr`` (-1: none). Every run the scan walks (text, a name, white
    space, a quoted value) stops at a '>': one starting at or before it needs no test of the
    file's end, and its index no test of its sign (unsigned), byte by byte."""
    j = arr.size - 1
    while j >= 0 and arr[j] != 62:
        j -= 1
    return j


@nb.njit(cache=True, nogil=True)
def _at(arr: np.ndarray, i: int) -> int:
    """``arr[i]`` for an ``i`` known >= 0: no test of its sign (all the kernel's are)."""
    b: int = arr[np.uint64(i)]
    return b


@nb.njit(cache=True, nogil=True)
def _name_end(arr: np.ndarray, p: int, n: int, stop: int) -> int:
    """Where the name characters from ``p`` end (``stop``: ``_last_gt``)."""
    if p <= stop:
        u = np.uint64(p)
        while NAME_CHAR[arr[u]]:
            u += _U1
        return np.int64(u)  # type: ignore[return-value]  # (int64 for numba: one type)
    while p < n and NAME_CHAR[arr[p]]:
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def _same(arr: np.ndarray, a: int, la: int, b: int, lb: int) -> bool:
    if la != lb:
        return False
    for j in range(la):
        if arr[a + j] != arr[b + j]:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _fnv(arr: np.ndarray, a: int, la: int) -> np.uint64:
    h = np.uint64(14695981039346656037)
    for j in range(la):
        h = (h ^ np.uint64(arr[a + j])) * np.uint64(1099511628211)
    return h


@nb.njit(cache=True, nogil=True)
def _attrs_ok(arr: np.ndarray, a_s: np.ndarray, a_l: np.ndarray, m: int, q: int) -> bool:
    """No attribute name twice, none starting with ``xmlns``, among the ``m`` attributes of
    a tag (its first ones in ``a_s``/``a_l``; ``q``: where its name ends, to gather them
    again when there are more)."""
    if m > a_s.size:  # (the tag is known well-formed here: no bound is passed)
        a_s = np.empty(m, np.int64)
        a_l = np.empty(m, np.int64)
        for j in range(m):
            while WS[arr[q]]:
                q += 1
            a0 = q
            while NAME_CHAR[arr[q]]:
                q += 1
            a_s[j], a_l[j] = a0, q - a0
            while arr[q] != 34 and arr[q] != 39:
                q += 1
            quote = arr[q]
            q += 1
            while arr[q] != quote:
                q += 1
            q += 1
    for j in range(m):
        s, ln = a_s[j], a_l[j]
        if ln >= 5 and arr[s] == 120 and arr[s + 1] == 109 and arr[s + 2] == 108 and \
                arr[s + 3] == 110 and arr[s + 4] == 115:
            return False
    if m <= 16:
        for j in range(m):
            for x in range(j):
                if _same(arr, a_s[j], a_l[j], a_s[x], a_l[x]):
                    return False
        return True
    hs = np.empty(m, np.uint64)
    for j in range(m):
        hs[j] = _fnv(arr, a_s[j], a_l[j])
    order = np.argsort(hs)
    j = 0
    while j < m:
        e = j + 1
        while e < m and hs[order[e]] == hs[order[j]]:
            e += 1
        for x in range(j, e):
            for y in range(j, x):
                if _same(arr, a_s[order[x]], a_l[order[x]], a_s[order[y]], a_l[order[y]]):
                    return False
        j = e
    return True


@nb.njit(cache=True, nogil=True)
def name_hash(first: int, mid: int, late: int, last: int, ln: int) -> int:
    """The slot (before masking) of a name of ``ln`` (>= 1) bytes in the table of names
    (``freeswitch_doc_xml._name_table`` hashes alike): four of its bytes and its length,
    cheaper than a hash of every byte (a chain of multiplies) on ~9 M names a 435 MB file."""
    return ln * 0x9E37 + first * 0x2F1 + last * 0x107 + mid * 0x3B + late * 0x1F3


@nb.njit(cache=True, nogil=True)
def _blank(arr: np.ndarray, a: int, b: int) -> bool:
    for j in range(a, b):
        if not WS[arr[j]]:
            return False
    return True


def scan_docs(arr: np.ndarray, cdr_next: np.ndarray, table: np.ndarray, keys: np.ndarray,
              key_len: np.ndarray, info: np.ndarray, nv: int, np_: int, nt: int, cap: int = 0,
              block: int = 0, flush: Callable[[np.ndarray, np.ndarray], None] | None = None
              ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """(status, starts, lines, flags, spans start, spans end, non-ASCII) of the ``<cdr``
    documents of ``arr``. status 1: the file is for the exact reader (a ``<cdr`` followed by
    a byte the text and byte patterns may read differently, or ending the file). flags per
    document: 1 read here, 2 broken (and not odd), 4 its first '<' is a tag. Spans: one row
    per document read here, one column per field (-1: None; int32 for a file under 2 GB).
    non-ASCII: a byte past 0x7F was seen (status 0: the whole file was walked).

    The kernel stops when its output arrays are full and goes on where it stopped once
    they are grown here: an array assigned anew inside its loop made numba count references
    at every turn of the loop (4x slower). ``cap``: the documents the arrays first hold (0:
    from the file's size; the tests start it tiny, to stop and go on at many documents).

    ``flush``: the spans are handed to it every ``block`` rows (and the last ones at the
    end), their arrays then reused, and the spans returned are empty: the spans of the whole
    file are never held (330 MB of fresh memory at 1 M documents, most of the scan's system
    time on a machine slow to give it)."""
    nf = nv + np_ + nt
    cap = cap or max(1024, arr.size // 1024)
    rows = block if flush is not None else cap
    starts = np.empty(cap, np.int64)
    lines = np.empty(cap, np.int64)
    flags = np.zeros(cap, np.uint8)
    at = np.int32 if arr.size < INT32_BYTES else np.int64  # (half the bytes to write, read)
    vs = np.empty((rows, nf), at)
    ve = np.empty((rows, nf), at)
    work = np.zeros(_NON_ASCII + 1, np.int64)  # the document's state, then the loop's
    work[_D] = work[_OPEN] = work[_LAST] = -1
    cur_s = np.full(nf, -1, np.int64)
    cur_e = np.full(nf, -1, np.int64)
    cur_o = np.zeros(nf, np.bool_)
    stack = np.zeros((MAX_LEVEL + 2, 2), np.int64)
    a_s = np.empty(64, np.int64)
    a_l = np.empty(64, np.int64)
    key_words = _key_words(keys)
    while True:
        status = _scan(arr, cdr_next, table, keys, key_len, key_words, info, nv, np_, work,
                       cur_s, cur_e, cur_o, stack, a_s, a_l, starts, lines, flags, vs, ve)
        if status != 2:
            break
        if flush is None:
            cap *= 2
            starts, lines, flags = _grown(starts, cap), _grown(lines, cap), _grown(flags, cap)
            vs, ve = _grown(vs, cap), _grown(ve, cap)
            continue
        rows_full, docs_full = work[_R] >= len(vs), work[_D] + 1 >= cap
        assert rows_full or docs_full
        if rows_full:
            flush(vs, ve)
            work[_R] = 0
        if docs_full:
            cap *= 2
            starts, lines, flags = _grown(starts, cap), _grown(lines, cap), _grown(flags, cap)
    d, r = work[_D], work[_R]
    if status:
        return 1, starts[:0], lines[:0], flags[:0], vs[:0], ve[:0], True
    if flush is not None:
        flush(vs[:r], ve[:r])
        r = 0
    return 0, starts[:d + 1], lines[:d + 1], flags[:d + 1], vs[:r], ve[:r], \
        work[_NON_ASCII] != 0


def _grown(a: np.ndarray, size: int) -> np.ndarray:
    b = np.zeros((size,) + a.shape[1:], a.dtype)
    b[:len(a)] = a
    return b


@nb.njit(cache=True, nogil=True)
def _scan(arr: np.ndarray, cdr_next: np.ndarray, table: np.ndarray, keys: np.ndarray,
          key_len: np.ndarray, key_words: np.ndarray, info: np.ndarray, nv: int, np_: int,
          st: np.ndarray, cur_s: np.ndarray, cur_e: np.ndarray, cur_o: np.ndarray,
          stack: np.ndarray, a_s: np.ndarray, a_l: np.ndarray, starts: np.ndarray,
          lines: np.ndarray, flags: np.ndarray, vs: np.ndarray, ve: np.ndarray) -> int:
    """``scan_docs``' loop from where ``st`` says: 0 done, 1 for the exact reader, 2 out of
    room (``st`` holds where to go on).

    One function: helpers taking arrays, called per tag, cost numba reference counting on
    every call (5x slower); only small ones LLVM inlines are left."""
    n = arr.size
    nf = cur_s.size
    mask = table.size - 1
    cap = starts.size
    rcap = vs.shape[0]
    i = st[_I]
    d = st[_D]
    r = st[_R]
    nl = st[_NL]
    open_lt = st[_OPEN]
    last_gt = st[_LAST]
    text_odd = st[_TEXT_ODD] != 0
    high = st[_NON_ASCII] != 0  # a byte past ASCII seen
    status = 0
    stop = _last_gt(arr)
    last_word = n - 8  # (where the last whole word starts)
    while True:
        # text: only line ends counted on the way (the branch below does no more); before the
        # last '>' with no test of the end, unsigned (see _last_gt), then as it was
        if i <= stop:
            u = np.uint64(i)
            while True:
                # a run's first _RUN bytes one by one (most runs are shorter: a word test
                # costs more than them), then 8 at a time while no byte has a class
                lim = u + _RUN
                while u < lim:
                    k0 = CLASS[arr[u]]
                    if k0 == 0:
                        u += _U1
                    elif k0 == _LF:
                        nl += 1
                        u += _U1
                    elif k0 == _HIGH:
                        high = True
                        u += _U1
                    else:
                        break
                if u < lim:
                    break
                while np.int64(u) <= last_word:
                    t = _classed(_word(arr, np.int64(u)))  # type: ignore[arg-type]
                    if t:  # (its byte, and on, one by one again)
                        u += trailing_zeros(t) >> _THREE  # type: ignore[call-arg]
                        break
                    u += _EIGHT
            i = np.int64(u)
        else:
            while i < n:
                k0 = CLASS[arr[i]]
                if k0 == 0:
                    i += 1
                elif k0 == _LF:
                    nl += 1
                    i += 1
                elif k0 == _HIGH:
                    high = True
                    i += 1
                else:
                    break
        at_end = i >= n
        c = 0 if at_end else CLASS[_at(arr, i)]
        is_start = False
        if c == _LT and i + 3 < n and _at(arr, i + 1) == 99 and _at(arr, i + 2) == 100 and \
                _at(arr, i + 3) == 114:
            if i + 4 >= n:
                status = 1
                break
            how = cdr_next[_at(arr, i + 4)]
            if how < 0:
                status = 1
                break
            is_start = how == 1
        if at_end or is_start:
            if (d >= 0 and r >= rcap) or (is_start and d + 1 >= cap):
                status = 2  # (nothing changed yet: this byte again once grown)
                break
            if d >= 0:  # the document ends here
                if open_lt >= 0:
                    st[ODD] = 1
                if not st[ODD] and st[PHASE] == 1 and not _blank(arr, last_gt + 1, i):
                    st[SKIP] = 1
                if not st[ODD]:
                    if st[HAS_END]:
                        if st[TOO_DEEP] or st[DECL_IN]:
                            st[ODD] = 1
                        elif st[MISMATCH]:
                            st[BROKEN] = 1
                    else:
                        st[BROKEN] = 1
                bad = st[ODD] != 0 or st[BROKEN] != 0 or st[SKIP] != 0 or st[MULTI] != 0
                if not bad:
                    for f in range(nf):
                        if cur_o[f] and cur_s[f] >= 0:
                            bad = True
                fl = 4 if st[PAIRED] else 0
                if not bad:
                    fl |= 1
                    for f in range(nf):
                        vs[r, f] = cur_s[f]
                        ve[r, f] = cur_e[f]
                    r += 1
                elif st[BROKEN] and not st[ODD]:
                    fl |= 2
                flags[d] = fl
            if at_end:
                break
            d += 1
            starts[d], lines[d] = i, nl + 1
            for j in range(_STATE):
                st[j] = 0
            st[PEND] = -1
            st[DOC_START] = i
            for f in range(nf):
                cur_s[f] = -1
                cur_e[f] = -1
                cur_o[f] = False
            open_lt = -1
        if c == _LT:
            if open_lt >= 0:  # the '<' before is no tag
                if d >= 0:
                    st[ODD] = 1
            open_lt = i
            if d < 0 or st[ODD]:
                i += 1
                continue
            # ---- the tag parsed where it stands (gt < 0: not of the plain kind)
            lt = i
            gt = -1
            kind = BAD
            ns = 0
            nlen = 0
            tag_nl = 0
            p = lt + 1
            c1 = _at(arr, p) if p < n else 0
            same_top = False  # an end tag naming the open element (its name, then '>')
            if c1 == 47:  # '/': an end tag
                p += 1
                # first compared with the open element's name 8 bytes at a time (one pass,
                # no test per byte); on any difference read as before
                top = st[DEPTH]
                if top <= MAX_LEVEL + 1:
                    s0, l0 = stack[top, 0], stack[top, 1]
                    e0 = p + l0
                    if l0 > 0 and e0 + 8 <= n and _at(arr, e0) == 62:
                        same_top = _same_words(arr, p, s0, l0)
                        if same_top:
                            ns, nlen, gt, kind = p, l0, e0, END
                if same_top:
                    pass
                elif p < n and NAME_START[arr[p]]:
                    ns = p
                    while p < n and NAME_CHAR[arr[p]]:
                        p += 1
                    nlen = p - ns
                    while p < n and WS[arr[p]]:
                        if arr[p] == 10:
                            tag_nl += 1
                        p += 1
                    if p < n and arr[p] == 62:
                        gt, kind = p, END
            elif c1 == 63:  # '?': <?xml ... ?>
                if p + 3 < n and arr[p + 1] == 120 and arr[p + 2] == 109 and arr[p + 3] == 108:
                    p += 4
                    while p < n:
                        k = CLASS[arr[p]]
                        if k == 0:
                            p += 1
                            continue
                        if k == _GT or k == _LT:
                            break
                        if k == _LF:
                            tag_nl += 1
                        elif _quoted_byte(arr, p, k, st):
                            high = True
                        p += 1
                    if p < n and arr[p] == 62 and p - lt >= 6 and arr[p - 1] == 63:
                        gt, kind = p, DECL
            elif NAME_START[c1]:
                ns = p
                p = _name_end(arr, p, n, stop)
                nlen = p - ns
                m = 0
                ok = True
                while True:
                    w = p
                    while w < n and WS[_at(arr, w)]:
                        if _at(arr, w) == 10:
                            tag_nl += 1
                        w += 1
                    if w >= n:
                        ok = False
                        break
                    c2 = _at(arr, w)
                    if w > p and NAME_START[c2]:  # an attribute: name, '=', quoted value
                        a0 = w
                        w = _name_end(arr, w, n, stop)
                        a1 = w
                        while w < n and WS[arr[w]]:
                            if arr[w] == 10:
                                tag_nl += 1
                            w += 1
                        if w >= n or arr[w] != 61:
                            ok = False
                            break
                        w += 1
                        while w < n and WS[arr[w]]:
                            if arr[w] == 10:
                                tag_nl += 1
                            w += 1
                        if w >= n or (arr[w] != 34 and arr[w] != 39):
                            ok = False
                            break
                        quote = arr[w]
                        quotes = ONES * np.uint64(quote)
                        w += 1
                        while w < n:
                            # 8 bytes at a time up to the first quote or byte with a class
                            # (exact at the lowest mark: see _classed), then that byte
                            while w <= last_word:
                                x = _word(arr, w)
                                t = _classed(x) | (((x ^ quotes) - ONES) & HIGHS)
                                if t:
                                    lane = trailing_zeros(t) >> _THREE  # type: ignore[call-arg]
                                    w += np.int64(lane)
                                    break
                                w += 8
                            if w >= n:
                                break
                            b = _at(arr, w)
                            if b == quote:
                                break
                            k = CLASS[b]
                            if k != 0:
                                if k == _LT or k == _GT:
                                    ok = False
                                    break
                                if k == _LF:
                                    tag_nl += 1
                                elif _quoted_byte(arr, w, k, st):
                                    high = True
                            w += 1
                        if not ok or w >= n:
                            ok = False
                            break
                        if m < a_s.size:
                            a_s[m], a_l[m] = a0, a1 - a0
                        m += 1
                        p = w + 1
                        continue
                    if c2 == 62:
                        kind = START
                    elif c2 == 47 and w + 1 < n and arr[w + 1] == 62:
                        kind = EMPTY
                        w += 1
                    else:
                        ok = False
                    break
                if ok:
                    gt = w
                    if m > 0 and not _attrs_ok(arr, a_s, a_l, m, ns + nlen):
                        kind = BAD
            if gt < 0:  # not a tag of the plain kind: the bytes again, one by one
                st[ODD] = 1
                i += 1
                continue
            # ---- a tag
            nl += tag_nl
            if lt == st[DOC_START]:
                st[PAIRED] = 1
            open_lt = -1
            i = gt + 1
            if st[ODD]:
                last_gt = gt
                text_odd = False
                continue
            st[NTAGS] += 1
            if kind == BAD:
                st[ODD] = 1
            elif st[NTAGS] == 1:  # the root, at the document's start
                if kind != START:
                    st[ODD] = 1
                else:
                    st[DEPTH] = 1
                    stack[1, 0], stack[1, 1] = ns, nlen
            elif st[PHASE] == 1:  # after the root: white space and one declaration
                if not _blank(arr, last_gt + 1, lt):
                    st[SKIP] = 1
                st[EXTRA] += 1
                if st[EXTRA] > 1 or kind != DECL:
                    st[SKIP] = 1
            else:  # inside the root
                if st[PEND] >= 0:  # the text of the field before ends here
                    f = st[PEND]
                    st[PEND] = -1
                    if not st[PEND_LEAF] or kind == END:
                        a = st[PEND_GT] + 1
                        if lt > a:
                            cur_s[f], cur_e[f], cur_o[f] = a, lt, text_odd
                        else:
                            cur_s[f], cur_e[f], cur_o[f] = -1, -1, False
                if kind == END:
                    level = st[DEPTH]
                    if level <= MAX_LEVEL + 1 and not same_top and not _same(
                            arr, stack[level, 0], stack[level, 1], ns, nlen):
                        st[MISMATCH] = 1
                    if level == 2:
                        if st[VAR_ST] == 1:
                            st[VAR_ST] = 2
                        if st[CF_ST] == 1:
                            st[CF_ST] = 2
                    elif level == 3:
                        if st[CP_ST] == 1:
                            st[CP_ST] = 2
                        if st[TM_ST] == 1:
                            st[TM_ST] = 2
                    st[DEPTH] = level - 1
                    if level == 1:
                        st[HAS_END] = 1
                        st[PHASE] = 1
                elif kind == DECL:
                    st[DECL_IN] = 1
                else:
                    level = st[DEPTH] + 1
                    if level > MAX_LEVEL:
                        st[TOO_DEEP] = 1
                    if kind == START:
                        if level <= MAX_LEVEL + 1:
                            stack[level, 0], stack[level, 1] = ns, nlen
                        st[DEPTH] = level
                    opened = 1 if kind == START else 2
                    want = -1  # the field this element is, if any
                    leaf = 0
                    # the name among the table's, looked up only where one may be taken
                    # (written here, once: LLVM left a function called from five places out
                    # of line, and a call passes its five arrays on the stack)
                    if level == 2:
                        look = not st[MULTI]
                    elif level == 3:
                        look = st[VAR_ST] == 1 or st[CF_ST] == 1
                    elif level == 4:
                        look = st[CP_ST] == 1 or st[TM_ST] == 1
                    else:
                        look = False
                    k = -1
                    if look and nlen <= keys.shape[1]:
                        h = name_hash(arr[ns], arr[ns + nlen // 2], arr[ns + (nlen * 3) // 4],
                                      arr[ns + nlen - 1], nlen) & mask
                        words = ns + nlen + 8 <= n
                        while table[h] >= 0:
                            kt = table[h]
                            if key_len[kt] == nlen and (
                                    _same_as_key(arr, ns, nlen, key_words, kt) if words
                                    else _same_as_key_bytes(arr, ns, nlen, keys, kt)):
                                k = kt
                                break
                            h = (h + 1) & mask
                    if k < 0:
                        pass
                    elif level == 2:
                        code = info[k, 0]
                        if code == VARIABLES and st[VAR_ST] == 0:
                            st[VAR_ST] = opened
                        elif code == CALLFLOW:
                            st[CF_COUNT] += 1
                            if st[CF_COUNT] > 1:
                                st[MULTI] = 1
                            else:
                                st[CF_ST] = opened
                    elif level == 3 and st[VAR_ST] == 1:
                        if info[k, 1] >= 0:
                            want = info[k, 1]
                    elif level == 3:  # (in callflow)
                        code = info[k, 0]
                        if code == CALLER_PROFILE and st[CP_ST] == 0:
                            st[CP_ST] = opened
                        elif code == TIMES and st[TM_ST] == 0:
                            st[TM_ST] = opened
                    elif st[CP_ST] == 1:  # (level 4)
                        if info[k, 2] >= 0:
                            want = nv + info[k, 2]
                            leaf = 1
                    elif info[k, 3] >= 0:  # (level 4, in times)
                        want = nv + np_ + info[k, 3]
                    if want >= 0:
                        if kind == START:  # its text: up to the next tag
                            st[PEND], st[PEND_LEAF], st[PEND_GT] = want, leaf, gt
                        else:
                            cur_s[want], cur_e[want], cur_o[want] = -1, -1, False
            last_gt = gt
            text_odd = False
        elif c == _GT:
            if d >= 0:
                if i >= 2 and arr[i - 1] == 93 and arr[i - 2] == 93:
                    st[ODD] = 1
                if open_lt < 0:
                    st[ODD] = 1
                elif open_lt == st[DOC_START]:
                    st[PAIRED] = 1
            open_lt = -1
            last_gt = i
            text_odd = False
            i += 1
        elif c == _LF:
            nl += 1
            i += 1
        elif c == _CR:
            if open_lt < 0:
                text_odd = True
            i += 1
        elif c == _AMP:
            if d >= 0:
                if not _ref_ok(arr, i):
                    st[ODD] = 1
                elif open_lt < 0:
                    text_odd = True
            i += 1
        elif c == _CTRL:
            if d >= 0:
                st[ODD] = 1
            i += 1
        else:  # 0xEF: U+FFFE, U+FFFF
            high = True
            if d >= 0 and _noncharacter(arr, i):
                st[ODD] = 1
            i += 1
    st[_I] = i
    st[_D] = d
    st[_R] = r
    st[_NL] = nl
    st[_OPEN] = open_lt
    st[_LAST] = last_gt
    st[_TEXT_ODD] = text_odd
    st[_NON_ASCII] = high
    return status
