"""Oracle (Acme Packet) SBC local CDR CSV: Stop records in the RADIUS attribute order.

The Stop layout is reconstructed from the Interim one (unconfirmed). Calling and
called stations are whole From/To header values; the number is taken from the
URI, or from the display name when the URI holds only an address. Quoted values
may contain unescaped quotes: such lines are split again on ``","`` boundaries.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.columns.sip import uri_number, uri_numbers
from workbench.common.errors import InputError

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import line_starts, nonblank_lines
from .acme_split import gather, line_bounds, split_fields
from .acme_times import acme_times
from .common import (
    MAX_BAD_KEPT,
    NULL_TEXT,
    Part,
    blank_to_null,
    concat_sorted,
    extract,
    finish,
    fmt_share,
    head_lines,
    lines_text,
    most_common,
    select_lines,
    share,
    text,
)
from .positional import Positional, clean_utf8, read_positional, with_text

STOP = {  # 0-based
    "nas_ip": 1, "session_id": 3, "ingress_call_id": 4, "egress_call_id": 5, "protocol": 6,
    "calling_station": 9, "called_station": 10, "terminate_cause": 11, "session_time": 12,
    "setup_time": 13, "connect_time": 14, "disconnect_time": 15, "disconnect_cause": 16,
    "egress_realm": 21, "ingress_realm": 22,
}
NEED = max(STOP.values()) + 1
WANTED = sorted(STOP.values())
DISPLAY_NAME = r"^\s*[\"']?(?P<v>[^\"'<]*?)[\"']?\s*<"
VERSTAT = r"(?i)verstat=(?P<v>[A-Za-z0-9_-]+)"
ZONED = re.compile(r"^[*.]?\d{1,2}:\d{2}:\d{2}(\.\d+)? [A-Za-z]{1,5} [A-Za-z]{3} \d{1,2} \d{4}$")
# a quoted value ends at a quote followed by a comma or the end of the line
_CLOSING = re.compile(r'"(?=,|$)')


def split_lenient(line: str) -> list[str]:
    """Split a line whose quoted values may hold bare quotes.

    The closing quotes are found once and each quoted value takes the first one after it (a
    regex searching forward from every value made a line of many unclosed values quadratic)."""
    closes = [m.start() for m in _CLOSING.finditer(line)]
    out: list[str] = []
    pos, n = 0, len(line)
    while pos <= n:
        if pos < n and line[pos] == '"':
            k = bisect_left(closes, pos + 1)
            if k < len(closes):
                out.append(line[pos + 1:closes[k]])
                pos = closes[k] + 2
                continue
        comma = line.find(",", pos)
        comma = n if comma < 0 else comma
        out.append(line[pos:comma])
        pos = comma + 1
    return out


def read_acme(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc))


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    if not clean_utf8(data):  # as text_lines would: the file is retried as Windows-1252
        raise UnicodeError("not UTF-8")
    starts = line_starts(data)
    numbers = nonblank_lines(data, starts)  # the lines text_lines keeps, without copying them
    kind = _status_types(data, starts[numbers - 1])
    stops = numbers[kind == 2]
    others = int(np.count_nonzero((kind == 1) | (kind == 3)))
    strays = np.flatnonzero(kind == 0)
    bad = [BadLine(int(numbers[i]), "not an accounting record (Acct-Status-Type 1–3)", t)
           for i, t in zip(strays, lines_text(data, numbers[strays[:MAX_BAD_KEPT]], starts))]
    if not len(stops):
        raise InputError("no Stop records (Acct-Status-Type 2) found", file=str(path))
    sub = select_lines(data, stops, starts)
    pos = read_positional(sub, delimiter=",", expected=_count(sub), accept=lambda n: n >= NEED,
                          file=str(path), reason=f"a Stop record needs at least {NEED}",
                          columns=lambda _count: WANTED)  # 15 of ~200 fields converted
    parts = []
    for g in pos.groups:
        named = {k: g.col(i) for k, i in STOP.items()}
        parts.append((named, stops[g.lines - 1]))
    fixed, broken = _repair(pos, stops)  # unescaped quotes inside quoted values: all repaired
    bad += broken
    bad_count = len(strays) + len(pos.bad_numbers) - len(fixed[1])
    if len(fixed[1]):
        parts.append(fixed)
    named, rows = concat_sorted(parts)
    named = {k: blank_to_null(v, NULL_TEXT) for k, v in named.items()}
    times, unknown = {}, {}
    for canon, src in (("start", "setup_time"), ("answer", "connect_time"),
                       ("end", "disconnect_time")):
        times[canon], unk = acme_times(named[src])
        unknown.update(unk)
    calling, calling_name, verstat = calling_fields(named["calling_station"])
    columns = {
        **times,
        "calling": calling, "called": uri_number(named["called_station"]),
        "calling_name": calling_name,
        "duration": named["session_time"], "disposition": named["disconnect_cause"],
        "ingress": named["ingress_realm"], "egress": named["egress_realm"],
        "call_id": named["ingress_call_id"], "call_id_2": named["egress_call_id"],
        "verstat": verstat,
    }
    notes = ["Acme Packet Stop records (layout reconstructed, unconfirmed): calling/called from "
             "the From/To header values (URI user, else display name); ingress/egress ← "
             "ingress/egress realm; call_id/call_id_2 ← ingress/egress Call-ID",
             "times carry a zone token: converted to UTC"]
    if len(fixed[1]):
        notes.append(f"{len(fixed[1])} lines with bare quotes inside quoted values were split "
                     "leniently")
    if others:
        notes.append(f"{others} Start/Interim records skipped")
    if unknown:
        notes.append("unknown zone tokens (times left empty): " + ", ".join(unknown))
    bad.sort(key=lambda b: b.line)
    return finish(columns, rows, named=named, opts=opts, file=str(path), notes=notes,
                  bad=bad[:MAX_BAD_KEPT], bad_count=bad_count, encoding=enc)


def calling_fields(col) -> tuple[pa.Array, pa.Array, pa.Array]:
    """The calling number (``uri_number``), display name and verstat of the From header
    values, each computed on the distinct values of one shared dictionary (a dictionary of a
    million distinct headers costs as much as the three regexes together)."""
    enc = pc.dictionary_encode(text(col))
    values, idx = enc.dictionary, enc.indices
    return (pc.take(uri_numbers(values), idx), pc.take(extract(values, DISPLAY_NAME), idx),
            pc.take(extract(values, VERSTAT), idx))


def _status_types(data: bytes, at: np.ndarray) -> np.ndarray:
    """Acct-Status-Type of the lines starting at ``at``: 1, 2 or 3 where the line starts with
    that digit and a comma, else 0 (what ``^([0-9]+),`` gives in {"1", "2", "3"}, read off
    the first two bytes)."""
    buf = np.frombuffer(data, np.uint8)
    if not len(buf):
        return np.zeros(len(at), np.int8)
    first = buf[at]
    comma = buf[np.minimum(at + 1, len(buf) - 1)]
    kind = np.where((at + 1 < len(buf)) & (comma == 44) & (first >= 49) & (first <= 51),
                    first - 48, 0)
    return kind.astype(np.int8)


def _repair(pos: Positional, stops: np.ndarray) -> tuple[Part, list[BadLine]]:
    """The lines pyarrow refused, split by ``split_lenient``'s rule (vectorized,
    ``acme_split``): those with a Stop record's fields as (columns, lines), and the others as
    bad lines (the first ``MAX_BAD_KEPT``, as ``Positional.all_bad`` words them)."""
    refused = pos.bad_numbers
    if not len(refused):
        return ({k: pa.array([], pa.string()) for k in STOP}, np.zeros(0, np.int64)), []
    lines = select_lines(pos.data, refused, pos.starts)  # just these lines, end to end
    lo, hi = line_bounds(lines)
    ok, start, end = split_fields(lines, lo, hi, NEED)
    cols = {k: gather(lines, start[i][ok], end[i][ok]) for k, i in STOP.items()}
    why = {b.line: b.reason for b in pos.bad_lines}
    left = np.flatnonzero(~ok)[:MAX_BAD_KEPT]
    broken = [BadLine(int(stops[refused[i] - 1]), why.get(int(refused[i]), "refused by the parser"),
                      lines[lo[i]:hi[i]].decode("utf-8", errors="replace"))
              for i in left.tolist()]
    return (cols, stops[refused[ok] - 1]), broken


def _count(sub: bytes) -> int:
    counts = [len(split_lenient(ln)) for ln in head_lines(sub)[:50] if ln.strip()]
    return most_common(counts, NEED)


def sniff_acme(sample: Sample) -> Detection | None:
    rows = [split_lenient(ln) for ln in sample.lines if ln.strip()][:40]
    typed = [r for r in rows if r and r[0] in ("1", "2", "3")]
    stops = [r for r in typed if r[0] == "2" and len(r) >= NEED]
    if not stops:
        return None
    timed = share(stops, lambda r: ZONED.match(r[13]))
    sip = share(stops, lambda r: "sip:" in r[9] or "tel:" in r[9])
    nas = share(stops, lambda r: re.match(r"^\d{1,3}(\.\d{1,3}){3}$", r[1]))
    score = (0.6 + 0.4 * len(typed) / len(rows)) * (0.3 + 0.3 * timed + 0.2 * sip + 0.15 * nas)
    return Detection("acme", round(score, 3), [
        f"{len(typed)} of {len(rows)} lines start with Acct-Status-Type 1/2/3; "
        f"{len(stops)} Stop records with ≥{NEED} fields "
        f"({min(map(len, stops))}–{max(map(len, stops))})",
        f"h323-setup-time (field 14) is 'HH:MM:SS.mmm ZONE MON DD YYYY' on {fmt_share(timed)}",
        f"Calling-Station-Id (field 10) is a SIP header value on {fmt_share(sip)}"])


register(FormatProfile(
    name="acme", title="Oracle / Acme Packet SBC local CDR (Stop records)", read=read_acme,
    sniff=sniff_acme, confirmed=False,
    description="Header-less RADIUS-order CSV; Stop records; numbers from From/To header values; "
                "zone-token times; ingress/egress realms (Stop layout unconfirmed)."))
