"""Switch time formats to UTC: epochs, zone tokens, offsets, ctime; vectorized.

Wall-clock times the format pins (an offset, a zone token, minutes west of GMT)
become ``timestamp[us, UTC]`` here; times without a zone stay text for the
normalizer, which applies the source's ``timezone``.
"""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.times import days_from_civil

from .common import NULL_TEXT, UTC, blank_to_null, bytes_of, extract, on_distinct, text

# Zone abbreviations switches print next to a time, as offsets from UTC in minutes.
# Ambiguous ones take the carrier-gear reading: CST/CDT US Central, IST India, BST British.
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "HDT": -540,
    "AST": -240, "ADT": -180, "NST": -210, "NDT": -150, "SST": -660, "CHST": 600,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}


def epoch_to_utc(col) -> pa.Array:
    """Epoch digits (s, ms, µs or ns by magnitude; a fraction allowed) → UTC µs.

    Zero, blank and non-numeric values become null."""
    num = _plain_digits(col)
    return _epoch_us(_epoch_numbers(col) if num is None else num)


def _epoch_numbers(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Each value as a float (NaN: none): trimmed, blank and NULL tokens nulled, and only
    digits with an optional fraction read."""
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    ok = pc.match_substring_regex(arr, r"^[0-9]+(\.[0-9]+)?$")
    arr = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
    return np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), np.float64)


def _epoch_us(num: np.ndarray) -> pa.Array:
    """Epoch numbers (NaN: none) → UTC µs, the unit chosen by magnitude."""
    with np.errstate(invalid="ignore"):
        scale = np.select([num < 1e11, num < 1e14, num < 1e17], [1e6, 1e3, 1.0], 1e-3)
        us = np.rint(num * scale)
        # past int64 µs (year ~294,000: a damaged field) is no time either, never a wrapped one
        bad = ~np.isfinite(us) | (num <= 0) | (us >= 2.0**63)
    out = np.where(bad, 0, us).astype(np.int64)
    return pa.array(out, UTC, mask=bad)


#: 15 digits stay below 2**53: the integer read equals the float the general path parses
MAX_EPOCH_DIGITS = 15


def _plain_digits(col: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """``_epoch_numbers(col)`` for a column (a Kamailio acc log's, a CUCM export's) whose
    every value is empty or 1 to ``MAX_EPOCH_DIGITS`` ASCII digits, by Arrow's integer parse
    after one check of its bytes (no sign, space or dot, which that parse or the float
    would take): ~35 ms a million values instead of ~80; None for any other column."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return None
    arr, offs, data, _ = bytes_of(col)
    n = len(arr)
    if not n:
        return None
    size = np.diff(offs)
    valid = np.asarray(arr.is_valid()) if arr.null_count else None
    if (size if valid is None else size[valid]).max(initial=0) > MAX_EPOCH_DIGITS:
        return None
    if (data[offs[0]:offs[-1]] - np.uint8(48) > 9).any():
        return None
    keep = size > 0 if valid is None else valid & (size > 0)
    if not keep.all():  # empty values: null, as blank_to_null makes them
        valid_bits = pa.py_buffer(np.packbits(keep, bitorder="little"))
        arr = pa.Array.from_buffers(arr.type, n, [valid_bits, *arr.buffers()[1:]])
    ints = pc.cast(arr, pa.int64())
    return np.asarray(ints.to_numpy(zero_copy_only=False), np.float64)


def naive_to_utc(naive: pa.Array, offset_minutes) -> pa.Array:
    """Wall-clock times kept at ``offset_minutes`` east of UTC (scalar or per row) → UTC µs."""
    vals = pc.fill_null(pc.cast(naive, pa.timestamp("us")).cast(pa.int64()), 0).to_numpy()
    mask = pc.is_null(naive).to_numpy(zero_copy_only=False)
    off = np.asarray(offset_minutes, dtype=np.float64)
    finite = np.isfinite(off)
    mask = mask | ~finite
    off = np.where(finite, off, 0.0)  # masked rows: 0, not nan_to_num's ±1.8e308 (whose cast
    #                                   to int64 warned "invalid value" on damaged files)
    vals = np.where(mask, 0, vals) - (off * 60_000_000).astype(np.int64)
    return pa.array(vals, UTC, mask=mask)


def local_to_utc(naive: pa.Array, zone: str) -> pa.Array:
    """Wall-clock timestamps in an IANA zone → UTC (earliest at DST folds and gaps)."""
    ts = pc.cast(naive, pa.timestamp("us"))
    return pc.assume_timezone(ts, timezone=zone, ambiguous="earliest",
                              nonexistent="earliest").cast(UTC)


_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def zone_minutes(token: str | None) -> int | None:
    """Minutes east of UTC for a zone abbreviation or a fixed offset (``GMT-05:00``)."""
    if not token:
        return None
    t = token.strip().upper()
    if t in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[t]
    m = _OFFSET.match(t)
    if m:
        mins = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return mins if m.group(1) == "+" else -mins
    return None


def wall_to_utc(naive: pa.Array, zones: pa.Array) -> tuple[pa.Array, dict[str, int]]:
    """Wall-clock times, each with its zone token (abbreviation, offset or IANA name) → UTC.

    Works per distinct token; rows whose token is unknown stay null and are counted.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    n = len(naive)
    out = np.zeros(n, dtype=np.int64)
    valid = np.zeros(n, dtype=bool)
    unknown: dict[str, int] = {}
    for row in pc.value_counts(zones).to_pylist():
        token, count = row["values"], row["counts"]
        mask = (pc.fill_null(pc.equal(zones, token), False) if token is not None
                else pc.is_null(zones))
        sel = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        part = pc.filter(naive, mask)
        mins = zone_minutes(token)
        if mins is not None:
            utc = naive_to_utc(part, mins)
        else:
            try:
                ZoneInfo(token or "")
                utc = local_to_utc(part, token)
            except (ZoneInfoNotFoundError, ValueError, pa.ArrowInvalid):
                unknown[str(token)] = count
                continue
        vals = pc.cast(utc, pa.int64())
        out[sel] = pc.fill_null(vals, 0).to_numpy()
        valid[sel] = pc.is_valid(vals).to_numpy(zero_copy_only=False)
    return pa.array(out, UTC, mask=~valid), unknown


# month abbreviations as 24-bit keys (upper-case ASCII), sorted once for searchsorted
_MONTH_KEYS = np.array([(ord(k[0]) << 16) | (ord(k[1]) << 8) | ord(k[2]) for k in (
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")])
_MONTH_ORDER = np.argsort(_MONTH_KEYS)
_MONTH_SORTED = _MONTH_KEYS[_MONTH_ORDER]


def ctime_naive(col) -> pa.Array:
    """``Mon Jun 10 12:00:31 2024`` (day space- or zero-padded) → naive µs; else null.

    numpy over the Arrow byte buffer for the 24-character form; ``strptime`` only for
    the rest (unpadded days, stray spaces).
    """
    arr, offs, data, _ = bytes_of(col)
    n = len(arr)
    out = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    valid = pc.is_valid(arr).to_numpy(zero_copy_only=False)
    length = np.diff(offs)
    fixed = np.flatnonzero((length == 24) & valid)
    if len(fixed):
        m = _fixed_width(arr, data, offs, fixed, 24)
        b = lambda k: m[:, k]  # noqa: E731  (byte k of every value)
        dg = lambda k: b(k).astype(np.int16) - 48  # noqa: E731
        two = lambda k: dg(k) * 10 + dg(k + 1)  # noqa: E731
        key = (((b(4) & 0xDF).astype(np.int32) << 16) | ((b(5) & 0xDF).astype(np.int32) << 8)
               | (b(6) & 0xDF))
        pos = np.minimum(np.searchsorted(_MONTH_SORTED, key), 11)
        month = np.where(_MONTH_SORTED[pos] == key, _MONTH_ORDER[pos] + 1, 0)
        day = np.where(b(8) == 32, 0, dg(8)) * 10 + dg(9)
        hh, mi, ss, cc, yy = two(11), two(14), two(17), two(20), two(22)
        good = ((b(3) == 32) & (b(7) == 32) & (b(10) == 32) & (b(13) == 58) & (b(16) == 58)
                & (b(19) == 32) & (month > 0) & (day >= 1) & (day <= 31) & (hh >= 0) & (hh < 24)
                & (mi >= 0) & (mi < 60) & (ss >= 0) & (ss < 61) & (cc >= 0) & (cc < 100)
                & (yy >= 0) & (yy < 100))
        for k in (9, 12, 15, 18, 21, 23):  # second digits of each pair
            good &= (dg(k) >= 0) & (dg(k) <= 9)
        year = cc.astype(np.int64) * 100 + yy
        secs = (days_from_civil(year, month.astype(np.int64), day.astype(np.int64)) * 86400
                + hh.astype(np.int64) * 3600 + mi * 60 + ss)
        out[fixed[good]] = secs[good] * 1_000_000
        ok[fixed[good]] = True
    rest = ~ok & valid
    if rest.any():
        idx = np.flatnonzero(rest)
        vals = pc.replace_substring_regex(pc.take(arr, pa.array(idx)), "  +", " ")
        parsed = pc.strptime(vals, format="%a %b %d %H:%M:%S %Y", unit="us", error_is_null=True)
        got = pc.is_valid(parsed).to_numpy(zero_copy_only=False)
        out[idx[got]] = pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy()[got]
        ok[idx[got]] = True
    return pa.array(out, pa.timestamp("us"), mask=~ok)


def _fixed_width(arr: pa.Array, data: np.ndarray, offs: np.ndarray, fixed: np.ndarray,
                 width: int) -> np.ndarray:
    """The ``width``-byte values at rows ``fixed`` as an (n, width) byte matrix (a view of
    a buffer of just those values back to back: no per-byte index)."""
    if len(fixed) * width != int(offs[-1] - offs[0]) or len(fixed) != len(arr):
        mask = np.zeros(len(arr), bool)
        mask[fixed] = True
        _, offs, data, _ = bytes_of(pc.filter(arr, pa.array(mask)))
    return data[int(offs[0]):int(offs[0]) + len(fixed) * width].reshape(-1, width)


_PAIRS = np.array([[48 + i // 10, 48 + i % 10] for i in range(100)], np.uint8)  # "00"…"99"
_MIN_S, _MAX_S = -62167219200, 253402300799  # 0000-01-01 00:00:00 … 9999-12-31 23:59:59


def iso_seconds_text(ts: pa.Array) -> pa.Array:
    """Naive timestamps in whole seconds as ``YYYY-MM-DD HH:MM:SS`` text: ``pc.strftime`` with
    that format, written by numpy into one fixed-width buffer (strftime costs ~1 µs a value);
    other units (strftime's ``%S`` writes their fraction) and years outside 0–9999 go
    through strftime itself."""
    if ts.type != pa.timestamp("s"):
        return pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")
    secs = pc.cast(ts, pa.int64())
    valid = pc.is_valid(secs).to_numpy(zero_copy_only=False)
    s = pc.fill_null(secs, 0).to_numpy().astype(np.int64)
    inside = (s >= _MIN_S) & (s <= _MAX_S)
    if not inside[valid].all():
        return pc.strftime(ts, format="%Y-%m-%d %H:%M:%S")
    s = np.where(valid, s, 0)
    days, sod = np.divmod(s, 86400)
    year, month, day = civil_from_days(days)
    out = np.empty((len(s), 19), np.uint8)
    out[:] = np.frombuffer(b"0000-00-00 00:00:00", np.uint8)
    for col, val in ((0, year // 100), (2, year % 100), (5, month), (8, day),
                     (11, sod // 3600), (14, sod // 60 % 60), (17, sod % 60)):
        out[:, col:col + 2] = _PAIRS[val]
    n = len(s)
    offsets = np.arange(0, 19 * (n + 1), 19, dtype=np.int64 if 19 * n >= 2**31 else np.int32)
    mask = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    typ = pa.large_string() if offsets.dtype == np.int64 else pa.string()
    arr = pa.Array.from_buffers(typ, n, [mask, pa.py_buffer(offsets), pa.py_buffer(out)],
                                null_count=int(n - valid.sum()))
    return arr.cast(pa.string()) if typ == pa.large_string() else arr


def civil_from_days(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 (H. Hinnant's algorithm, vectorized)."""
    z = z + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def strptime_frac(col, fmt: str) -> pa.Array:
    """``strptime`` for text with an optional ``.fraction`` after the seconds → naive µs."""
    arr = text(col)
    main = pc.replace_substring_regex(arr, r"\.([0-9]+)$", "")
    frac = extract(arr, r"\.(?P<v>[0-9]{1,6})$")
    ts = pc.strptime(main, format=fmt, unit="us", error_is_null=True)
    padded = pc.utf8_rpad(pc.fill_null(frac, "0"), 6, "0")
    us = pc.cast(pc.utf8_slice_codeunits(padded, 0, 6), pa.int64())
    return pc.add(pc.cast(ts, pa.int64()), us).cast(pa.timestamp("us"))


_ZONED = (r"^(?P<flag>[*.]?)(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})"
          r"(?:\.(?P<f>[0-9]{1,6}))?"
          r" +(?P<zone>[A-Za-z]{1,5})(?: +[A-Za-z]{3})? +(?P<mon>[A-Za-z]{3}) +(?P<day>[0-9]{1,2})"
          r" +(?P<year>[0-9]{4})$")


def zoned_times(col) -> tuple[pa.Array, dict[str, int], dict[str, int]]:
    """Cisco/Acme ``HH:MM:SS.mmm ZONE [Day] Mon D YYYY`` → UTC µs.

    Returns the times, a count of unknown zone tokens (those rows are null) and
    a count of clock-quality flags (``*`` not synchronised, ``.`` not authoritative).
    """
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    parts = pc.extract_regex(arr, _ZONED)  # a value that does not match: null fields
    f = {k: pc.struct_field(parts, k)
         for k in ("flag", "h", "m", "s", "f", "zone", "mon", "day", "year")}
    naive = _wall_us(f)
    zone = pc.utf8_upper(f["zone"])
    unknown: dict[str, int] = {}
    enc = pc.dictionary_encode(zone)
    offsets = []
    counts = {c["values"]: c["counts"] for c in pc.value_counts(zone).to_pylist()}
    for name in enc.dictionary.to_pylist():
        off = ZONE_ABBREVIATIONS.get(name)
        offsets.append(float("nan") if off is None else float(off))
        if off is None:
            unknown[name] = counts[name]
    per_row = pc.take(pa.array(offsets, pa.float64()), enc.indices).to_numpy(zero_copy_only=False)
    flags = {c["values"]: c["counts"] for c in pc.value_counts(f["flag"]).to_pylist()
             if c["values"]}
    return naive_to_utc(naive, per_row), unknown, flags


def _wall_us(f: dict[str, pa.Array]) -> pa.Array:
    """Naive µs of the regex fields: what ``strptime_frac`` gives for
    ``year-mon-day-h-m-s.fraction`` with ``%Y-%b-%d-%H-%M-%S``. The date is parsed on the
    distinct dates only (a day's calls share one); the time of day is added as numbers, valid
    where strptime takes it (hours ≤ 23, minutes ≤ 59, seconds ≤ 61: checked against strptime
    on every 1–2-digit hour with every 2-digit minute and second)."""
    date = pc.binary_join_element_wise(f["year"], f["mon"], f["day"], "-")
    day = on_distinct(date, lambda v: pc.strptime(pc.binary_join_element_wise(v, "0-00-00", "-"),
                                                  format="%Y-%b-%d-%H-%M-%S", unit="us",
                                                  error_is_null=True))
    h, m, sec = (pc.cast(f[k], pa.int64()) for k in ("h", "m", "s"))
    ok = pc.and_(pc.and_(pc.less_equal(h, 23), pc.less_equal(m, 59)), pc.less_equal(sec, 61))
    of_day = pc.add(pc.add(pc.multiply(h, 3600), pc.multiply(m, 60)), sec)
    wall = pc.add(pc.cast(day, pa.int64()), pc.multiply(of_day, 1_000_000))
    frac = pc.utf8_rpad(pc.if_else(pc.equal(pc.binary_length(f["f"]), 0), "0", f["f"]), 6, "0")
    us = pc.cast(pc.fill_null(frac, "000000"), pa.int64())
    wall = pc.if_else(ok, wall, pa.scalar(None, pa.int64()))
    return pc.add(wall, us).cast(pa.timestamp("us"))


def seconds_between(a: pa.Array, b: pa.Array) -> pa.Array:
    """Whole seconds from ``a`` to ``b`` (both UTC µs), null where either is."""
    diff = pc.subtract(pc.cast(b, pa.int64()), pc.cast(a, pa.int64()))
    return pc.cast(pc.floor(pc.divide(pc.cast(diff, pa.float64()), 1e6)), pa.int64())
