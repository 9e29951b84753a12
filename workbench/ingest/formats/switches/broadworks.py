"""BroadWorks accounting CDR, CSV flavour: header/footer records, ``\\,`` escapes, ~450 fields."""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.times import AMBIGUOUS, NONEXISTENT, US, is_utc_zone, place_in_zone

from .. import register
from ..base import Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import count_newlines, ends_with_newline
from .broadworks_lines import read_grouped
from .broadworks_times import with_offset
from .common import (
    NULL_TEXT,
    blank_to_null,
    concat_sorted,
    count_true,
    finish,
    fmt_share,
    head_lines,
    most_common,
    records,
    share,
    text,
)
from .positional import read_positional, with_text
from .times import seconds_between, strptime_frac

MIN_FIELDS = 100  # file-level header/footer records have far fewer
POSITIONS = {  # 1-based, from the Accounting CDR Interface Specification (R22)
    "recordId": 1, "serviceProvider": 2, "type": 3, "userNumber": 4, "groupNumber": 5,
    "direction": 6, "callingNumber": 7, "callingPresentationIndicator": 8, "calledNumber": 9,
    "startTime": 10, "userTimeZone": 11, "answerIndicator": 12, "answerTime": 13,
    "releaseTime": 14, "terminationCause": 15, "networkType": 16,
    "carrierIdentificationCode": 17, "dialedDigits": 18, "callCategory": 19,
    "networkCallType": 20, "networkTranslatedNumber": 21, "networkTranslatedGroup": 22,
    "releasingParty": 23, "route": 24, "networkCallID": 25, "codec": 26,
    "accessDeviceAddress": 27, "accessCallID": 28, "originalCalledNumber": 36,
    "redirectingNumber": 39, "localCallId": 45, "remoteCallId": 46,
    "callingPartyCategory": 47, "otherPartyName": 122, "chargedNumber": 146,
}
WANTED = [i - 1 for i in POSITIONS.values()]
FIELD_SEP = re.compile(r"(?<!\\),")  # a comma not escaped as '\,'
BW_TIME = re.compile(r"^\d{14}(\.\d{1,3})?$")
ZONE = re.compile(r"^\d-[0-9]{6}$|^\d[+-][0-9]{6}$")
# userTimeZone: DST flag (1 = daylight time in force), sign, hhmmss offset from UTC
ZONE_PARTS = re.compile(r"^(?P<dst>[01])(?P<sign>[+-])(?P<h>[0-9]{2})(?P<m>[0-9]{2})(?P<s>00)$")
TIMES = (("start", "startTime"), ("answer", "answerTime"), ("end", "releaseTime"))


def read_broadworks(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc))


def _field_count(line: str) -> int:
    return len(FIELD_SEP.split(line))


def _file_records(data: bytes) -> tuple[int, set[int], list[str]]:
    """Header record (first line) and footer record (last line): skipped, not bad."""
    skip, ignore, seen = 0, set(), []
    ends = _end_lines(data)
    for n, raw in ends:
        if _field_count(raw) < MIN_FIELDS and raw not in seen:
            seen.append(raw)
            if n == ends[0][0]:
                skip = n
            else:
                ignore.add(n)
    return skip, ignore, seen


def _end_lines(data: bytes) -> list[tuple[int, str]]:
    """(number, text) of the first and the last non-blank line, found from the file's two
    ends: no pass over the millions of lines between them."""
    def blank(a: int, b: int) -> bool:
        return b - a <= 0 or data[a:b] == b"\r"

    def decoded(a: int, b: int) -> str:
        return bytes(data[a:b]).decode("utf-8", errors="replace").rstrip("\r\n")

    pos, n, size = 0, 1, len(data)
    while pos < size:
        stop = data.find(b"\n", pos)
        stop = size if stop < 0 else stop
        if not blank(pos, stop):
            break
        pos, n = stop + 1, n + 1
    else:
        return []
    first = (n, decoded(pos, stop))
    stop = size - 1 if ends_with_newline(data) else size
    while True:
        start = data.rfind(b"\n", 0, max(stop, 0)) + 1
        if not blank(start, stop):
            return [first, (count_newlines(data, 0, start) + 1, decoded(start, stop))]
        stop = start - 1


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    skip, ignore, file_records = _file_records(data)
    head = head_lines(data)[skip:skip + 200]
    counts = [_field_count(ln) for ln in head if ln.strip()]
    expected = most_common([c for c in counts if c >= MIN_FIELDS], 450)
    kw = dict(delimiter=",", accept=lambda n: n >= MIN_FIELDS, quote_char=False,
              escape_char="\\", double_quote=False, file=str(path),
              reason=f"BroadWorks data records have at least {MIN_FIELDS}",
              columns=lambda _count: WANTED)  # ~40 of ~450 fields converted
    pos = read_grouped(data, expected=expected, skip_lines=skip, ignore=ignore,
                       read=lambda d: read_positional(d, expected=expected, skip_lines=skip,
                                                      ignore=ignore, **kw), **kw)
    parts = [({name: (text(g.col(i - 1)) if i <= g.count else pa.nulls(len(g.lines), pa.string()))
               for name, i in POSITIONS.items()}, g.lines) for g in pos.groups]
    if not parts:
        parts = [({k: pa.array([], pa.string()) for k in POSITIONS}, np.zeros(0, np.int64))]
    raw, lines = concat_sorted(parts)
    named = {k: blank_to_null(v, NULL_TEXT) for k, v in raw.items()}
    kind = pc.utf8_lower(pc.fill_null(named["type"], ""))
    keep = pc.equal(kind, "normal")
    dropped = len(lines) - count_true(keep)
    named = {k: pc.filter(v, keep) for k, v in named.items()}
    lines = lines[keep.to_numpy(zero_copy_only=False)]
    terminating = pc.fill_null(pc.equal(pc.utf8_lower(named["direction"]), "terminating"), False)
    user_side = pc.coalesce(named["groupNumber"], named["userNumber"])
    answered = pc.fill_null(pc.equal(pc.utf8_lower(named["answerIndicator"]), "yes"), False)
    talk = seconds_between(strptime_frac(named["answerTime"], "%Y%m%d%H%M%S"),
                           strptime_frac(named["releaseTime"], "%Y%m%d%H%M%S"))
    times = {c: named[f] for c, f in TIMES}
    zone_notes: list[str] = []
    if not is_utc_zone(opts.timezone):  # a local wall clock: each row's own offset pins it
        times, zone_notes = _zoned_times(named, lines, opts.timezone)
    columns = {
        **times,
        "calling": named["callingNumber"], "called": named["calledNumber"],
        "duration": pc.cast(pc.if_else(answered, talk, pa.scalar(0, pa.int64())), pa.string()),
        "disposition": named["terminationCause"],
        # the network side is the route; the other side is the BroadWorks user/group
        "ingress": pc.if_else(terminating, named["route"], user_side),
        "egress": pc.if_else(terminating, named["userNumber"], named["route"]),
        "call_id": named["networkCallID"],
        "calling_name": pc.if_else(terminating, named["otherPartyName"],
                                   pa.scalar(None, pa.string())),
    }
    zones = pc.unique(pc.drop_null(named["userTimeZone"])).to_pylist()
    notes = [f"BroadWorks CSV, {expected} fields per data record; '\\,' escapes read as commas",
             "ingress ← route for Terminating records (groupNumber/userNumber for Originating); "
             "egress ← route for Originating records (userNumber for Terminating); call_id ← "
             "networkCallID"]
    if zone_notes:
        notes += zone_notes
    else:
        notes.append("startTime/answerTime/releaseTime are kept raw and read in the source's "
                     "timezone: whether BroadWorks writes them in UTC or local time is "
                     "unconfirmed (the reference example is UTC); userTimeZone on these records: "
                     f"{', '.join(zones[:5]) or 'none'}"
                     + ("; if this switch writes local time, set the source's timezone and "
                        "each record's userTimeZone gives its exact UTC offset" if zones else ""))
    if file_records:
        notes.append(f"{len(file_records)} file header/footer records skipped")
    if dropped:
        notes.append(f"{dropped} records of type other than Normal (e.g. Start) skipped")
    return finish(columns, lines, named=named, opts=opts, file=str(path), notes=notes,
                  bad=pos.bad_lines, bad_count=pos.bad_count, encoding=enc)


def zone_offsets(col: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """userTimeZone (``1-040000``) per row → (minutes east of UTC, NaN where absent or
    malformed; the ISO suffix ``-04:00``, null there). Zones repeat: parsed once each."""
    enc = pc.dictionary_encode(blank_to_null(col, NULL_TEXT, strip=True))
    values = [_zone_minutes(v) for v in enc.dictionary.to_pylist()]
    minutes = np.array(values + [math.nan], dtype=np.float64)
    suffix = pa.array([None if math.isnan(m) else _iso_offset(m) for m in values] + [None],
                      pa.string())
    idx = enc.indices.fill_null(len(values))
    return minutes[idx.to_numpy(zero_copy_only=False)], pc.take(suffix, idx)


def _zone_minutes(value: str | None) -> float:
    m = ZONE_PARTS.match(value or "")
    if not m or int(m["h"]) > 14 or int(m["m"]) > 59:
        return math.nan
    total = int(m["h"]) * 60 + int(m["m"])
    return float(-total if m["sign"] == "-" else total)


def _iso_offset(minutes: float) -> str:
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(int(abs(minutes)), 60)
    return f"{sign}{h:02d}:{m:02d}"


def _zoned_times(named: dict[str, pa.Array], lines: np.ndarray, zone: str
                 ) -> tuple[dict[str, pa.Array], list[str]]:
    """Times of rows that carry a userTimeZone written as ISO 8601 with that offset (exact,
    never ambiguous); rows without one stay raw, read in the declared zone."""
    minutes, suffix = zone_offsets(named["userTimeZone"])
    have = np.isfinite(minutes)
    if not have.any():
        return {c: named[f] for c, f in TIMES}, [
            "no userTimeZone on these records: times read in the source's timezone " + zone]
    out = {c: with_offset(named[f], suffix, _with_offset) for c, f in TIMES}
    return out, _zone_report(named["startTime"], minutes, lines, zone)


def _with_offset(col: pa.Array, suffix: pa.Array) -> pa.Array:
    raw = blank_to_null(col, NULL_TEXT, strip=True)
    ok = pc.fill_null(pc.match_substring_regex(raw, BW_TIME.pattern), False)
    iso = pc.replace_substring_regex(raw, r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})",
                                     r"\1-\2-\3T\4:\5:\6")
    use = pc.and_(ok, pc.is_valid(suffix))
    return pc.if_else(use, pc.binary_join_element_wise(iso, suffix, ""), raw)


def _zone_report(start: pa.Array, minutes: np.ndarray, lines: np.ndarray, zone: str) -> list[str]:
    """What the offsets settled: rows of a repeated DST hour no longer ambiguous, and rows
    whose offset the declared zone never uses at that wall time (said, not hidden)."""
    naive = strptime_frac(start, "%Y%m%d%H%M%S")
    valid = pc.is_valid(naive).to_numpy(zero_copy_only=False) & np.isfinite(minutes)
    wall = pc.fill_null(naive.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)[valid]
    mins = minutes[valid]
    by_offset = wall - (mins * 60 * US).astype(np.int64)
    first, flags = place_in_zone(wall, zone)
    overlap = (flags & AMBIGUOUS) != 0
    second = overlap & (by_offset == first + 3600 * US)
    fits = (by_offset == first) | second | ((flags & NONEXISTENT) != 0)
    offsets = sorted({_iso_offset(m) for m in np.unique(mins)})
    notes = [f"times read with each record's userTimeZone ({', '.join(offsets[:5])}): "
             f"{int(valid.sum())} starts have an exact UTC offset rather than {zone}'s rules"]
    if overlap.any():
        notes.append(f"{int(overlap.sum())} starts fall in a repeated DST hour of {zone}; "
                     f"userTimeZone settles which pass ({int(second.sum())} the second, "
                     f"{int((overlap & ~second).sum())} the first): not flagged ambiguous")
    if not fits.all():
        bad = np.flatnonzero(~fits)
        line = int(lines[np.flatnonzero(valid)[bad[0]]])
        notes.append(f"userTimeZone disagrees with {zone} on {len(bad)} starts (first: line "
                     f"{line}, {_iso_offset(float(mins[bad[0]]))}): the record's own offset "
                     "was used; check the source's timezone")
    return notes


def sniff_broadworks(sample: Sample) -> Detection | None:
    rows = records(sample, ",", quotechar=None, escapechar="\\")
    fit = [r for r in rows if len(r) >= MIN_FIELDS]
    if not fit:
        return None
    kind = share(fit, lambda r: r[2] in ("Normal", "Start", "Long Duration", "Failover", "Partial"))
    direction = share(fit, lambda r: r[5] in ("Originating", "Terminating"))
    timed = share(fit, lambda r: BW_TIME.match(r[9]))
    zone = share(fit, lambda r: ZONE.match(r[10]))
    count_ok = len(fit) / len(rows)
    score = (0.7 + 0.3 * count_ok) * (0.25 + 0.25 * kind + 0.25 * direction + 0.15 * timed
                                      + 0.08 * zone)
    escaped = any("\\," in ln for ln in sample.lines)
    ev = [f"{fmt_share(count_ok)} of lines have ≥{MIN_FIELDS} fields (others: file "
          "header/footer)",
          f"field 3 is a record type (Normal, Start) on {fmt_share(kind)}",
          f"field 6 is Originating/Terminating on {fmt_share(direction)}",
          f"field 10 is YYYYMMDDhhmmss.mmm on {fmt_share(timed)}; field 11 a zone like 1-040000 "
          f"on {fmt_share(zone)}"]
    if escaped:
        ev.append("commas escaped as '\\,'")
    return Detection("broadworks", round(score, 3), ev)


register(FormatProfile(
    name="broadworks", title="BroadWorks accounting CDR (CSV)", read=read_broadworks,
    sniff=sniff_broadworks,
    description="Header/footer records skipped; '\\,' escapes; Normal records kept; "
                "ingress/egress from route and direction; times raw (UTC vs local unconfirmed; "
                "with a local timezone, each record's userTimeZone gives its exact offset)."))
