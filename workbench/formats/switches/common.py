"""Vectorized helpers shared by the switch profiles: null tokens, times, lines, sniffing.

Everything here works on whole Arrow/numpy columns; per-row Python is kept to the
few distinct values of a column (zone tokens, dictionary entries).
"""
from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...errors import InputError
from ..base import (CANONICAL_FIELDS, EXTRA_FIELDS, TIME_FIELDS, BadLine, ParsedTable,
                    ReadOptions, Sample)
from ..delimited import line_starts, nonblank_lines

UTC = pa.timestamp("us", tz="UTC")
NULL_TEXT = ("", "NULL", "null", "\\N", "NA", "N/A", "None")
MAX_BAD_KEPT = 200

# Zone abbreviations switches print next to a time, as offsets from UTC in minutes.
# IST is read as India (the common reading in carrier gear); ambiguous ones are noted.
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "GMT": 0, "UT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "IST": 330,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600, "HDT": -540,
    "AST": -240, "ADT": -180, "NST": -210, "NDT": -150, "SST": -660, "CHST": 600,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}
AMBIGUOUS_ZONES = {"IST", "CST", "AST", "BST", "SST"}

Q850_NAMES = frozenset((
    "NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL",
    "CALL_REJECTED", "UNALLOCATED_NUMBER", "NORMAL_TEMPORARY_FAILURE", "RECOVERY_ON_TIMER_EXPIRE",
    "NO_ROUTE_DESTINATION", "DESTINATION_OUT_OF_ORDER", "INVALID_NUMBER_FORMAT",
    "NORMAL_CIRCUIT_CONGESTION", "SERVICE_UNAVAILABLE", "INCOMPATIBLE_DESTINATION",
    "MEDIA_TIMEOUT", "LOSE_RACE", "ALLOTTED_TIMEOUT", "NORMAL_UNSPECIFIED", "SUBSCRIBER_ABSENT",
    "EXCHANGE_ROUTING_ERROR", "BEARERCAPABILITY_NOTAVAIL", "MANAGER_REQUEST", "PICKED_OFF",
    "NUMBER_CHANGED", "REQUESTED_CHAN_UNAVAIL", "FACILITY_REJECTED", "SWITCH_CONGESTION",
    "NETWORK_OUT_OF_ORDER", "UNSPECIFIED", "PROGRESS_TIMEOUT", "GATEWAY_DOWN", "CHAN_NOT_IMPLEMENTED",
))


# ---------------------------------------------------------------- arrays

def text(col: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous string array."""
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return col


def nulls(n: int, typ: pa.DataType = pa.string()) -> pa.Array:
    return pa.nulls(n, typ)


def blank_to_null(col, tokens: Iterable[str] = ("",), strip: bool = False) -> pa.Array:
    """Raw text with empty values (and the given literal tokens, e.g. NULL) as nulls."""
    arr = text(col)
    if strip:
        arr = pc.utf8_trim_whitespace(arr)
    tokens = tuple(tokens)
    if tokens == ("",):
        mask = pc.equal(pc.binary_length(arr), 0)
    else:
        mask = pc.is_in(arr, value_set=pa.array(tokens, arr.type))
    if not pc.any(mask).as_py():
        return arr
    return pc.if_else(mask, pa.scalar(None, arr.type), arr)


def coalesce(*cols: pa.Array | None) -> pa.Array:
    present = [c for c in cols if c is not None]
    return present[0] if len(present) == 1 else pc.coalesce(*present)


def count_true(mask: pa.Array) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


def map_distinct(arr: pa.Array, fn: Callable, out_type: pa.DataType) -> pa.Array:
    """Apply ``fn`` to each distinct value once (dictionary-encode first)."""
    enc = pc.dictionary_encode(text(arr))
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    mapped = pa.array([fn(v) for v in enc.dictionary.to_pylist()], out_type)
    return pc.take(mapped, enc.indices)


def extract(arr: pa.Array, pattern: str) -> pa.Array:
    """Group ``v`` of ``pattern`` (RE2) or null where it does not match."""
    got = pc.extract_regex(text(arr), pattern)
    ok = pc.match_substring_regex(text(arr), pattern)
    return pc.if_else(ok, pc.struct_field(got, "v"), pa.scalar(None, pa.string()))


# ---------------------------------------------------------------- times

def epoch_to_utc(col) -> pa.Array:
    """Epoch digits (s, ms, µs or ns by magnitude; optional fraction) to UTC µs; 0/blank → null."""
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    ok = pc.match_substring_regex(arr, r"^[0-9]+(\.[0-9]+)?$")
    arr = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
    num = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        scale = np.where(num < 1e11, 1e6, np.where(num < 1e14, 1e3, np.where(num < 1e17, 1.0, 1e-3)))
        us = np.rint(num * scale)
    bad = ~np.isfinite(us) | (num <= 0)
    out = np.where(bad, 0, us).astype(np.int64)
    return pa.array(out, UTC, mask=bad)


def naive_to_utc(naive: pa.Array, offset_minutes) -> pa.Array:
    """Wall-clock timestamps plus an offset east of UTC (minutes) → UTC µs."""
    vals = pc.cast(naive, pa.timestamp("us")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    mask = pc.is_null(naive).to_numpy(zero_copy_only=False)
    off = np.asarray(offset_minutes, dtype=np.float64)
    mask = mask | ~np.isfinite(off)
    off = np.nan_to_num(off)
    vals = np.where(mask, 0, vals) - (off * 60_000_000).astype(np.int64)
    return pa.array(vals, UTC, mask=mask)


def local_to_utc(naive: pa.Array, zone: str) -> pa.Array:
    """Wall-clock timestamps in an IANA zone → UTC (earliest at DST folds and gaps)."""
    ts = pc.cast(naive, pa.timestamp("us"))
    return pc.assume_timezone(ts, timezone=zone, ambiguous="earliest",
                              nonexistent="earliest").cast(UTC)


def strptime_frac(col, fmt: str) -> pa.Array:
    """``strptime`` for text with an optional ``.fraction`` after the seconds → naive µs."""
    arr = text(col)
    main = pc.replace_substring_regex(arr, r"\.([0-9]+)$", "")
    frac = extract(arr, r"\.(?P<v>[0-9]{1,6})$")
    ts = pc.strptime(main, format=fmt, unit="us", error_is_null=True)
    padded = pc.utf8_rpad(pc.fill_null(frac, "0"), 6, "0")
    us = pc.cast(pc.utf8_slice_codeunits(padded, 0, 6), pa.int64())
    return pc.add(pc.cast(ts, pa.int64()), us).cast(pa.timestamp("us"))


_ZONED = (r"^(?P<flag>[*.]?)(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2}):(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,6}))?"
          r" +(?P<zone>[A-Za-z]{1,5})(?: +[A-Za-z]{3})? +(?P<mon>[A-Za-z]{3}) +(?P<day>[0-9]{1,2})"
          r" +(?P<year>[0-9]{4})$")


def zoned_times(col) -> tuple[pa.Array, dict[str, int], dict[str, int]]:
    """Cisco/Acme ``HH:MM:SS.mmm ZONE [Day] Mon D YYYY`` → UTC µs.

    Returns the times, a count of unknown zone tokens (those rows are null) and
    a count of clock-quality flags (``*`` not synchronised, ``.`` not authoritative).
    """
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    ok = pc.match_substring_regex(arr, _ZONED)
    parts = pc.extract_regex(pc.if_else(ok, arr, pa.scalar(None, pa.string())), _ZONED)
    f = {k: pc.struct_field(parts, k) for k in ("flag", "h", "m", "s", "f", "zone", "mon", "day", "year")}
    wall = pc.binary_join_element_wise(f["year"], f["mon"], f["day"], f["h"], f["m"], f["s"], "-")
    naive = strptime_frac(pc.binary_join_element_wise(wall, pc.if_else(
        pc.equal(pc.binary_length(f["f"]), 0), "0", f["f"]), "."), "%Y-%b-%d-%H-%M-%S")
    zone = pc.utf8_upper(f["zone"])
    unknown: dict[str, int] = {}
    enc = pc.dictionary_encode(zone)
    offsets = []
    counts = pc.value_counts(zone).to_pylist()
    for name in enc.dictionary.to_pylist():
        off = ZONE_ABBREVIATIONS.get(name)
        offsets.append(float("nan") if off is None else float(off))
        if off is None:
            unknown[name] = next(c["counts"] for c in counts if c["values"] == name)
    per_row = pc.take(pa.array(offsets, pa.float64()), enc.indices).to_numpy(zero_copy_only=False)
    flags = {k: v for k, v in ((c["values"], c["counts"]) for c in pc.value_counts(f["flag"]).to_pylist())
             if k}
    return naive_to_utc(naive, per_row), unknown, flags


def seconds_between(a: pa.Array, b: pa.Array) -> pa.Array:
    """Whole seconds from ``a`` to ``b`` (both UTC µs), null where either is."""
    diff = pc.subtract(pc.cast(b, pa.int64()), pc.cast(a, pa.int64()))
    return pc.cast(pc.round(pc.divide(pc.cast(diff, pa.float64()), 1e6)), pa.int64())


def quality_notes(columns: dict[str, pa.Array]) -> tuple[list[str], bool]:
    """Spreadsheet damage a reader can see: lost seconds, numbers in scientific notation."""
    notes: list[str] = []
    low = False
    for name in TIME_FIELDS:
        col = columns.get(name)
        if col is None or not pa.types.is_string(col.type):
            continue
        present = len(col) - col.null_count
        if not present:
            continue
        short = count_true(pc.match_substring_regex(col, r"(^|[ T])[0-9]{1,2}:[0-9]{2}$"))
        if short and short >= present / 2:
            low = True
            notes.append(f"{name}: {short} of {present} times have no seconds (spreadsheet "
                         "round-trip?): low precision, matched with a wider tolerance")
    for name in ("calling", "called"):
        col = columns.get(name)
        if col is None or not pa.types.is_string(col.type):
            continue
        sci = count_true(pc.match_substring_regex(col, r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"))
        if sci:
            notes.append(f"{name}: {sci} numbers in scientific notation (digits lost in a "
                         "spreadsheet); they cannot be recovered from this file")
    return notes, low


# ---------------------------------------------------------------- lines

def text_lines(data: bytes) -> tuple[pa.Array, np.ndarray]:
    """Every non-blank physical line as a string (no line end) and its 1-based number."""
    starts = line_starts(data)
    if len(starts) == 0:
        return pa.array([], pa.string()), np.zeros(0, np.int64)
    offsets = np.append(starts, len(data))
    big = len(data) >= 2**31 - 1
    typ = pa.large_string() if big else pa.string()
    arr = pa.Array.from_buffers(typ, len(starts), [None, pa.py_buffer(
        offsets.astype(np.int64 if big else np.int32)), pa.py_buffer(data)])
    try:
        arr.validate(full=True)
    except pa.ArrowInvalid as exc:  # not UTF-8: the caller retries as cp1252
        raise UnicodeError(str(exc)) from exc
    arr = pc.utf8_rtrim(arr, characters="\r\n")
    keep = pc.greater(pc.binary_length(arr), 0)
    lines = np.arange(1, len(starts) + 1, dtype=np.int64)[keep.to_numpy(zero_copy_only=False)]
    arr = pc.filter(arr, keep)
    return (arr.cast(pa.string()) if big else arr), lines


def select_lines(data: bytes, wanted: np.ndarray) -> bytes:
    """The bytes of the given 1-based physical lines, each ending in a newline."""
    if not data.endswith(b"\n"):
        data = data + b"\n"
    starts = line_starts(data)
    ends = np.append(starts[1:], len(data))
    buf = np.frombuffer(data, np.uint8)
    pick = np.zeros(len(starts), dtype=bool)
    pick[wanted - 1] = True
    return buf[np.repeat(pick, ends - starts)].tobytes()


def field_counts(data: bytes, delimiter: str, quote: str | None = '"',
                 escape: str | None = None) -> np.ndarray:
    """Number of fields on every physical line (quote- and escape-aware, vectorized)."""
    if not data.endswith(b"\n"):
        data = data + b"\n"
    buf = np.frombuffer(data, np.uint8)
    starts = line_starts(data)
    seps = np.flatnonzero(buf == ord(delimiter))
    if escape:
        seps = seps[(seps == 0) | (buf[np.maximum(seps - 1, 0)] != ord(escape))]
    line_of = np.searchsorted(starts, seps, side="right") - 1
    if quote:
        parity = np.bitwise_xor.accumulate((buf == ord(quote)).astype(np.uint8))
        at_start = np.where(starts > 0, parity[np.maximum(starts - 1, 0)], 0)
        outside = (parity[seps] ^ at_start[line_of]) == 0
        line_of = line_of[outside]
    return np.bincount(line_of, minlength=len(starts)) + 1


def line_text(data: bytes, line: int) -> str:
    starts = line_starts(data)
    end = starts[line] if line < len(starts) else len(data)
    return data[starts[line - 1]:end].decode("utf-8", errors="replace").rstrip("\r\n")


# ---------------------------------------------------------------- assembling

def finish(columns: dict[str, pa.Array], lines: np.ndarray, *, named: dict[str, pa.Array] | None,
           opts: ReadOptions, file: str, notes: list[str], bad: list[BadLine] | None = None,
           bad_count: int = 0, headers: list[str] | None = None, time_basis: str = "invite",
           encoding: str = "utf-8", low_precision: bool = False) -> ParsedTable:
    """Every canonical field present, user overrides applied, spreadsheet damage noted.

    ``named`` holds the format's own fields by name (for ``[sources.columns]``
    overrides); fields passed in ``columns`` as ``"@name"`` are taken as named too.
    """
    n = len(lines)
    raw = {k[1:]: v for k, v in columns.items() if k.startswith("@")}
    if raw:
        named = {**raw, **(named or {})}
    out: dict[str, pa.Array] = {}
    for name in CANONICAL_FIELDS + EXTRA_FIELDS:
        col = columns.get(name)
        if col is None:
            if name in CANONICAL_FIELDS:
                out[name] = nulls(n)
            continue
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if pa.types.is_large_string(col.type):
            col = col.cast(pa.string())
        if len(col) != n:
            raise AssertionError(f"{name}: {len(col)} values for {n} rows")
        out[name] = col
    for canon, source in (opts.columns or {}).items():
        if named is None or isinstance(source, list):
            continue
        if source not in named:
            raise InputError(f"'{source}' is not a field of this format (fields: "
                             f"{', '.join(named)})", file=file, field=canon)
        out[canon] = blank_to_null(named[source], NULL_TEXT)
        notes.append(f"{canon} ← {source} (set in the case)")
    qnotes, low = quality_notes(out)
    return ParsedTable(columns=out, lines=np.asarray(lines, dtype=np.int64), bad_lines=bad or [],
                       bad_line_count=bad_count or len(bad or []), notes=notes + qnotes,
                       headers=headers, time_basis=time_basis,
                       low_precision=low_precision or low, encoding=encoding)


def concat_sorted(parts: list[tuple[dict[str, pa.Array], np.ndarray]]) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Join per-layout column sets back into file order."""
    if len(parts) == 1:
        return parts[0]
    lines = np.concatenate([p[1] for p in parts])
    order = np.argsort(lines, kind="stable")
    names = {k for p in parts for k in p[0]}
    cols = {}
    for name in names:
        typ = next(p[0][name].type for p in parts if name in p[0])
        chunks = [p[0].get(name, nulls(len(p[1]), typ)) for p in parts]
        cols[name] = pc.take(pa.concat_arrays([c.cast(typ) for c in chunks]), pa.array(order))
    return cols, lines[order]


# ---------------------------------------------------------------- sniffing

def records(sample: Sample, delimiter: str, *, quotechar: str | None = '"',
            escapechar: str | None = None, skip: int = 0, limit: int = 40) -> list[list[str]]:
    """The first non-blank sample lines split as the format would split them."""
    lines = [ln for ln in sample.lines[skip:] if ln.strip()][:limit]
    kw = {"delimiter": delimiter, "escapechar": escapechar}
    if quotechar:
        kw["quotechar"] = quotechar
    else:
        kw["quoting"] = csv.QUOTE_NONE
    out = []
    for ln in lines:  # one line at a time: a broken quote must not swallow the next line
        try:
            out.append(next(csv.reader([ln], **kw)))
        except (csv.Error, StopIteration):
            out.append(ln.split(delimiter))
    return out


def share(rows: list, pred: Callable[[object], bool]) -> float:
    if not rows:
        return 0.0
    hits = 0
    for r in rows:
        try:
            hits += bool(pred(r))
        except (IndexError, ValueError):
            pass
    return hits / len(rows)


def dominant(values: Iterable[int]) -> int:
    vals = list(values)
    return max(set(vals), key=vals.count) if vals else 0


def fmt_share(x: float) -> str:
    return f"{round(x * 100)}%"


ISO_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
