"""Compiled byte loops for the batch PASSporT claims of ``columns.sip`` (numba).

``passport_claims`` reads an Arrow string column of Identity header values once (each
distinct header, or every row): per row it accepts only the plain shape (``header.payload.signature`` in the base64url
alphabet, then nothing or ``;params`` without a comma), base64url-decodes the payload and
reads its JSON with a strict subset of the grammar Python's ``json.loads`` accepts: ASCII
or valid UTF-8 text, no NaN/Infinity, numbers of at most ``MAX_NUMBER`` characters, nesting
of at most ``MAX_DEPTH`` levels, and for the claims the columns use (attest, origid, iat,
orig.tn, dest.tn) only the plain types: strings without escapes, null, integers of at most
18 digits, tn a string (orig) or an array of strings (dest), each key at most once. Any
row outside that subset is left to ``decode_identity`` (status 0): a refusal is always
exact, since only the rows the kernel accepts take its reading. The canonical layout
signers write (RFC 8225 key order) is read flat first (``_canonical``), anything else by
the general reader (``_claims``); header segments are numbered by comparing their bytes
with the segments read before (``_head``).

Imported only when ``identity_claims_distinct`` has enough distinct headers (numba costs
~0.2 s to import). Every index taken from the data is checked against its array's length.
"""
from __future__ import annotations

import numba as nb
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

from workbench.common.words import HIGHS, ONES, put_word, word

#: the attest, origid, orig, dest (first tn) and dests (every tn, comma-joined) columns
ATTEST, ORIGID, ORIG, DEST, DESTS = 0, 1, 2, 3, 4
#: longest number token (anywhere in the claims) the kernel reads; Python refuses over
#: 4300 digits with a ValueError, which the exact path must raise
MAX_NUMBER = 64
#: deepest nesting of arrays and objects the kernel reads (json.loads recurses)
MAX_DEPTH = 32
#: most dest tn the kernel reads
MAX_TN = 64
#: most distinct header segments the kernel numbers (one a signer: a few in real traffic)
MAX_HEADS = 64

_B64 = np.full(256, -1, np.int8)  # base64url alphabet: the 6-bit value, -1 elsewhere
for _i, _c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"):
    _B64[_c] = _i
_ESC = np.zeros(256, np.uint8)  # single-character escapes json.loads reads
for _c in b'"\\/bfnrt':
    _ESC[_c] = 1
_HEX = np.zeros(256, np.uint8)
for _c in b"0123456789abcdefABCDEF":
    _HEX[_c] = 1
_KEYS = (b"attest", b"origid", b"iat", b"orig", b"dest")
_NAMES = np.zeros((len(_KEYS), 8), np.uint8)  # tracked keys, zero-padded
_LENS = np.zeros(len(_KEYS), np.int64)
for _k, _name in enumerate(_KEYS):
    _NAMES[_k, :len(_name)] = np.frombuffer(_name, np.uint8)
    _LENS[_k] = len(_name)
_IAT, _ORIG, _DEST = 2, 3, 4
#: the members of a canonical PASSporT (RFC 8225: keys in order, as signers write them),
#: each literal the text before a value, blanks allowed around every structural byte
_LITERALS = (b'{"attest":', b',"dest":{"tn":[', b']},"iat":', b',"orig":{"tn":', b'},"origid":', b'}')
_LIT = np.zeros((len(_LITERALS), 16), np.uint8)
_LIT_LENS = np.zeros(len(_LITERALS), np.int64)
for _k, _text in enumerate(_LITERALS):
    _LIT[_k, :len(_text)] = np.frombuffer(_text, np.uint8)
    _LIT_LENS[_k] = len(_text)
#: each literal as two little-endian words and the masks of its bytes (no blanks: the
#: compact text, compared a word at a time)
_LIT_WORDS = _LIT.view(np.uint64).copy()
_LIT_MASKS = (_LIT != 0).astype(np.uint8).view(np.uint64) * np.uint64(0xFF)
#: room ``scratch`` keeps past the decoded claims, for the words read near their end
SLACK = 16
# eight string bytes at once (as ``freeswitch_json_kernels``): a word holding a '"', a '\\',
# a control byte or one past ASCII (``haszero`` of the word xor the byte)
_QUOTES, _BACKSLASHES = np.uint64(0x2222222222222222), np.uint64(0x5C5C5C5C5C5C5C5C)
_SPACES = np.uint64(0x2020202020202020)
_COMMAS = np.uint64(0x2C2C2C2C2C2C2C2C)
_COMMA = np.full(SLACK, 44, np.uint8)  # the separator of the dests column, with its slack
_TRUE = np.frombuffer(b"true", np.uint8)
_FALSE = np.frombuffer(b"false", np.uint8)
_NULL = np.frombuffer(b"null", np.uint8)


@nb.njit(cache=True, nogil=True, inline="always")
def _ws(d: np.ndarray, p: int, end: int) -> int:
    while p < end and (d[p] == 32 or d[p] == 9 or d[p] == 10 or d[p] == 13):
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def _utf8(d: np.ndarray, p: int, end: int) -> int:
    """Length of the strict UTF-8 sequence at ``p`` (no surrogates, no overlongs); 0 if
    there is none."""
    c = d[p]
    if 0xC2 <= c <= 0xDF:
        n, lo, hi = 2, 0x80, 0xBF
    elif c == 0xE0:
        n, lo, hi = 3, 0xA0, 0xBF
    elif 0xE1 <= c <= 0xEC or 0xEE <= c <= 0xEF:
        n, lo, hi = 3, 0x80, 0xBF
    elif c == 0xED:
        n, lo, hi = 3, 0x80, 0x9F
    elif c == 0xF0:
        n, lo, hi = 4, 0x90, 0xBF
    elif 0xF1 <= c <= 0xF3:
        n, lo, hi = 4, 0x80, 0xBF
    elif c == 0xF4:
        n, lo, hi = 4, 0x80, 0x8F
    else:
        return 0
    if p + n > end or not lo <= d[p + 1] <= hi:
        return 0
    for k in range(2, n):
        if not 0x80 <= d[p + k] <= 0xBF:
            return 0
    return n


@nb.njit(cache=True, nogil=True)
def _string(d: np.ndarray, p: int, end: int) -> tuple[int, bool]:
    """End (after the closing quote) of the JSON string opening at ``p``, and whether it
    holds an escape; -1 if it is not one json.loads reads."""
    p += 1
    escaped = False
    while p < end:
        c = d[p]
        if c == 34:  # "
            return p + 1, escaped
        if c < 0x20:
            return -1, escaped
        if c == 92:  # backslash
            escaped = True
            if p + 1 >= end:
                return -1, escaped
            e = d[p + 1]
            if _ESC[e]:
                p += 2
            elif e == 117:  # u + four hex digits (json.loads reads lone surrogates too)
                if p + 6 > end:
                    return -1, escaped
                for k in range(2, 6):
                    if not _HEX[d[p + k]]:
                        return -1, escaped
                p += 6
            else:
                return -1, escaped
        elif c < 0x80:
            p += 1
        else:
            n = _utf8(d, p, end)
            if n == 0:
                return -1, escaped
            p += n
    return -1, escaped


@nb.njit(cache=True, nogil=True, inline="always")
def _digits(d: np.ndarray, p: int, end: int) -> int:
    while p < end and 48 <= d[p] <= 57:
        p += 1
    return p


@nb.njit(cache=True, nogil=True)
def _number(d: np.ndarray, p: int, end: int) -> tuple[int, bool]:
    """End of the strict JSON number at ``p`` and whether it is an integer; -1 if none."""
    start = p
    if p < end and d[p] == 45:  # -
        p += 1
    if p >= end:
        return -1, False
    if d[p] == 48:  # 0
        p += 1
    elif 49 <= d[p] <= 57:
        p = _digits(d, p, end)
    else:
        return -1, False
    integer = True
    if p < end and d[p] == 46:  # .
        q = _digits(d, p + 1, end)
        if q == p + 1:
            return -1, False
        p, integer = q, False
    if p < end and (d[p] == 101 or d[p] == 69):  # e E
        p += 1
        if p < end and (d[p] == 43 or d[p] == 45):
            p += 1
        q = _digits(d, p, end)
        if q == p:
            return -1, False
        p, integer = q, False
    if p - start > MAX_NUMBER:
        return -1, False
    return p, integer


@nb.njit(cache=True, nogil=True, inline="always")
def _word(d: np.ndarray, p: int, end: int, word: np.ndarray) -> bool:
    n = len(word)
    if p + n > end:
        return False
    for k in range(n):
        if d[p + k] != word[k]:
            return False
    return True


@nb.njit(cache=True, nogil=True)
def _literal(d: np.ndarray, p: int, end: int) -> int:
    """End of true/false/null at ``p``; -1 if none."""
    if _word(d, p, end, _TRUE):
        return p + 4
    if _word(d, p, end, _FALSE):
        return p + 5
    if _word(d, p, end, _NULL):
        return p + 4
    return -1


@nb.njit(cache=True, nogil=True, inline="always")
def _null(d: np.ndarray, p: int, end: int) -> bool:
    return _word(d, p, end, _NULL)


@nb.njit(cache=True, nogil=True)
def _scalar(d: np.ndarray, p: int, end: int) -> int:
    c = d[p]
    if c == 34:
        return _string(d, p, end)[0]
    if c == 45 or 48 <= c <= 57:
        return _number(d, p, end)[0]
    return _literal(d, p, end)


@nb.njit(cache=True, nogil=True)
def _key(d: np.ndarray, p: int, end: int) -> int:
    """After a member's key and its colon (and blanks): the position, or -1."""
    if p >= end or d[p] != 34:
        return -1
    p = _string(d, p, end)[0]
    if p < 0:
        return -1
    p = _ws(d, p, end)
    if p >= end or d[p] != 58:  # :
        return -1
    return _ws(d, p + 1, end)


@nb.njit(cache=True, nogil=True)
def _skip(d: np.ndarray, p: int, end: int) -> int:
    """End of the JSON value at ``p`` (any kind, nested); -1 if json.loads might read it
    otherwise or refuse it."""
    stack = np.zeros(MAX_DEPTH, np.uint8)  # 1 object, 2 array
    depth = 0
    while True:
        p = _ws(d, p, end)
        if p >= end:
            return -1
        c = d[p]
        if c == 123 or c == 91:  # { [
            close = 125 if c == 123 else 93
            q = _ws(d, p + 1, end)
            if q < end and d[q] == close:
                p = q + 1
            else:
                if depth >= MAX_DEPTH:
                    return -1
                stack[depth] = 1 if c == 123 else 2
                depth += 1
                p = _key(d, q, end) if c == 123 else q
                if p < 0:
                    return -1
                continue
        else:
            p = _scalar(d, p, end)
            if p < 0:
                return -1
        while True:  # a value ended: close what it ends
            if depth == 0:
                return p
            p = _ws(d, p, end)
            if p >= end:
                return -1
            close = 125 if stack[depth - 1] == 1 else 93
            if d[p] == close:
                p += 1
                depth -= 1
            elif d[p] == 44:  # ,
                p = _ws(d, p + 1, end)
                if stack[depth - 1] == 1:
                    p = _key(d, p, end)
                    if p < 0:
                        return -1
                break
            else:
                return -1


@nb.njit(cache=True, nogil=True)
def _plain(d: np.ndarray, p: int, end: int) -> int:
    """End of a JSON string without escapes at ``p``, or -1."""
    if p >= end or d[p] != 34:
        return -1
    q, escaped = _string(d, p, end)
    return -1 if escaped else q


@nb.njit(cache=True, nogil=True)
def _which(d: np.ndarray, lo: int, hi: int) -> int:
    """Index in ``_KEYS`` of the key text ``d[lo:hi]``; -1 for any other key."""
    n = hi - lo
    for k in range(_LENS.size):
        if _LENS[k] == n:
            same = True
            for j in range(n):
                if d[lo + j] != _NAMES[k, j]:
                    same = False
                    break
            if same:
                return k
    return -1


@nb.njit(cache=True, nogil=True)
def _member_key(d: np.ndarray, p: int, end: int) -> tuple[int, int, int]:
    """Key span (lo, hi) of the member at ``p`` and the position of its value; -1s if the
    key has an escape (its text would differ from its bytes) or is malformed."""
    q = _plain(d, p, end)
    if q < 0:
        return -1, -1, -1
    v = _ws(d, q, end)
    if v >= end or d[v] != 58:
        return -1, -1, -1
    return p + 1, q - 1, _ws(d, v + 1, end)


@nb.njit(cache=True, nogil=True)
def _tn(d: np.ndarray, p: int, end: int, spans: np.ndarray, many: bool) -> tuple[int, int]:
    """Read the orig (``many`` False) or dest object at ``p``: its tn spans go to ``spans``
    (pairs). Returns the end of the object and the number of tn read; -1 if refused."""
    count = 0
    if _null(d, p, end):
        return p + 4, 0
    if p >= end or d[p] != 123:
        return -1, 0
    p = _ws(d, p + 1, end)
    if p < end and d[p] == 125:
        return p + 1, 0
    seen = False
    while True:
        klo, khi, p = _member_key(d, p, end)
        if p < 0:
            return -1, 0
        if khi - klo == 2 and d[klo] == 116 and d[klo + 1] == 110:  # tn
            if seen:
                return -1, 0
            seen = True
            if _null(d, p, end):
                p += 4
            elif not many:
                q = _plain(d, p, end)
                if q < 0:
                    return -1, 0
                spans[0], spans[1] = p + 1, q - 1
                count, p = 1, q
            elif p < end and d[p] == 91:  # [
                p = _ws(d, p + 1, end)
                if p < end and d[p] == 93:
                    p += 1
                else:
                    while True:
                        q = _plain(d, p, end)
                        if q < 0 or count >= MAX_TN:
                            return -1, 0
                        spans[2 * count], spans[2 * count + 1] = p + 1, q - 1
                        count += 1
                        p = _ws(d, q, end)
                        if p < end and d[p] == 93:
                            p += 1
                            break
                        if p >= end or d[p] != 44:
                            return -1, 0
                        p = _ws(d, p + 1, end)
            else:
                return -1, 0
        else:
            p = _skip(d, p, end)
            if p < 0:
                return -1, 0
        p = _ws(d, p, end)
        if p < end and d[p] == 125:
            return p + 1, count
        if p >= end or d[p] != 44:
            return -1, 0
        p = _ws(d, p + 1, end)


@nb.njit(cache=True, nogil=True)
def _claims(d: np.ndarray, end: int, spans: np.ndarray, tns: np.ndarray
            ) -> tuple[bool, int, bool, int]:
    """Read the claims object ``d[:end]``. ``spans``: (lo, hi) of attest, origid and the orig
    tn (-1 where null); ``tns``: the dest tn spans. Returns (accepted, iat, iat is null,
    number of dest tn)."""
    for k in range(6):
        spans[k] = -1
    iat, iat_null, ndest = 0, True, 0
    p = _ws(d, 0, end)
    if p >= end or d[p] != 123:
        return False, iat, iat_null, ndest
    p = _ws(d, p + 1, end)
    seen = 0  # bit k: key k read
    if p < end and d[p] == 125:
        p += 1
    else:
        while True:
            klo, khi, p = _member_key(d, p, end)
            if p < 0:
                return False, iat, iat_null, ndest
            k = _which(d, klo, khi)
            if k >= 0:
                if seen & (1 << k):
                    return False, iat, iat_null, ndest
                seen |= 1 << k
            if k == ATTEST or k == ORIGID:
                if _null(d, p, end):
                    p += 4
                else:
                    q = _plain(d, p, end)
                    if q < 0:
                        return False, iat, iat_null, ndest
                    spans[2 * k], spans[2 * k + 1] = p + 1, q - 1
                    p = q
            elif k == _IAT:
                if _null(d, p, end):
                    p += 4
                else:
                    q, integer = _number(d, p, end)
                    if q < 0 or not integer:
                        return False, iat, iat_null, ndest
                    neg = 1 if d[p] == 45 else 0
                    if q - p - neg > 18:  # |iat| < 10**18: an int64, inside +-2**62
                        return False, iat, iat_null, ndest
                    value = 0
                    for j in range(p + neg, q):
                        value = value * 10 + (d[j] - 48)
                    iat, iat_null, p = -value if neg else value, False, q
            elif k == _ORIG:
                p, got = _tn(d, p, end, spans[4:6], False)
                if p < 0:
                    return False, iat, iat_null, ndest
            elif k == _DEST:
                p, ndest = _tn(d, p, end, tns, True)
                if p < 0:
                    return False, iat, iat_null, ndest
            else:
                p = _skip(d, p, end)
                if p < 0:
                    return False, iat, iat_null, ndest
            p = _ws(d, p, end)
            if p < end and d[p] == 125:
                p += 1
                break
            if p >= end or d[p] != 44:
                return False, iat, iat_null, ndest
            p = _ws(d, p + 1, end)
    return _ws(d, p, end) == end, iat, iat_null, ndest


@nb.njit(cache=True, nogil=True)
def _literal_at(d: np.ndarray, p: int, end: int, k: int) -> int:
    """After ``_LITERALS[k]`` at ``p`` (blanks allowed, see ``_spaced_literal_at``), or -1;
    the compact text is compared a word at a time (``d`` keeps ``SLACK`` bytes past
    ``end``)."""
    if p >= 0 and p + _LIT_LENS[k] <= end:
        if ((word(d, p) & _LIT_MASKS[k, 0]) == _LIT_WORDS[k, 0]
                and (word(d, p + 8) & _LIT_MASKS[k, 1]) == _LIT_WORDS[k, 1]):
            return _ws(d, p + _LIT_LENS[k], end)
    return _spaced_literal_at(d, p, end, k)


@nb.njit(cache=True, nogil=True)
def _spaced_literal_at(d: np.ndarray, p: int, end: int, k: int) -> int:
    """After ``_LITERALS[k]`` at ``p`` (JSON blanks allowed before each of its bytes that is
    structural, i.e. not inside its quoted keys), or -1."""
    quoted = False
    for j in range(_LIT_LENS[k]):
        c = _LIT[k, j]
        if not quoted:
            p = _ws(d, p, end)
        if p >= end or d[p] != c:
            return -1
        p += 1
        if c == 34:
            quoted = not quoted
    return _ws(d, p, end)


@nb.njit(cache=True, nogil=True)
def _ascii_string(d: np.ndarray, p: int, end: int) -> int:
    """End (after the closing quote) of a string at ``p`` of printable ASCII without escapes
    (its text is its bytes), or -1."""
    if p < 0 or p >= end or d[p] != 34:
        return -1
    p += 1
    while p + 8 <= end:  # eight bytes at a time: the first '"', '\\', control or non-ASCII
        x = word(d, p)  # (exact for the lowest mark: a borrow only runs up from a match)
        t1, t2 = x ^ _QUOTES, x ^ _BACKSLASHES
        mark = (((t1 - ONES) & ~t1) | ((t2 - ONES) & ~t2) | ((x - _SPACES) & ~x) | x) & HIGHS
        if mark:
            p += trailing_zeros(mark) >> 3  # type: ignore[call-arg]
            return p + 1 if d[p] == 34 else -1
        p += 8
    while p < end:
        c = d[p]
        if c == 34:
            return p + 1
        if c < 0x20 or c >= 0x80 or c == 92:
            return -1
        p += 1
    return -1


@nb.njit(cache=True, nogil=True)
def _canonical(d: np.ndarray, end: int, spans: np.ndarray, tns: np.ndarray
               ) -> tuple[bool, int, int]:
    """Read the claims ``d[:end]`` if they have the canonical layout
    ``{"attest":"..","dest":{"tn":[".."(,"..")*]},"iat":N,"orig":{"tn":".."},"origid":".."}``
    (blanks anywhere JSON allows them, strings of printable ASCII without escapes, N an
    integer of at most 18 digits): (read, iat, number of dest tn), with the spans
    ``_claims`` gives. Any other text is left to ``_claims`` (read False): this is only the
    common case written flat, without its calls."""
    p = _literal_at(d, 0, end, 0)
    q = _ascii_string(d, p, end)
    if q < 0:
        return False, 0, 0
    spans[0], spans[1] = p + 1, q - 1
    p = _literal_at(d, q, end, 1)
    ndest = 0
    while p >= 0:
        q = _ascii_string(d, p, end)
        if q < 0 or ndest >= MAX_TN:
            return False, 0, 0
        tns[2 * ndest], tns[2 * ndest + 1] = p + 1, q - 1
        ndest += 1
        p = _ws(d, q, end)
        if p < end and d[p] == 44:
            p = _ws(d, p + 1, end)
        else:
            break
    if p < 0:
        return False, 0, 0
    p = _literal_at(d, p, end, 2)
    if p < 0:
        return False, 0, 0
    neg = p < end and d[p] == 45
    if neg:
        p += 1
    q = _digits(d, p, end)
    if q == p or q - p > 18 or (d[p] == 48 and q - p > 1):
        return False, 0, 0
    iat = 0
    for j in range(p, q):
        iat = iat * 10 + (d[j] - 48)
    if neg:
        iat = -iat
    p = _literal_at(d, q, end, 3)  # a '.', 'e' or 'E' after the digits fails here
    q = _ascii_string(d, p, end)
    if q < 0:
        return False, 0, 0
    spans[4], spans[5] = p + 1, q - 1
    p = _literal_at(d, q, end, 4)
    q = _ascii_string(d, p, end)
    if q < 0:
        return False, 0, 0
    spans[2], spans[3] = p + 1, q - 1
    p = _literal_at(d, q, end, 5)
    return p == end, iat, ndest


@nb.njit(cache=True, nogil=True, inline="always")
def _segment(data: np.ndarray, p: int, b: int) -> int:
    """End of the base64url run from ``p`` (its first byte outside the alphabet, or ``b``),
    four bytes a step while all four are in it."""
    while p + 4 <= b and (_B64[data[p]] | _B64[data[p + 1]] | _B64[data[p + 2]]
                          | _B64[data[p + 3]]) >= 0:
        p += 4
    while p < b and _B64[data[p]] >= 0:
        p += 1
    return p


@nb.njit(cache=True, nogil=True, inline="always")
def _same(data: np.ndarray, s: int, a: int, n: int) -> bool:
    """Whether ``data[a:a + n]`` equals ``data[s:s + n]`` (both inside ``data``), compared a
    word at a time, the last word overlapping the one before."""
    if n < 8:
        for k in range(n):
            if data[s + k] != data[a + k]:
                return False
        return True
    for k in range(0, n - 7, 8):
        if word(data, s + k) != word(data, a + k):
            return False
    same: bool = word(data, s + n - 8) == word(data, a + n - 8)
    return same


@nb.njit(cache=True, nogil=True, inline="always")
def _head(data: np.ndarray, a: int, b: int, heads: np.ndarray, seen: np.ndarray) -> tuple[int, int]:
    """End of the header segment of ``data[a:b]`` (-1 if it is not a base64url run followed
    by a '.') and its number among the distinct header segments read so far (``heads``:
    their (start, length); ``seen[0]`` how many, ``seen[1]`` the last one matched); -1 for
    the number when the table is full. One signer's header segment repeats on every call:
    bytes equal to a segment read before are that segment, so a word compare replaces the
    alphabet check of every byte."""
    last = seen[1]
    if last >= 0:
        n = heads[last, 1]
        if a + n < b and data[a + n] == 46 and _same(data, heads[last, 0], a, n):
            return a + n, last
    for k in range(seen[0]):
        n = heads[k, 1]
        if k != last and a + n < b and data[a + n] == 46 and _same(data, heads[k, 0], a, n):
            seen[1] = k
            return a + n, k
    h = _segment(data, a, b)
    if h == a or h >= b or data[h] != 46:
        return -1, -1
    k = seen[0]
    if k == heads.shape[0]:
        return h, -1
    heads[k, 0], heads[k, 1] = a, h - a
    seen[0], seen[1] = k + 1, k
    return h, k


@nb.njit(cache=True, nogil=True, inline="always")
def _decode_run(data: np.ndarray, lo: int, b: int, out: np.ndarray) -> tuple[int, int]:
    """Decode the base64url run from ``lo`` (up to the first byte outside the alphabet, or
    ``b``) into ``out``: (its end, the decoded length), the length -1 for a run length Python
    refuses. Extra low bits of the last character are ignored, as ``binascii`` does. The
    alphabet check rides on the decoding's own table lookups."""
    m = 0
    k = lo
    while k + 4 <= b:  # four characters, three bytes
        c0, c1 = np.int64(_B64[data[k]]), np.int64(_B64[data[k + 1]])
        c2, c3 = np.int64(_B64[data[k + 2]]), np.int64(_B64[data[k + 3]])
        if (c0 | c1 | c2 | c3) < 0:
            break
        v = (c0 << 18) | (c1 << 12) | (c2 << 6) | c3
        out[m] = (v >> 16) & 0xFF
        out[m + 1] = (v >> 8) & 0xFF
        out[m + 2] = v & 0xFF
        m += 3
        k += 4
    q = k
    while q < b and q < k + 4 and _B64[data[q]] >= 0:
        q += 1
    rest = q - k
    if rest == 1:
        return q, -1
    if rest >= 2:
        v = (np.int64(_B64[data[k]]) << 18) | (np.int64(_B64[data[k + 1]]) << 12)
        if rest == 3:
            v |= np.int64(_B64[data[k + 2]]) << 6
        out[m] = (v >> 16) & 0xFF
        m += 1
        if rest == 3:
            out[m] = (v >> 8) & 0xFF
            m += 1
    return q, m


@nb.njit(cache=True, nogil=True, inline="always")
def _append(buf: np.ndarray, used: np.ndarray, c: int, src: np.ndarray, lo: int, hi: int
            ) -> np.ndarray:
    """``src[lo:hi]`` appended to column ``c``'s bytes ``buf`` at ``used[c]`` (grown to at
    least twice its size when it lacks the room), a word at a time: ``src`` keeps ``SLACK``
    bytes past its text and ``buf`` a word past its end, so the last word may write up to 7
    bytes past the text, into room the next value overwrites. Returns the buffer."""
    at, more = used[c], hi - lo
    if at + more + 8 > buf.size:
        new = np.empty(max(at + more + 8, 2 * buf.size), np.uint8)
        new[:at] = buf[:at]
        buf = new
    for k in range(0, more, 8):
        put_word(buf, at + k, word(src, lo + k))
    used[c] = at + more
    return buf


@nb.njit(cache=True, nogil=True)
def _row(data: np.ndarray, a: int, b: int, scratch: np.ndarray, spans: np.ndarray, tns: np.ndarray,
         out: np.ndarray, heads: np.ndarray, seen: np.ndarray) -> bool:
    """Read the row ``data[a:b]``: whether it is plain (``header.payload.signature`` in the
    base64url alphabet, then nothing or ``;params`` without a comma) and its claims are read
    here. ``out``: end of the header segment, iat, 1 if iat is null, decoded payload length,
    number of dest tn, the header segment's number (``_head``). A row too long for
    ``scratch`` is refused with ``out[3]`` set, for the caller to grow it and read again."""
    out[3] = 0
    if a < 0 or b < a or b > data.size:
        return False
    h, k = _head(data, a, b, heads, seen)
    if h < 0:
        return False
    if (b - h) * 3 // 4 + 3 + SLACK > scratch.size:
        out[3] = (b - h) * 3 // 4 + 3 + SLACK
        return False
    q, m = _decode_run(data, h + 1, b, scratch)
    if q == h + 1 or q >= b or data[q] != 46 or m < 0:
        return False
    s = _segment(data, q + 1, b)
    if s < b and data[s] != 59:  # ;
        return False
    while s + 8 <= b:  # a ',' (several headers): eight bytes at a time, then one by one
        t = word(data, s) ^ _COMMAS
        if (t - ONES) & ~t & HIGHS:
            return False
        s += 8
    for j in range(s, b):
        if data[j] == 44:
            return False
    got, value, ndest = _canonical(scratch, m, spans, tns)
    null = False
    if not got:
        got, value, null, ndest = _claims(scratch, m, spans, tns)
    out[0], out[1], out[2], out[4], out[5] = h, value, 1 if null else 0, ndest, k
    return got


@nb.njit(cache=True, nogil=True)
def passport_claims(offsets: np.ndarray, data: np.ndarray) -> tuple[np.ndarray, ...]:
    """The claims of each plain row of an Arrow string column (``offsets``: its offsets as
    int64, from the array's offset; ``data``: its whole data buffer). Returns ``ok`` (1
    where read here), each row's header segment as a number (-1 past ``MAX_HEADS`` distinct
    ones, or where not read) and the (start, length) in ``data`` of each numbered one,
    ``iat`` and its validity, and for the five string columns the offsets (int32, one row a
    column), validity and bytes."""
    n = offsets.size - 1
    ok = np.zeros(n, np.uint8)
    head = np.full(n, -1, np.int32)
    iat = np.zeros(n, np.int64)
    iat_ok = np.zeros(n, np.uint8)
    offs = np.zeros((5, n + 1), np.int32)
    valid = np.zeros((5, n), np.uint8)
    size = max(64, data.size // 16)
    b0 = np.empty(size, np.uint8)
    b1 = np.empty(size, np.uint8)
    b2 = np.empty(size, np.uint8)
    b3 = np.empty(size, np.uint8)
    b4 = np.empty(size, np.uint8)
    used = np.zeros(5, np.int64)
    scratch = np.empty(1024, np.uint8)
    out = np.zeros(6, np.int64)
    spans = np.empty(6, np.int64)
    tns = np.empty(2 * MAX_TN, np.int64)
    heads = np.zeros((MAX_HEADS, 2), np.int64)
    seen = np.zeros(2, np.int64)
    seen[1] = -1
    for i in range(n):
        a, b = offsets[i], offsets[i + 1]
        got = _row(data, a, b, scratch, spans, tns, out, heads, seen)
        if not got and out[3] > 0:  # a row longer than any before
            scratch = np.empty(2 * out[3], np.uint8)
            got = _row(data, a, b, scratch, spans, tns, out, heads, seen)
        if not got:
            for c in range(5):
                offs[c, i + 1] = used[c]
            continue
        value, null, ndest = out[1], out[2] == 1, out[4]
        ok[i], head[i] = 1, out[5]
        if not null:
            iat[i], iat_ok[i] = value, 1
        if spans[0] >= 0:
            b0 = _append(b0, used, ATTEST, scratch, spans[0], spans[1])
            valid[ATTEST, i] = 1
        if spans[2] >= 0:
            b1 = _append(b1, used, ORIGID, scratch, spans[2], spans[3])
            valid[ORIGID, i] = 1
        if spans[4] >= 0:
            b2 = _append(b2, used, ORIG, scratch, spans[4], spans[5])
            valid[ORIG, i] = 1
        if ndest:
            b3 = _append(b3, used, DEST, scratch, tns[0], tns[1])
            valid[DEST, i] = valid[DESTS, i] = 1
            for t in range(ndest):
                if t:
                    b4 = _append(b4, used, DESTS, _COMMA, 0, 1)
                b4 = _append(b4, used, DESTS, scratch, tns[2 * t], tns[2 * t + 1])
        for c in range(5):
            offs[c, i + 1] = used[c]
    return (ok, head, heads[:seen[0]].copy(), iat, iat_ok, offs, valid, b0[:used[0]],
            b1[:used[1]], b2[:used[2]], b3[:used[3]], b4[:used[4]])
