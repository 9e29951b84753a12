"""Acme's usual time stamp, ``HH:MM:SS.mmm ZZZ MON DD YYYY``, read at fixed byte places.

``zoned_times`` runs a regex with nine groups over every value; an Acme SBC writes every
stamp in one 28-byte shape, which numpy reads straight off the Arrow buffer. Any value of
another shape (a clock-quality flag, a one-digit hour or day, no or other fractions, a zone
of other length or case, an impossible date) goes to ``zoned_times``, so the result is the
same value for value.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .common import NULL_TEXT, UTC, blank_to_null, bytes_of
from .times import ZONE_ABBREVIATIONS, zoned_times

WIDTH = 28  # "09:00:31.204 PDT JUN 10 2024"
_DIGITS = (0, 1, 3, 4, 6, 7, 9, 10, 11, 24, 25, 26, 27, 21, 22)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_CHUNK = 1 << 16


def _code(b: np.ndarray) -> np.ndarray:
    """Three bytes per row packed into one int."""
    return (b[:, 0].astype(np.int32) << 16) | (b[:, 1].astype(np.int32) << 8) | b[:, 2]


_ZONE_CODES = {(ord(k[0]) << 16) | (ord(k[1]) << 8) | ord(k[2]): v
               for k, v in ZONE_ABBREVIATIONS.items() if len(k) == 3 and k.isupper()}
_MONTH_CODES = {(ord(m[0]) << 16) | (ord(m[1]) << 8) | ord(m[2]): i + 1
                for i, m in enumerate(_MONTHS)}
_MONTH_CODES.update({(ord(m[0]) << 16) | (ord(m[1].lower()) << 8) | ord(m[2].lower()): i + 1
                     for i, m in enumerate(_MONTHS)})
_ZK = np.array(sorted(_ZONE_CODES), np.int32)
_ZV = np.array([_ZONE_CODES[k] for k in sorted(_ZONE_CODES)], np.int64)
_MK = np.array(sorted(_MONTH_CODES), np.int32)
_MV = np.array([_MONTH_CODES[k] for k in sorted(_MONTH_CODES)], np.int64)


def acme_times(col) -> tuple[pa.Array, dict[str, int]]:
    """UTC µs of Acme time stamps and the unknown zone tokens: ``zoned_times``' first two
    results (its counts of unknown tokens are of the rows read by it, which are all the rows
    with an unknown token)."""
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    arr, offs, data, _ = bytes_of(arr)
    n = len(arr)
    lengths = np.diff(offs)
    valid = np.ones(n, bool) if not arr.null_count else \
        np.asarray(arr.is_valid().to_numpy(zero_copy_only=False))
    fixed = valid & (lengths == WIDTH)
    out = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    rows = np.flatnonzero(fixed)
    for i in range(0, len(rows), _CHUNK):
        part = rows[i:i + _CHUNK]
        m = data[offs[part][:, None] + np.arange(WIDTH)]
        out[part], ok[part] = _read_fixed(m)
    rest = np.flatnonzero(valid & ~ok)
    unknown: dict[str, int] = {}
    mask = ~ok
    if len(rest):
        slow, unknown, _ = zoned_times(arr.take(pa.array(rest)))
        got = slow.is_valid().to_numpy(zero_copy_only=False)
        out[rest] = np.asarray(slow.cast(pa.int64()).fill_null(0).to_numpy())
        mask[rest] = ~got
    return pa.array(np.where(mask, 0, out), UTC, mask=mask), unknown


def _read_fixed(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTC µs and a validity mask for rows of ``WIDTH`` bytes (uint8 matrix)."""
    d = m[:, list(_DIGITS)].astype(np.int64) - 48
    ok = np.all((d >= 0) & (d <= 9), axis=1)
    ok &= (m[:, 2] == 58) & (m[:, 5] == 58) & (m[:, 8] == 46)
    ok &= (m[:, 12] == 32) & (m[:, 16] == 32) & (m[:, 20] == 32) & (m[:, 23] == 32)
    h, mi, s = d[:, 0] * 10 + d[:, 1], d[:, 2] * 10 + d[:, 3], d[:, 4] * 10 + d[:, 5]
    frac = d[:, 6] * 100 + d[:, 7] * 10 + d[:, 8]
    year = d[:, 9] * 1000 + d[:, 10] * 100 + d[:, 11] * 10 + d[:, 12]
    day = d[:, 13] * 10 + d[:, 14]
    ok &= (h <= 23) & (mi <= 59) & (s <= 59) & (year >= 1900) & (year <= 2199)
    zone = _lookup(_code(m[:, 13:16]), _ZK, _ZV)
    month = _lookup(_code(m[:, 17:20]), _MK, _MV)
    ok &= (zone != _MISSING) & (month != _MISSING)
    month = np.where(ok, month, 1)
    first = np.ones_like(day)
    days = _days(year, month, first)
    in_month = _days(year + (month == 12), month % 12 + 1, first) - days
    ok &= (day >= 1) & (day <= in_month)
    days += day - 1
    wall = ((days * 86400 + h * 3600 + mi * 60 + s) * 1_000_000) + frac * 1000
    return np.where(ok, wall - np.where(ok, zone, 0) * 60_000_000, 0), ok


_MISSING = np.int64(-(2**40))


def _lookup(codes: np.ndarray, keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    i = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
    return np.where(keys[i] == codes, values[i], _MISSING)


def _days(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
