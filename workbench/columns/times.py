"""Timestamps to UTC microseconds, vectorized, DST-aware, with per-row flags.

Each written form is a regex class applied to the rows no earlier class
settled; wall-clock parts become microseconds with numpy arithmetic, and
local wall times are placed in the source's IANA zone with Arrow's
``assume_timezone`` (ambiguous and non-existent times are flagged).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.compiled import worth_compiling

from .arrow_numpy import from_numpy, scalar, string_chunk_buffers, strings, to_numpy
from .textbytes import TextBytes

NAT = np.iinfo(np.int64).min
US = 1_000_000

# per-row flags
UNPARSED = 1
NONEXISTENT = 2
AMBIGUOUS = 4
LOW_PRECISION = 8
MIXED_ORDER = 16

MDY_COUNTRIES = {"US", "CA", "PR", "GU", "VI", "AS", "MP", "PH", "FM", "MH", "PW", "BZ"}

_ISO = (r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
        r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?"
        r"\s*(?P<tz>Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$")
_NUMERIC = (r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2})"
            r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
            r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$")
_COMPACT = r"^(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?$"
_EPOCH = r"^(?P<i>\d{9,17})(?:\.(?P<f>\d{1,9}))?$"
_SERIAL = r"^(?P<i>[2-7]\d{4})(?:\.(?P<f>\d{1,12}))?$"  # spreadsheet day serials 1954..2173
_CTIME = (r"^(?:[A-Za-z]{3},?\s+)?(?P<mon>[A-Za-z]{3})\s+(?P<d>\d{1,2})\s+"
          r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?:\.(?P<f>\d{1,6}))?\s+(?P<y>\d{4})$")
_DMONY = (r"^(?P<d>\d{1,2})[- ](?P<mon>[A-Za-z]{3})[- ](?P<y>\d{4})"
          r"(?:[ T:](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$")
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


@dataclass
class Times:
    """Parsed times of one column: UTC µs (NAT where unparsed) and per-row flags."""

    us: np.ndarray
    flags: np.ndarray
    rule: str = ""  # how month/day order was decided, if it had to be
    forms: dict[str, int] = field(default_factory=dict)  # rows per written form


#: The years a time can be shown and computed with (``datetime``): a year 0000 or 10000 in a
#: damaged file is an unreadable cell, never a value that overflows later.
MIN_US = -62135596800 * US  # 0001-01-01T00:00:00Z
MAX_US = 253402300799 * US + (US - 1)  # 9999-12-31T23:59:59.999999Z


def parse_times(col: pa.Array, timezone: str = "UTC", date_order: str | None = None,
                default_country: str = "US") -> Times:
    """Parse a column of raw time text (or UTC timestamps) into UTC microseconds; a time
    outside years 1–9999 counts as unreadable."""
    t = _parse_times(col, timezone, date_order, default_country)
    if not len(t.us) or (int(t.us.min()) >= MIN_US and int(t.us.max()) <= MAX_US):
        return t  # every row read and in range: two reductions, no row masks
    out = (t.us != NAT) & ((t.us < MIN_US) | (t.us > MAX_US))
    if out.any():
        t.us = np.where(out, NAT, t.us)
        t.flags = t.flags | out.astype(np.uint8) * np.uint8(UNPARSED)
    return t


def _parse_times(col: pa.Array, timezone: str = "UTC", date_order: str | None = None,
                 default_country: str = "US") -> Times:
    tried = False  # the ISO fast path tried on the chunks already (and it did not fit)
    if isinstance(col, pa.ChunkedArray):
        if pa.types.is_string(col.type) and _clean(col):  # read in place: no joined copy
            fast = _fast_iso(col, timezone)
            if fast is not None:
                return fast
            tried = True
        col = col.combine_chunks()
    n = len(col)
    if pa.types.is_timestamp(col.type):
        ts = pc.cast(col, pa.timestamp("us", col.type.tz or None), safe=False)
        if not col.type.tz:
            ts = pc.strftime(ts, "%Y-%m-%d %H:%M:%S.%f")
            return _parse_times(ts, timezone, date_order, default_country)
        us = _us(ts)
        flags = np.where(us == NAT, UNPARSED, 0).astype(np.uint8)
        ok = int((us != NAT).sum())
        return Times(us, flags, forms={"timestamp": ok, "zoned": ok})
    if not pa.types.is_string(col.type):
        col = pc.cast(col, pa.string())
    clean = _clean(col)
    if clean and not tried:  # no blanks or NA literals to clear first: the ISO fast path
        fast = _fast_iso(col, timezone)
        if fast is not None:
            return fast
    s, raw = _blanks_as_null(col)
    fast = None if clean else _fast_iso(s, timezone)  # a second try would only repeat the first
    if fast is not None:
        return fast
    if raw is None:  # the bytes of ``s``, only now that the regex classes need them
        raw = TextBytes(s)
    us = np.full(n, NAT, dtype=np.int64)
    flags = np.zeros(n, dtype=np.uint8)
    todo = to_numpy(pc.is_valid(s))
    forms: dict[str, int] = {}
    rule = ""
    wall = np.full(n, NAT, dtype=np.int64)  # local wall time still to place in a zone
    shape = _leading_digits(raw)
    for name in ("iso", "numeric", "compact", "epoch", "serial", "ctime", "dmony"):
        if not todo.any():
            break
        cand = todo & shape[name] if name in shape else todo
        count = int(cand.sum())
        if not count:
            continue
        whole = count >= n - n // 100  # (nearly) every row: no gather in or scatter out
        idx = None if whole else np.flatnonzero(cand)
        res = _CLASSES[name](s if whole else pc.take(s, from_numpy(idx)), date_order,
                             default_country)
        if res is None:
            continue
        got, is_utc, low, r = res
        if not whole:  # back to full length
            got, is_utc, low = (_spread(v, idx, n, fill) for v, fill in
                                ((got, NAT), (is_utc, False), (low, False)))
        hit = cand & (got != NAT)
        if not hit.any():
            continue
        rule = r or rule
        forms[name] = int(hit.sum())
        zoned = hit & is_utc
        forms["zoned"] = forms.get("zoned", 0) + int(zoned.sum())
        np.copyto(us, got, where=zoned)
        np.copyto(wall, got, where=hit & ~is_utc)
        flags |= (hit & low).astype(np.uint8) * np.uint8(LOW_PRECISION)
        todo &= ~hit
    local = wall != NAT
    if local.all():
        us, placed_flags = _place_in_zone(wall, timezone)
        flags |= placed_flags
    elif local.any():
        placed, f = _place_in_zone(wall[local], timezone)
        us[local] = placed
        flags[local] |= f
    unread = (us == NAT) & to_numpy(pc.is_valid(s))
    flags |= unread.astype(np.uint8) * np.uint8(UNPARSED)
    return Times(us, flags, rule, forms)


def _spread(values: np.ndarray, rows: np.ndarray, n: int, fill) -> np.ndarray:
    """Values of some rows laid out over all n rows, ``fill`` elsewhere."""
    out = np.full(n, fill, dtype=values.dtype)
    out[rows] = values
    return out


def _clean(col: pa.Array | pa.ChunkedArray) -> bool:
    """No nulls, and no value shorter than an ISO time with seconds. Byte lengths (read off
    the offsets) stand for character lengths here: a value with other than ASCII in it is
    no ISO time either way."""
    return bool(col.null_count == 0 and len(col)
                and pc.min(pc.binary_length(col)).as_py() >= 19)


def _fast_iso(s: pa.Array | pa.ChunkedArray, timezone: str) -> Times | None:
    """Whole column in one ISO 8601 shape (all with offsets, or all without): Arrow's own
    parser, an order of magnitude faster than the regex classes. None if it doesn't fit."""
    valid = s.null_count < len(s)
    if not valid:
        return None
    lengths = pc.binary_length(s)  # bytes: see _parse_times
    if pc.min(lengths).as_py() < 19:  # shorter than YYYY-MM-DDTHH:MM:SS: may lack seconds
        return None
    # A failing cast costs as much as a whole parse: look at the head to pick the one to try.
    head = pc.drop_null(s.slice(0, 256))
    zoned = pc.match_substring_regex(head, r"(Z|z|[+-]\d{2}:?\d{2})$")
    if pc.all(zoned).as_py():
        try:
            us = _iso_us(s, True)
            flags = np.zeros(len(s), dtype=np.uint8)
            ok = int(len(s) - s.null_count)
            return Times(us, flags, forms={"iso": ok, "zoned": ok})
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    if pc.any(zoned).as_py() or not pc.all(pc.match_substring_regex(
            head, r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}")).as_py():
        return None
    try:
        wall = _iso_us(s, False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    ok = wall != NAT
    whole = bool(ok.all())
    placed, f = _place_in_zone(wall if whole else wall[ok], timezone)
    if whole and placed is not wall:  # every row read and placed afresh: nothing to spread
        return Times(placed, f, forms={"iso": len(s)})
    us = np.full(len(s), NAT, dtype=np.int64)
    flags = np.zeros(len(s), dtype=np.uint8)
    us[ok] = placed
    flags[ok] = f
    return Times(us, flags, forms={"iso": int(ok.sum())})


def _iso_us(s: pa.Array | pa.ChunkedArray, zoned: bool) -> np.ndarray:
    """µs of an ISO column as Arrow's cast to ``timestamp("us", "UTC")`` (``zoned``) or to
    ``timestamp("us")`` gives them, NAT for nulls: one compiled pass over the bytes of each
    chunk for the strict forms (``times_kernels``), Arrow's cast (and its errors) for any
    other."""
    if worth_compiling(len(s), KERNEL_ROWS):
        from workbench.columns import times_kernels as tk  # numba: only for long columns
        us = np.empty(len(s), dtype=np.int64)
        at = 0
        for chunk in s.chunks if isinstance(s, pa.ChunkedArray) else [s]:
            n = len(chunk)
            if not n:
                continue
            offsets, data, valid = string_chunk_buffers(chunk)
            if tk.iso_us(offsets, data, valid, zoned, us[at:at + n]) != tk.OK:
                break
            at += n
        else:
            return us
    return _us(pc.cast(s, pa.timestamp("us", "UTC" if zoned else None)))


#: Columns of at least this many rows are read by the compiled loop (numbers.KERNEL_ROWS
#: says why); shorter ones keep Arrow's cast unless numba is loaded already.
KERNEL_ROWS = 1 << 18


def parse_one(text: str, timezone: str = "UTC") -> int:
    """One time given by a user (ISO 8601 with offset or Z expected) -> UTC µs."""
    t = parse_times(strings([text]), timezone)
    return int(t.us[0])


def second_pass_us(first_us: int, timezone: str) -> int:
    """The other reading of a local time in a repeated hour: ``first_us`` is its first
    pass (UTC µs, as ``parse_times`` places it); the same wall-clock time at its second
    pass (``fold=1``), whatever the zone's shift. Returns ``first_us`` when the wall time
    does not repeat in ``timezone``."""
    from datetime import datetime, timedelta
    from datetime import timezone as tz
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(timezone)
    epoch = datetime(1970, 1, 1, tzinfo=tz.utc)
    wall = (epoch + timedelta(seconds=first_us // US)).astimezone(zone).replace(tzinfo=None)
    later = wall.replace(tzinfo=zone, fold=1)
    return int((later - epoch).total_seconds()) * US + first_us % US


def _us(ts: pa.Array) -> np.ndarray:
    """A timestamp array's µs counts, NAT for nulls, without pyarrow's pandas shim (a user's
    time is parsed on the warm trace path: ``columns.arrow_numpy``)."""
    return to_numpy(pc.fill_null(ts.cast(pa.int64()), scalar(NAT, pa.int64())))


def _s(value: str | None) -> pa.Scalar:
    """A string scalar for a kernel argument (a Python str there would import pandas)."""
    return scalar(value, pa.string())


def _positive(lengths: pa.Array) -> pa.Array:
    """lengths > 0 (null stays null)."""
    return pc.greater(lengths, scalar(0, lengths.type))


def _ints(struct: pa.Array, name: str, default: int = 0) -> np.ndarray:
    col = pc.fill_null(pc.struct_field(struct, name), _s(""))
    col = pc.if_else(pc.equal(col, _s("")), _s(str(default)), col)
    return to_numpy(pc.cast(col, pa.int64()))


def _valid(struct: pa.Array) -> np.ndarray:
    return to_numpy(pc.is_valid(struct))


def _has(struct: pa.Array, name: str) -> np.ndarray:
    col = pc.struct_field(struct, name)
    return to_numpy(pc.fill_null(_positive(pc.utf8_length(col)), scalar(False, pa.bool_())))


def _fraction_us(struct: pa.Array, name: str = "f") -> np.ndarray:
    col = pc.fill_null(pc.struct_field(struct, name), _s(""))
    padded = pc.utf8_slice_codeunits(pc.utf8_rpad(col, width=6, padding="0"), 0, 6)
    return to_numpy(pc.cast(padded, pa.int64()))


def days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


_MDAYS = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


_MONTH_START = np.array([[0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334],
                         [0, 0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335]]).ravel()


def _leap(y: np.ndarray) -> np.ndarray:
    return (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))


def _compose(ok, y, m, d, H, M, S, f) -> np.ndarray:
    """UTC-less µs of date and time parts; NAT where a part is out of range (Feb 30,
    hour 24). Days come from per-year and per-month tables, not per-row calendar math."""
    ok = ok & (m >= 1) & (m <= 12) & (d >= 1) & (H >= 0) & (H <= 23) & (M >= 0) & (M <= 59) \
        & (S >= 0) & (S <= 60)
    ok &= d <= _MDAYS[np.clip(m, 0, 12)]
    feb29 = np.flatnonzero(ok & (m == 2) & (d == 29))
    if len(feb29):
        ok[feb29] &= _leap(y[feb29])
    if not ok.any():
        return np.full(len(ok), NAT, dtype=np.int64)
    lo, hi = int(y[ok].min()), int(y[ok].max())
    years = np.arange(lo, hi + 1, dtype=np.int64)
    at = np.clip(y, lo, hi) - lo
    month = _MONTH_START[_leap(years).astype(np.int64)[at] * 13 + np.clip(m, 0, 12)]
    days = days_from_civil(years, np.ones_like(years), np.ones_like(years))[at] + month + d - 1
    out = (days * 86400 + H * 3600 + M * 60 + S) * US + f
    return np.where(ok, out, NAT)


def _tz_offset_us(struct: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offset µs, has explicit zone) from the `tz` group: Z/UTC/GMT or ±hh[:mm]."""
    tz = pc.fill_null(pc.struct_field(struct, "tz"), _s(""))
    has = to_numpy(_positive(pc.utf8_length(tz)))
    digits = pc.replace_substring_regex(tz, r"[^0-9]", "")
    width = pc.utf8_length(digits)
    hh = to_numpy(pc.cast(pc.if_else(pc.greater_equal(width, scalar(2, width.type)),
                                     pc.utf8_slice_codeunits(digits, 0, 2), _s("0")), pa.int64()))
    mm = to_numpy(pc.cast(pc.if_else(pc.equal(width, scalar(4, width.type)),
                                     pc.utf8_slice_codeunits(digits, 2, 4), _s("0")), pa.int64()))
    sign = np.where(to_numpy(pc.starts_with(tz, "-")), -1, 1)
    return sign * (hh * 3600 + mm * 60) * US, has


def _iso(s, date_order, country):
    st = pc.extract_regex(s, _ISO)
    ok = _valid(st)
    if not ok.any():
        return None
    low = ~_has(st, "S")
    out = _compose(ok, _ints(st, "y"), _ints(st, "m"), _ints(st, "d"), _ints(st, "H"),
                   _ints(st, "M"), _ints(st, "S"), _fraction_us(st))
    off, has_tz = _tz_offset_us(st)
    out = np.where((out != NAT) & has_tz, out - off, out)
    return out, has_tz, low, ""


_NO_VALUE = r"^(?i:|na|n/a|null|none|0|-|0000-00-00 00:00:00)$"
# bytes that can begin or end whitespace: ASCII blanks, the separators \x1c-\x1f, and any
# non-ASCII byte (NBSP and the other Unicode spaces are multi-byte in UTF-8)
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_SPACE[128:] = True


def _blanks_as_null(col: pa.Array) -> tuple[pa.Array, TextBytes | None]:
    """Trimmed text with blanks and "no value" words (NA, NULL, 0000-00-00 …) as null, and
    its bytes (None when blanks were cleared: made by the caller if it needs them, which
    the ISO fast path does not). The trim and the regex only run where a value's ends or
    length call for them; an empty value is blank without asking the regex."""
    b = TextBytes(col)
    length = b.length
    last = b.data[b.start + np.maximum(length - 1, 0)]
    first = b.at(None, 0)
    padded = (length > 0) & (_SPACE[first] | _SPACE[last])
    s = col
    if padded.any():
        s = pc.utf8_trim_whitespace(col)
        b = TextBytes(s)
        length = b.length
        first = b.at(None, 0)
    zero_date = np.flatnonzero((length == 19) & (first == ord("0")))  # 0000-00-00 …?
    zero_date = zero_date[(b.at(zero_date, 1) == ord("0")) & (b.at(zero_date, 2) == ord("0"))]
    # "" is the regex's first alternative: empty values are blank as they stand (a null
    # reads as empty here and stays null), only short words and zero dates are asked
    mask = length == 0
    if s.null_count:  # nulls stay as they are
        mask &= to_numpy(pc.is_valid(s))
    short = (length <= 5) & ~mask
    short[zero_date] = True
    maybe = np.flatnonzero(short)
    if len(maybe):
        hit = pc.match_substring_regex(pc.take(s, from_numpy(maybe)), _NO_VALUE)
        mask[maybe[to_numpy(pc.fill_null(hit, scalar(False, pa.bool_())))]] = True
    if not mask.any():
        return s, b
    return _nulls_where(s, mask), None


def _nulls_where(s: pa.Array, mask: np.ndarray) -> pa.Array:
    """``s`` with the ``mask`` rows null: a validity bitmap set over its own offsets and
    bytes (no copy of the text, which ``if_else`` made: ~0.01 s a million rows). The bytes
    under a null row stay; Arrow never reads them."""
    bufs = s.buffers()
    if s.offset or not pa.types.is_string(s.type) or bufs[2] is None:
        return pc.if_else(from_numpy(mask), _s(None), s)
    keep = ~mask
    if s.null_count:
        keep &= to_numpy(pc.is_valid(s))
    bits = np.packbits(keep, bitorder="little")
    return pa.Array.from_buffers(pa.string(), len(s), [pa.py_buffer(bits), bufs[1], bufs[2]],
                                 null_count=len(s) - int(np.count_nonzero(keep)))


def _leading_digits(b: TextBytes) -> dict[str, np.ndarray]:
    """Rows each regex class could match at all, from the run of digits a value starts with
    and the byte after it: a failing regex costs as much as a matching one, so the ISO and
    numeric-date classes only look at rows of their shape."""
    run = np.zeros(len(b), dtype=np.int32)
    going = np.ones(len(b), dtype=bool)
    for i in range(5):
        byte = b.at(None, i)
        going &= (byte >= ord("0")) & (byte <= ord("9")) & (b.length > i)
        run += going
    after = b.data[b.start + np.minimum(run, 5)]
    date_sep = (after == ord("-")) | (after == ord("/")) | (after == ord("."))
    return {"iso": (run == 4) & date_sep, "numeric": ((run == 1) | (run == 2)) & date_sep}


# byte places of the digits of NN/NN/YYYY HH:MM:SS, in the order a, b, year, H, M, S
_DIGIT_AT = [0, 1, 3, 4, 6, 7, 8, 9, 11, 12, 14, 15, 17, 18]


def _fixed_numeric(b: TextBytes) -> dict[str, np.ndarray] | None:
    """Parts of zero-padded `NN/NN/YYYY HH:MM:SS` values (any of / - . between the date
    parts, a space or T before the time) read at fixed byte positions: no regex. ``ok``
    marks the rows read, of ``rows`` (None: of all rows); None when no row has that shape."""
    grid = b.grid(19)
    rows = None
    if grid is None:
        rows = np.flatnonzero(b.length == 19)
        if not len(rows):
            return None
        # the 19-byte values side by side: one gather of whole values, then strided reads
        grid = TextBytes(pc.take(b.array, from_numpy(rows))).grid(19)

    def byte(i: int) -> np.ndarray:
        return grid[:, i]
    sep = byte(2)
    ok = ((sep == ord("/")) | (sep == ord("-")) | (sep == ord("."))) & (byte(5) == sep)
    ok &= (byte(10) == ord(" ")) | (byte(10) == ord("T"))
    ok &= (byte(13) == ord(":")) & (byte(16) == ord(":"))
    digits = grid[:, _DIGIT_AT] - np.uint8(48)  # uint8: bytes below '0' wrap round to >= 10
    ok &= digits.max(axis=1) < 10

    def pair(i: int) -> np.ndarray:  # two digits as a number
        return digits[:, i].astype(np.int64) * 10 + digits[:, i + 1]

    parts = {"a": pair(0), "b": pair(2), "y": pair(4) * 100 + pair(6), "H": pair(8),
             "M": pair(10), "S": pair(12)}
    if not ok.any():
        return None
    return {"rows": rows, "ok": ok, **parts}


def _numeric(s, date_order, country):
    """Numeric dates (M/D/Y or D/M/Y): the zero-padded layout read at fixed byte places,
    the rest (one-digit parts, AM/PM, offsets, no seconds) by regex. Each group is composed
    on its own rows; the month/day order is settled over both."""
    n = len(s)
    groups = []  # (rows or None for all, ok, a, b, y, H, M, S, fraction, offset, zoned, low)
    done = np.zeros(n, dtype=bool)
    fixed = _fixed_numeric(TextBytes(s))
    if fixed is not None:
        rows, ok = fixed["rows"], fixed["ok"]
        none, zero = np.zeros(len(ok), bool), np.zeros(len(ok), np.int64)
        groups.append((rows, ok, *(fixed[k] for k in "abyHMS"), zero, zero, none, none))
        if rows is None:
            done = ok.copy()
        else:
            done[rows[ok]] = True
    rest = np.flatnonzero(~done)
    if len(rest):
        st = pc.extract_regex(s if len(rest) == n else pc.take(s, from_numpy(rest)), _NUMERIC)
        H = _ints(st, "H")
        ampm = pc.utf8_lower(pc.fill_null(pc.struct_field(st, "ampm"), _s("")))
        pm = to_numpy(pc.starts_with(ampm, "p"))
        am = to_numpy(pc.starts_with(ampm, "a"))
        H = np.where(pm & (H < 12), H + 12, np.where(am & (H == 12), 0, H))
        off, zoned = _tz_offset_us(st)
        groups.append((None if len(rest) == n else rest, _valid(st), _ints(st, "a"),
                       _ints(st, "b"), _ints(st, "y"), H, _ints(st, "M"), _ints(st, "S"),
                       _fraction_us(st), off, zoned, ~_has(st, "S")))
    if not any(g[1].any() for g in groups):
        return None
    order, rule = _day_order(np.concatenate([g[2][g[1]] for g in groups]),
                             np.concatenate([g[3][g[1]] for g in groups]), date_order, country)
    out = np.full(n, NAT, dtype=np.int64)
    has_tz, low = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for rows, ok, a, b, y, H, M, S, f, off, zoned, short in groups:
        m, d = (a, b) if order == "MDY" else (b, a)
        got = _compose(ok, np.where(y < 100, 2000 + y, y), m, d, H, M, S, f)
        got = np.where((got != NAT) & zoned, got - off, got)
        if rows is None:
            out, has_tz, low = got, zoned, short
        else:
            out[rows], has_tz[rows], low[rows] = got, zoned, short
    return out, has_tz, low, rule


def _day_order(a: np.ndarray, b: np.ndarray, date_order, country) -> tuple[str, str]:
    """MDY or DMY for a column of numeric dates (its first and second parts), and why."""
    order = (date_order or "").upper()
    if order in ("MDY", "DMY"):
        return order, f"{order}: date_order set in case.toml"
    a_big, b_big = bool((a > 12).any()), bool((b > 12).any())
    if a_big and not b_big:
        return "DMY", "day first: the data has a first part above 12"
    if b_big and not a_big:
        return "MDY", "month first: the data has a second part above 12"
    order = "MDY" if (country or "US").upper() in MDY_COUNTRIES else "DMY"
    if a_big and b_big:
        return order, f"mixed day/month order in the data; {order} by the {country} convention"
    return order, f"{order}: the data does not settle it; convention of {country}"


def _compact(s, date_order, country):
    st = pc.extract_regex(s, _COMPACT)
    ok = _valid(st)
    if not ok.any():
        return None
    out = _compose(ok, _ints(st, "y"), _ints(st, "m"), _ints(st, "d"), _ints(st, "H"),
                   _ints(st, "M"), _ints(st, "S"), _fraction_us(st))
    return out, np.zeros(len(s), bool), np.zeros(len(s), bool), ""


def _epoch(s, date_order, country):
    st = pc.extract_regex(s, _EPOCH)
    ok = _valid(st)
    if not ok.any():
        return None
    i_txt = pc.fill_null(pc.struct_field(st, "i"), _s("0"))
    digits = to_numpy(pc.utf8_length(i_txt))
    i = to_numpy(pc.cast(i_txt, pa.int64()))
    # 10 digits = seconds, 13 = milliseconds, 16 = microseconds
    scale = np.where(digits <= 11, US, np.where(digits <= 14, 1000, 1))
    frac = _fraction_us(st)
    out = i * scale + np.where(digits <= 11, frac, 0)
    return np.where(ok, out, NAT), np.ones(len(s), bool), np.zeros(len(s), bool), ""


def _serial(s, date_order, country):
    st = pc.extract_regex(s, _SERIAL)
    ok = _valid(st)
    if not ok.any():
        return None
    days = to_numpy(pc.cast(pc.fill_null(pc.struct_field(st, "i"), _s("0")), pa.int64()))
    frac_txt = pc.fill_null(pc.struct_field(st, "f"), _s(""))
    frac = to_numpy(pc.cast(pc.binary_join_element_wise(_s("0."), frac_txt, _s("")),
                            pa.float64()))
    # Excel's day 0 is 1899-12-30; 25569 days before the Unix epoch
    out = ((days - 25569) * 86400 * US + np.round(frac * 86400) * US).astype(np.int64)
    return np.where(ok, out, NAT), np.zeros(len(s), bool), np.zeros(len(s), bool), ""


def _month_names(st) -> np.ndarray:
    """Month numbers of the `mon` group (0 = not a month name), looked up per distinct value."""
    mon = to_numpy(pc.utf8_lower(pc.fill_null(pc.struct_field(st, "mon"), _s(""))))
    uniq, inv = np.unique(mon.astype(str), return_inverse=True)
    return np.array([_MONTHS.get(x, 0) for x in uniq], dtype=np.int64)[inv]


def _ctime(s, date_order, country):
    st = pc.extract_regex(s, _CTIME)
    ok = _valid(st)
    if not ok.any():
        return None
    out = _compose(ok, _ints(st, "y"), _month_names(st), _ints(st, "d"), _ints(st, "H"),
                   _ints(st, "M"), _ints(st, "S"), _fraction_us(st))
    return out, np.zeros(len(s), bool), np.zeros(len(s), bool), ""


def _dmony(s, date_order, country):
    st = pc.extract_regex(s, _DMONY)
    ok = _valid(st)
    if not ok.any():
        return None
    out = _compose(ok, _ints(st, "y"), _month_names(st), _ints(st, "d"), _ints(st, "H"),
                   _ints(st, "M"), _ints(st, "S"), np.zeros(len(s), np.int64))
    return out, np.zeros(len(s), bool), ~_has(st, "S"), ""


_CLASSES = {"iso": _iso, "numeric": _numeric, "compact": _compact, "epoch": _epoch,
            "serial": _serial, "ctime": _ctime, "dmony": _dmony}


HOUR = 3600 * US
MINUTE = 60 * US


def place_in_zone(wall: np.ndarray, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock µs in ``zone`` -> (UTC µs read as the first pass, per-row AMBIGUOUS /
    NONEXISTENT flags): for readers that hold a per-row offset and want to know which rows
    it settles."""
    return _place_in_zone(np.asarray(wall, dtype=np.int64), zone)


def is_utc_zone(zone: str | None) -> bool:
    """True for the names that mean UTC (no DST, no local wall time)."""
    return (zone or "UTC") in ("UTC", "Etc/UTC", "GMT", "Z", "")


def _place_in_zone(wall: np.ndarray, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock µs in ``zone`` -> UTC µs, flagging DST gaps and overlaps.

    Arrow's zone lookup costs ~0.3 µs a value, and far more for the values inside a gap or
    an overlap, so the zone is asked about the wall-clock hours the data touches rather
    than about every row: an hour read the same way at its start and at the next hour's
    start (same offset, same flags) moves all its rows by that offset. Rows of hours around
    a change are settled the same way by the minute, and only rows of a minute that holds
    a change are looked up one by one."""
    if is_utc_zone(zone):
        return wall, np.zeros(len(wall), dtype=np.uint8)
    return _place_by_cells(wall, zone, (HOUR, MINUTE))


def _place_by_cells(wall: np.ndarray, zone: str, steps: tuple[int, ...]
                    ) -> tuple[np.ndarray, np.ndarray]:
    if not len(wall) or not steps:
        return _place_each(wall, zone)
    step = steps[0]
    cell = wall // step
    first = int(cell.min())
    span = int(cell.max()) - first + 1
    if span <= max(1024, min(len(wall), 50_000)):  # a dense range of cells: no sort
        starts = first + np.arange(span, dtype=np.int64)
        at = cell - first
    else:  # rows spread thin (near changes months apart, junk dates)
        starts, at = np.unique(cell, return_inverse=True)
    lo = starts * step
    placed, placed_flags = _place_each(np.concatenate([lo, lo + step]), zone)
    k = len(starts)
    shift = placed[:k] - lo
    flags = placed_flags[:k]
    # a cell read the same way at both ends holds no change: its rows share that reading
    same = (shift == placed[k:] - (lo + step)) & (flags == placed_flags[k:])
    out = wall + shift[at]
    # the common case, no cell holding a change and none flagged: no per-row gathers
    row_flags = flags[at] if flags.any() else np.zeros(len(wall), dtype=np.uint8)
    near = np.flatnonzero(~same[at]) if not same.all() else np.zeros(0, dtype=np.int64)
    if len(near):
        out[near], row_flags[near] = _place_by_cells(wall[near], zone, steps[1:])
    return out, row_flags


def _assume(wall: np.ndarray, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """UTC µs of wall times read with the earlier and with the later of two readings."""
    naive = from_numpy(np.asarray(wall, dtype=np.int64), pa.timestamp("us"))
    try:
        early = to_numpy(pc.assume_timezone(naive, timezone=zone, ambiguous="earliest",
                                            nonexistent="earliest"))
        late = to_numpy(pc.assume_timezone(naive, timezone=zone, ambiguous="latest",
                                           nonexistent="latest"))
    except pa.ArrowInvalid as exc:
        raise ValueError(f"unknown time zone '{zone}'") from exc
    return early, late


def _place_each(wall: np.ndarray, zone: str) -> tuple[np.ndarray, np.ndarray]:
    """Every wall time looked up in the zone on its own."""
    flags = np.zeros(len(wall), dtype=np.uint8)
    early, late = _assume(wall, zone)
    differ = early != late
    if not differ.any():
        return early, flags
    # An overlap (fall back) gives two instants an hour apart; a gap (spring forward)
    # gives two instants that are less than the wall distance apart.
    shift = 3 * 3600 * US
    before = pc.assume_timezone(from_numpy(wall - shift, pa.timestamp("us")), timezone=zone,
                                ambiguous="earliest", nonexistent="earliest")
    pre_offset = (wall - shift) - to_numpy(before)  # local - utc before
    gap = differ & ((late - early) < 3600 * US - 1) & (early != (wall - pre_offset))
    gap |= differ & (early + 3600 * US != late) & ~gap
    overlap = differ & ~gap
    out = early.copy()
    # a wall time inside the gap: read it with the offset in force before the change
    out[gap] = wall[gap] - pre_offset[gap]
    flags[gap] |= NONEXISTENT
    flags[overlap] |= AMBIGUOUS
    return out, flags


#: each day's 'YYYY-MM-DDT', by day since the epoch: a batch's --json writes two times a hop,
#: and a datetime built for each was a third of the whole JSON
_DAYS: dict[int, str] = {}


def iso_utc(us: int, digits: int = 3) -> str | None:
    """UTC µs -> '2026-03-07T20:02:11.400Z' (None for NAT). The date is formatted once a
    day; the time of day is plain arithmetic on the floored seconds."""
    if us == NAT or us is None:
        return None
    secs, micro = divmod(int(us), US)
    day, rest = divmod(secs, 86400)
    date = _DAYS.get(day)
    if date is None:
        import datetime as _dt
        date = (_dt.datetime(1970, 1, 1) + _dt.timedelta(days=day)).strftime("%Y-%m-%dT")
        if len(_DAYS) >= 100_000:  # a file of random dates: keep the memo bounded
            _DAYS.clear()
        _DAYS[day] = date
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    base = f"{date}{h:02d}:{m:02d}:{s:02d}"
    if digits and micro:
        frac = f"{micro:06d}"[:digits].rstrip("0")
        if frac:
            base += "." + frac
    return base + "Z"


def display_utc(us: int, digits: int = 3, zone: str = "") -> str | None:
    """UTC µs as '2026-03-07 20:02:11.400' followed by ``zone`` (e.g. " UTC"), for tables
    and labels; None for NAT."""
    text = iso_utc(us, digits)
    return None if text is None else text[:-1].replace("T", " ") + zone
