"""Compiled byte loops for the NANP fast path of ``columns.numbers`` (numba).

``nanp_keys`` reads an Arrow string column's offsets and bytes once and gives each row the
key the chosen numpy readers (``_fast_nanp``, ``_uri_nanp``, ``_layout_nanp``,
``_unmarked_nanp``) would give it, applied in that order to the rows each one leaves: the
numpy way took several passes over the column, a gather of the rows left and a copy of
their text for each reader. ``first_seen`` factorizes int64 keys as Arrow's
``dictionary_encode`` does (codes in order of first occurrence) with an open-addressing
table, and ``e164_text`` writes "+" and the digits of each key into Arrow string buffers.
``nanp_validity``, ``factorize_sorted`` and ``pack_rows``/``unpack_rows`` do in one pass
each what ``numbers._validity``, ``keysort.factorize_sorted`` and ``keysort``'s packed sort
do in several numpy passes with whole-column temporaries (those stay the short-column path
and the tests' oracle).

Imported only where a column is normalized (numba costs ~0.2 s to import): never at the
top of a reader module. Every index taken from the data is checked against its array's
length; a column the kernel cannot read exactly (an offset out of range, a layout wider
than ``MAX_LAYOUT``) comes back with status ``BAIL`` and is read by the numpy readers.
"""
from __future__ import annotations

import numba
import numpy as np

from workbench.columns.numbers import (  # SWAR masks
    _HALF,
    _HIGH,
    _LOW,
    _PAIRS,
    _QUADS,
    _SIX8,
    _ZEROS8,
)

#: reader bits of ``nanp_keys`` (the order in which they apply is fixed)
FAST, URI, LAYOUT, UNMARKED = 1, 2, 4, 8
BAIL = 1
#: widest value the layout reader learns a layout from; a wider one in the head that could
#: be a layout sends the column to the numpy readers
MAX_LAYOUT = 64

_NO_KEY = -1
_POW10 = np.array([10 ** i for i in range(10)], dtype=np.int64)
_UPOW10 = np.array([10 ** i for i in range(20)], dtype=np.uint64)


@numba.njit(cache=True, nogil=True, inline="always")
def _is_mark(b: int) -> bool:
    # " -().\t": the marks people write inside numbers (numbers._MARK)
    return b == 32 or b == 45 or b == 40 or b == 41 or b == 46 or b == 9


@numba.njit(cache=True, nogil=True, inline="always")
def _ten(data, lo, hi):  # type: ignore[no-untyped-def]
    """numbers._nanp_keys of the byte range [lo, hi): the last ten bytes digits (NPA 2-9),
    nothing, "1" or "+1" before them; -1 otherwise."""
    n = hi - lo
    if n < 10 or n > 12 or lo < 0 or hi > data.shape[0]:
        return _NO_KEY
    base = hi - 10
    value = np.int64(0)
    for i in range(10):
        d = np.int64(data[base + i]) - 48
        if d < 0 or d > 9:
            return _NO_KEY
        value = value * 10 + d
    if n >= 11 and data[base - 1] != 49:
        return _NO_KEY
    if n == 12 and data[base - 2] != 43:
        return _NO_KEY
    if value < 2_000_000_000:
        return _NO_KEY
    return value + 10_000_000_000


@numba.njit(cache=True, nogil=True, inline="always")
def _byte(data, pos, end):  # type: ignore[no-untyped-def]
    """data[pos] inside the value [.., end), else 0 (a byte that matches no rule)."""
    if pos < end and pos < data.shape[0]:
        return np.int64(data[pos])
    return np.int64(0)


@numba.njit(cache=True, nogil=True, inline="always")
def _uri(data, start, end):  # type: ignore[no-untyped-def]
    """numbers._uri_nanp of one value."""
    if end - start < 14:  # scheme ("sip:", "tel:") and ten digits at least
        return _NO_KEY
    low0 = _byte(data, start, end) | 0x20
    low1 = _byte(data, start + 1, end) | 0x20
    low2 = _byte(data, start + 2, end) | 0x20
    low3 = _byte(data, start + 3, end) | 0x20
    colon3 = _byte(data, start + 3, end) == 58
    colon4 = _byte(data, start + 4, end) == 58
    sip = low0 == 115 and low1 == 105 and low2 == 112
    tel = low0 == 116 and low1 == 101 and low2 == 108 and colon3
    if sip and colon3:
        user = start + 4
    elif sip and low3 == 115 and colon4:
        user = start + 5
    elif tel:
        user = start + 4
    else:
        return _NO_KEY
    stop = -1
    at_sign = False
    for width in (12, 11, 10):  # the shortest that fits wins
        pos = user + width
        if pos == end:
            stop, at_sign = pos, False
        elif pos < end:
            b = data[pos]
            if b == 64 or b == 59 or b == 62 or b == 44:  # "@;>,"
                stop, at_sign = pos, b == 64
    if stop < 0:
        return _NO_KEY
    if tel and not sip:
        for i in range(start, end):  # tel: no "@" anywhere in the value
            if data[i] == 64:
                return _NO_KEY
    elif not at_sign:
        return _NO_KEY
    return _ten(data, user, stop)


@numba.njit(cache=True, nogil=True, inline="always")
def _unmarked(data, start, end, buf):  # type: ignore[no-untyped-def]
    """numbers._unmarked_nanp of one value: its bytes less the marks, read as plain."""
    k = 0
    for i in range(start, end):
        b = data[i]
        if _is_mark(b):
            continue
        if k == 12:
            return _NO_KEY  # more than twelve bytes left: not a number of ours
        buf[k] = b
        k += 1
    return _ten(buf, 0, k)


@numba.njit(cache=True, nogil=True)
def _learn_layout(data, start, width, w, lay_digit, lay_mark):  # type: ignore
    """The layout of one value (numbers._layout_nanp) into row ``w`` of the tables: the
    places of its last ten digits (``lay_digit[w, 1:11]``, the place of an eleventh digit
    before them in ``lay_digit[w, 0]``, -1 without one) and of its marks (``lay_mark[w]``,
    their count at ``lay_mark[w, 0]``). Returns whether such a layout is read at all: 10 or
    11 digits, the rest marks, a leading "+" only right before an eleventh digit."""
    digits = 0
    marks = 0
    plus = width > 0 and data[start] == 43
    places = np.empty(12, np.int64)
    for i in range(width):
        b = data[start + i]
        if 48 <= b <= 57:
            if digits < 12:
                places[digits] = i
            digits += 1
        else:
            if not (_is_mark(b) or (i == 0 and plus)):
                return False
            marks += 1
            lay_mark[w, marks] = i
    lay_mark[w, 0] = marks
    if digits != 10 and digits != 11:
        return False
    if plus and (digits != 11 or places[0] != 1):
        return False
    lay_digit[w, 0] = places[0] if digits == 11 else -1
    for j in range(10):
        lay_digit[w, 1 + j] = places[digits - 10 + j]
    return True


@numba.njit(cache=True, nogil=True)
def _could_be_layout(data, start, width):  # type: ignore[no-untyped-def]
    """Whether a value wider than ``MAX_LAYOUT`` would be a usable layout (the checks of
    ``_learn_layout``): 10 or 11 digits among marks."""
    digits = 0
    first = -1
    plus = width > 0 and data[start] == 43
    for i in range(width):
        b = data[start + i]
        if 48 <= b <= 57:
            if first < 0:
                first = i
            digits += 1
        elif not (_is_mark(b) or (i == 0 and plus)):
            return False
    if digits != 10 and digits != 11:
        return False
    return not (plus and (digits != 11 or first != 1))


@numba.njit(cache=True, nogil=True, inline="always")
def _by_layout(data, start, w, lay_bytes, lay_digit, lay_mark):  # type: ignore
    """Key of one value read at its width's layout (numbers._layout_nanp): the marks as in
    the layout's own value (``lay_bytes[w]``), ten digits (NPA 2-9) and a "1" at an
    eleventh's place."""
    same = True
    for m in range(1, lay_mark[w, 0] + 1):
        i = lay_mark[w, m]
        same &= data[start + i] == lay_bytes[w, i]
    bad = np.uint64(0)
    value = np.int64(0)
    for j in range(1, 11):
        d = np.uint64(data[start + lay_digit[w, j]]) - np.uint64(48)
        bad |= np.uint64(d > 9)
        value += np.int64(d) * _POW10[10 - j]
    eleventh = lay_digit[w, 0]
    if eleventh >= 0:
        same &= data[start + eleventh] == 49
    if not same or bad or value < 2_000_000_000:
        return _NO_KEY
    return value + 10_000_000_000


@numba.njit(cache=True, nogil=True, inline="always")
def _plain(data, words, lo, hi):  # type: ignore[no-untyped-def]
    """``_ten`` without branches on the data (the written forms of a column interleave, so
    a branch per form would be mispredicted): the first eight of the ten digits read as one
    little-endian word (``words[i]``: bytes i .. i + 7), checked and valued as in
    ``numbers._nanp_block``. Every byte read is inside ``data`` (at least 16 bytes); what
    falls outside the value only feeds rows the checks reject."""
    n = hi - lo
    base = max(hi - 10, 0)
    word = words[base]
    ok = (word & _HIGH) == _ZEROS8
    ok &= ((word + _SIX8) & _HIGH) == _ZEROS8
    word &= _LOW
    word = (word * np.uint64(10) + (word >> np.uint64(8))) & _PAIRS
    word = (word * np.uint64(100) + (word >> np.uint64(16))) & _QUADS
    word = (word * np.uint64(10000) + (word >> np.uint64(32))) & _HALF
    d8 = np.uint64(data[base + 8]) - np.uint64(48)
    d9 = np.uint64(data[base + 9]) - np.uint64(48)
    ok &= (d8 <= 9) & (d9 <= 9)
    value = np.int64(word * np.uint64(100) + d8 * np.uint64(10) + d9)
    one = data[max(base - 1, 0)] == 49  # inside the value wherever it counts (n 11, 12)
    plus = data[max(base - 2, 0)] == 43
    ok &= (n >= 10) & (n <= 12) & (value >= 2_000_000_000) & \
        ((n == 10) | (one & ((n == 11) | plus)))
    return value + 10_000_000_000 if ok else np.int64(_NO_KEY)


@numba.njit(cache=True, nogil=True)
def layout_state() -> tuple[np.ndarray, ...]:
    """What the layout reader has learned, carried from one chunk of a column to the next:
    (per width: 0 not seen, 1 a usable layout, 2 seen but not read; the layout's bytes; its
    digit places; its mark places; and in ``seen[0]`` the rows it has been given so far)."""
    return (np.zeros(MAX_LAYOUT, np.int8), np.zeros((MAX_LAYOUT, MAX_LAYOUT), np.uint8),
            np.zeros((MAX_LAYOUT, 11), np.int64), np.zeros((MAX_LAYOUT, MAX_LAYOUT + 1), np.int64),
            np.zeros(1, np.int64))


@numba.njit(cache=True, nogil=True)
def nanp_keys(offsets, data, words, valid, readers, head, out, state,  # type: ignore
              lay_bytes, lay_digit, lay_mark, seen_rows):
    """Keys of every row into ``out`` (int64, -1 where no chosen reader settles it).

    ``offsets`` (int32, n + 1) and ``data`` (uint8, at least 16 bytes) are the buffers of
    the column (or of one chunk of it: ``layout_state`` carries the rest to the next),
    ``words`` the uint64 view of ``data`` at every byte (stride 1); ``valid`` (uint8, n, or empty when the column has no nulls): a null row reads
    as "". ``readers``: the bits of the readers to run. ``head``: how many of the rows the
    layout reader sees learn its layouts (numbers.HEAD_ROWS). Returns 0, or ``BAIL`` when
    the column must be read by the numpy readers."""
    n = out.shape[0]
    size = data.shape[0]
    if offsets.shape[0] != n + 1 or (valid.shape[0] != 0 and valid.shape[0] != n) or \
            size < 16 or words.shape[0] != size - 7:
        return BAIL
    for r in range(n + 1):
        if offsets[r] < 0 or offsets[r] > size or (r and offsets[r] < offsets[r - 1]):
            return BAIL
    nulls = valid.shape[0] != 0
    # the plain reader first, over every row, without a branch per row; the rows it leaves
    # (every row without it) are listed for the other readers
    left = np.empty(n, np.int32)
    m = np.int64(0)
    for r in range(n):
        lo = np.int64(offsets[r])
        hi = np.int64(offsets[r + 1])
        if nulls:
            hi = lo + (hi - lo) * np.int64(valid[r] != 0)
        key = _plain(data, words, lo, hi) if readers & FAST else np.int64(_NO_KEY)
        out[r] = key
        left[m] = r
        m += np.int64(key < 0)
    if not readers & (URI | LAYOUT | UNMARKED):
        return 0
    buf = np.zeros(16, np.uint8)
    seen = seen_rows[0]  # rows the layout reader has been given so far (earlier chunks too)
    for k in range(m):
        r = left[k]
        start = np.int64(offsets[r])
        end = np.int64(offsets[r + 1])
        if nulls and valid[r] == 0:
            end = start
        key = np.int64(_NO_KEY)
        if readers & URI:
            key = _uri(data, start, end)
        if key < 0 and readers & LAYOUT:
            width = end - start
            if width >= MAX_LAYOUT:
                if seen < head and _could_be_layout(data, start, width):
                    return BAIL  # a wide layout: the numpy reader learns it
            else:
                if state[width] == 0 and seen < head:
                    usable = _learn_layout(data, start, width, width, lay_digit, lay_mark)
                    state[width] = 1 if usable else 2
                    for i in range(width):
                        lay_bytes[width, i] = data[start + i]
                if state[width] == 1:
                    key = _by_layout(data, start, width, lay_bytes, lay_digit, lay_mark)
            seen += 1
            seen_rows[0] = seen
        if key < 0 and readers & UNMARKED:
            key = _unmarked(data, start, end, buf)
        out[r] = key
    return 0


@numba.njit(cache=True, nogil=True, inline="always")
def _slot(v, bits):  # type: ignore[no-untyped-def]
    """Home slot of ``v`` in a table of 2**bits (Fibonacci hashing: keys that differ in low
    digits spread over the table)."""
    return np.int64((np.uint64(v) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - bits))


@numba.njit(cache=True, nogil=True)
def first_seen(values, codes):  # type: ignore[no-untyped-def]
    """Codes (int32, into ``codes``) and the distinct values in order of first occurrence,
    as Arrow's ``dictionary_encode`` gives them for ``max(values, 0)`` (a negative key, a
    row no reader settled, counts as 0). An open-addressing table of (value, code) pairs,
    doubled when half full: its size follows the distinct count, not the rows."""
    n = values.shape[0]
    bits = 12
    cap = 1 << bits
    table = np.full(2 * cap, -1, np.int64)  # slot j: value at 2j, code at 2j + 1
    distinct = np.empty(min(n, cap), np.int64)
    k = 0
    for i in range(n):
        v = max(values[i], 0)
        j = _slot(v, bits)
        while True:
            c = table[2 * j + 1]
            if c < 0:
                break
            if table[2 * j] == v:
                break
            j = (j + 1) & (cap - 1)
        if c >= 0:
            codes[i] = c
            continue
        if k == distinct.shape[0]:
            grown = np.empty(min(n, 2 * k + 1), np.int64)
            grown[:k] = distinct[:k]
            distinct = grown
        distinct[k] = v
        table[2 * j] = v
        table[2 * j + 1] = k
        codes[i] = k
        k += 1
        if 2 * k > cap:  # half full: double, and place every value again
            bits += 1
            cap = 1 << bits
            table = np.full(2 * cap, -1, np.int64)
            for m in range(k):
                w = distinct[m]
                h = _slot(w, bits)
                while table[2 * h + 1] >= 0:
                    h = (h + 1) & (cap - 1)
                table[2 * h] = w
                table[2 * h + 1] = m
    return distinct[:k].copy()


@numba.njit(cache=True, nogil=True)
def e164_text(keys, offsets):  # type: ignore[no-untyped-def]
    """"+" and the decimal digits of each key (non-negative), as the data buffer of an Arrow
    string array whose offsets (int32, n + 1) are written into ``offsets``."""
    n = keys.shape[0]
    offsets[0] = 0
    at = 0
    for i in range(n):
        v = np.uint64(keys[i])
        width = 1
        while width < 20 and v >= _UPOW10[width]:
            width += 1
        at += width + 1
        offsets[i + 1] = at
    data = np.empty(at, np.uint8)
    for i in range(n):
        v = np.uint64(keys[i])
        lo = offsets[i]
        hi = offsets[i + 1]
        data[lo] = 43
        for j in range(hi - 1, lo, -1):
            data[j] = np.uint8(48 + v % np.uint64(10))
            v //= np.uint64(10)
    return data


@numba.njit(cache=True, nogil=True)
def nanp_validity(keys, bad_npa, bad_nxx, flags):  # type: ignore[no-untyped-def]
    """``numbers._validity``'s NANP rules for every key (all ``ok``) in one pass, into
    ``flags``: INVALID (4) for an NPA or NXX no number can have, FICTIONAL (8) for
    555-0100..0199. The numpy passes made ten whole-column temporaries. Returns how many
    keys are not NANP (their flags are 0 here: the caller checks them one by one)."""
    other = 0
    for i in range(keys.shape[0]):
        k = keys[i]
        if k < 12_000_000_000 or k >= 20_000_000_000:
            flags[i] = 0
            other += 1
            continue
        local = k - 10_000_000_000
        npa = local // 10_000_000
        rest = local - npa * 10_000_000
        nxx = rest // 10_000
        line = rest - nxx * 10_000
        f = np.uint8(0)
        if bad_npa[npa] or bad_nxx[nxx]:
            f |= np.uint8(4)
        if nxx == 555 and line >= 100 and line <= 199:
            f |= np.uint8(8)
        flags[i] = f
    return other


@numba.njit(cache=True, nogil=True)
def factorize_sorted(order, ordered, codes):  # type: ignore[no-untyped-def]
    """``keysort.factorize_sorted`` given the order and the values in it: each row's int32
    code into ``codes`` and the distinct values, ascending, in one pass (the numpy way
    made a mask, a cumulative sum and its shifted copy, then a scatter and a mask take)."""
    n = ordered.shape[0]
    distinct = np.empty(n, np.int64)
    k = -1
    for i in range(n):
        v = ordered[i]
        if i == 0 or v != ordered[i - 1]:
            k += 1
            distinct[k] = v
        codes[order[i]] = k
    return distinct[:k + 1].copy()


@numba.njit(cache=True, nogil=True)
def pack_rows(values, lo, bits, packed):  # type: ignore[no-untyped-def]
    """``keysort``'s packed sort keys in one pass: each value's offset from ``lo`` (every
    value >= lo >= 0) shifted up by ``bits``, its row number below."""
    for i in range(values.shape[0]):
        packed[i] = (np.uint64(values[i] - lo) << np.uint64(bits)) | np.uint64(i)


@numba.njit(cache=True, nogil=True)
def unpack_rows(packed, lo, bits, order, ordered):  # type: ignore[no-untyped-def]
    """The rows (into ``order``) and values (into ``ordered``) of sorted ``pack_rows`` keys."""
    mask = np.uint64((1 << bits) - 1)
    for i in range(packed.shape[0]):
        p = packed[i]
        order[i] = np.int64(p & mask)
        ordered[i] = np.int64(p >> np.uint64(bits)) + lo
