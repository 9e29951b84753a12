"""Compiled byte loop for the ISO fast path of ``columns.times`` (numba).

``iso_us`` reads an Arrow string column's offsets and bytes once and gives each row the
microseconds Arrow's cast to ``timestamp("us")`` (naive) or ``timestamp("us", "UTC")``
(zoned) gives it, for the strict forms ``YYYY-MM-DD[T ]hh:mm:ss[.f{1,6}]`` followed by
nothing (naive) or by ``Z`` / ``±hh:mm`` (zoned). A row in any other form, or out of range
(month 13, 30 February, second 60), sends the whole column back to Arrow's cast, which
then reads it, or fails, exactly as before.

Imported only where a column is normalized (numba costs ~0.2 s to import). Every index
taken from the data is checked against its array's length.
"""
from __future__ import annotations

import numba
import numpy as np

OK, FALLBACK = 0, 1
NAT = np.iinfo(np.int64).min
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_SCALE = np.array([1, 100_000, 10_000, 1000, 100, 10, 1], dtype=np.int64)


@numba.njit(cache=True, nogil=True, inline="always")
def _digits(data, at, count):  # type: ignore[no-untyped-def]
    """The value of ``count`` ASCII digits at ``at``; -1 if any is not a digit."""
    value = np.int64(0)
    bad: np.bool_ = np.bool_(False)
    for i in range(count):
        d = np.int64(data[at + i]) - 48
        bad |= (d < 0) | (d > 9)
        value = value * 10 + d
    return -1 if bad else value


@numba.njit(cache=True, nogil=True, inline="always")
def _days_from_civil(y, m, d):  # type: ignore[no-untyped-def]
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m + (-3 if m > 2 else 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@numba.njit(cache=True, nogil=True, inline="always")
def _two(data, at):  # type: ignore[no-untyped-def]
    """Two ASCII digits at ``at`` as their value, or a value above 99 if either is not a
    digit (each byte minus "0" taken unsigned)."""
    a = np.uint64(data[at]) - np.uint64(48)
    b = np.uint64(data[at + 1]) - np.uint64(48)
    return np.int64(a * np.uint64(10) + b) if a <= 9 and b <= 9 else np.int64(1000)


@numba.njit(cache=True, nogil=True)
def _date_days(data, lo):  # type: ignore[no-untyped-def]
    """Days since 1970-01-01 of the date "YYYY-MM-DD" at ``lo``; -10**9 when it is not one
    (month 13, 30 February, not digits)."""
    y = _digits(data, lo, 4)
    mo = _two(data, lo + 5)
    d = _two(data, lo + 8)
    if y < 0 or mo < 1 or mo > 12 or d < 1:
        return np.int64(-1_000_000_000)
    leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
    if d > _DAYS[mo] + (1 if mo == 2 and leap else 0):
        return np.int64(-1_000_000_000)
    return _days_from_civil(y, mo, d)


@numba.njit(cache=True, nogil=True)
def iso_us(offsets, data, valid, zoned, out):  # type: ignore[no-untyped-def]
    """µs of every row into ``out`` (NAT for a null row); returns ``OK``, or ``FALLBACK``
    as soon as a row is not in the strict form (``out`` is then partly written).

    ``offsets`` (int32, n + 1) and ``data`` (uint8) are the column's buffers; ``valid``
    (uint8, n, or empty when the column has no nulls). Rows of one day share its date's
    reading: the date's ten bytes are compared with the last row's."""
    n = out.shape[0]
    size = data.shape[0]
    if offsets.shape[0] != n + 1 or (valid.shape[0] != 0 and valid.shape[0] != n):
        return FALLBACK
    nulls = valid.shape[0] != 0
    last = np.zeros(10, np.uint8)
    last_days = np.int64(-1_000_000_000)
    for r in range(n):
        if nulls and valid[r] == 0:
            out[r] = NAT
            continue
        lo = np.int64(offsets[r])
        hi = np.int64(offsets[r + 1])
        if lo < 0 or hi > size or hi - lo < 19:
            return FALLBACK
        same = True
        for i in range(10):
            same &= data[lo + i] == last[i]
        if not same:
            if data[lo + 4] != 45 or data[lo + 7] != 45:
                return FALLBACK
            last_days = _date_days(data, lo)
            for i in range(10):
                last[i] = data[lo + i]
        if last_days == -1_000_000_000:
            return FALLBACK
        sep = data[lo + 10]
        hh = _two(data, lo + 11)
        mi = _two(data, lo + 14)
        ss = _two(data, lo + 17)
        if (sep != 84 and sep != 32) or data[lo + 13] != 58 or data[lo + 16] != 58 or \
                hh > 23 or mi > 59 or ss > 59:
            return FALLBACK
        at = lo + 19
        frac = np.int64(0)
        if at < hi and data[at] == 46:  # "." and one to six digits
            at += 1
            k = 0
            while at < hi and k < 7 and 48 <= data[at] <= 57:
                frac = frac * 10 + (np.int64(data[at]) - 48)
                at += 1
                k += 1
            if k == 0 or k > 6:
                return FALLBACK
            frac *= _SCALE[k]
        shift = np.int64(0)
        if zoned:
            if at < hi and data[at] == 90:  # "Z"
                at += 1
            elif at + 6 <= hi and (data[at] == 43 or data[at] == 45) and data[at + 3] == 58:
                oh = _two(data, at + 1)
                om = _two(data, at + 4)
                if oh > 23 or om > 59:
                    return FALLBACK
                shift = (oh * 60 + om) * 60_000_000
                if data[at] == 45:
                    shift = -shift
                at += 6
            else:
                return FALLBACK
        if at != hi:
            return FALLBACK
        out[r] = (last_days * 86400 + (hh * 60 + mi) * 60 + ss) * 1_000_000 + frac - shift
    return OK
