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

from workbench.columns.sip import uri_number
from workbench.common.errors import InputError

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from .common import (
    MAX_BAD_KEPT,
    NULL_TEXT,
    blank_to_null,
    concat_sorted,
    extract,
    finish,
    fmt_share,
    head_lines,
    most_common,
    select_lines,
    share,
    text,
    text_lines,
    texts_at,
)
from .positional import read_positional, with_text
from .times import zoned_times

STOP = {  # 0-based
    "nas_ip": 1, "session_id": 3, "ingress_call_id": 4, "egress_call_id": 5, "protocol": 6,
    "calling_station": 9, "called_station": 10, "terminate_cause": 11, "session_time": 12,
    "setup_time": 13, "connect_time": 14, "disconnect_time": 15, "disconnect_cause": 16,
    "egress_realm": 21, "ingress_realm": 22,
}
NEED = max(STOP.values()) + 1
DISPLAY_NAME = r"^\s*[\"']?(?P<v>[^\"'<]*?)[\"']?\s*<"
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
    lines_arr, numbers = text_lines(data)
    kind = pc.fill_null(extract(lines_arr, r"^(?P<v>[0-9]+),"), "").to_numpy(zero_copy_only=False)
    stops = numbers[kind == "2"]
    others = int(np.isin(kind, ["1", "3"]).sum())
    strays = np.flatnonzero(~np.isin(kind, ["1", "2", "3"]))
    bad = [BadLine(int(numbers[i]), "not an accounting record (Acct-Status-Type 1–3)", t)
           for i, t in zip(strays, texts_at(lines_arr, strays[:MAX_BAD_KEPT]))]
    if not len(stops):
        raise InputError("no Stop records (Acct-Status-Type 2) found", file=str(path))
    sub = select_lines(data, stops)
    pos = read_positional(sub, delimiter=",", expected=_count(sub), accept=lambda n: n >= NEED,
                          file=str(path), reason=f"a Stop record needs at least {NEED}")
    parts = []
    for g in pos.groups:
        named = {k: g.col(i) for k, i in STOP.items()}
        parts.append((named, stops[g.lines - 1]))
    fixed = []
    for b in pos.all_bad():  # unescaped quotes inside quoted values: every one repaired
        fields = split_lenient(b.text)
        if len(fields) >= NEED:
            fixed.append((stops[b.line - 1], fields))
        else:
            b.line = int(stops[b.line - 1])
            bad.append(b)
    bad_count = len(strays) + len(pos.bad_numbers) - len(fixed)
    if fixed:
        parts.append(({k: pa.array([f[i] for _, f in fixed], pa.string()) for k, i in STOP.items()},
                      np.asarray([n for n, _ in fixed], np.int64)))
    named, rows = concat_sorted(parts)
    named = {k: blank_to_null(v, NULL_TEXT) for k, v in named.items()}
    times, unknown = {}, {}
    for canon, src in (("start", "setup_time"), ("answer", "connect_time"),
                       ("end", "disconnect_time")):
        times[canon], unk, _ = zoned_times(named[src])
        unknown.update(unk)
    calling_raw = text(named["calling_station"])
    columns = {
        **times,
        "calling": uri_number(calling_raw), "called": uri_number(named["called_station"]),
        "calling_name": extract(calling_raw, DISPLAY_NAME, distinct=True),
        "duration": named["session_time"], "disposition": named["disconnect_cause"],
        "ingress": named["ingress_realm"], "egress": named["egress_realm"],
        "call_id": named["ingress_call_id"], "call_id_2": named["egress_call_id"],
        "verstat": extract(calling_raw, r"(?i)verstat=(?P<v>[A-Za-z0-9_-]+)", distinct=True),
    }
    notes = ["Acme Packet Stop records (layout reconstructed, unconfirmed): calling/called from "
             "the From/To header values (URI user, else display name); ingress/egress ← "
             "ingress/egress realm; call_id/call_id_2 ← ingress/egress Call-ID",
             "times carry a zone token: converted to UTC"]
    if fixed:
        notes.append(f"{len(fixed)} lines with bare quotes inside quoted values were split "
                     "leniently")
    if others:
        notes.append(f"{others} Start/Interim records skipped")
    if unknown:
        notes.append("unknown zone tokens (times left empty): " + ", ".join(unknown))
    bad.sort(key=lambda b: b.line)
    return finish(columns, rows, named=named, opts=opts, file=str(path), notes=notes,
                  bad=bad[:MAX_BAD_KEPT], bad_count=bad_count, encoding=enc)


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
