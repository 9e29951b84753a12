"""FreePBX / Asterisk ``asteriskcdrdb.cdr`` table rows dumped without a header (25/26 fields).

The database table has its own column order (calldate first, one time per call: no answer or
end time). Spreadsheets re-save such dumps with ``D/M/YYYY H:MM:SS`` dates; the ``uniqueid``
epoch beside ``calldate`` settles day-first against month-first and checks the zone.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import register
from ..base import Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from .asterisk import (
    CHANNEL,
    DISPOSITIONS,
    UNIQUEID_EPOCH,
    calling_number,
    channel_peer,
    clid_name,
)
from .common import (
    ISO_LOCAL,
    blank_to_null,
    concat_sorted,
    count_of,
    count_true,
    extract,
    fields,
    finish,
    fmt_share,
    records,
    share,
)
from .positional import clean_utf8, read_positional, with_text
from .times import iso_seconds_text
from .zonecheck import epoch_zone_check

TABLE = ["calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
         "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
         "userfield", "did", "recordingfile", "cnum", "cnam", "outbound_cnum", "outbound_cnam",
         "dst_cnam", "linkedid", "peeraccount", "sequence"]
USED = [TABLE.index(f) for f in ("calldate", "clid", "src", "dst", "channel", "dstchannel",
                                  "billsec", "disposition", "uniqueid")]
COUNTS = (25, 26)  # older FreePBX tables have no `sequence`
UNIQUEID_RE = r"^(?:[^,]*-)?[0-9]{9,11}\.[0-9]+$"
# calldate as the database writes it, and as spreadsheets rewrite it (no zero padding)
FORMS = {"iso": "%Y-%m-%d %H:%M:%S", "dmy": "%d/%m/%Y %H:%M:%S", "mdy": "%m/%d/%Y %H:%M:%S"}
SLASH_DATE = r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?$"
TOLERANCE_S = 12 * 3600  # any real zone: the epoch and the wall clock are ≤ 14 h apart


def _parse_calldate(col: pa.Array, epoch: pa.Array) -> tuple[pa.Array, str]:
    """calldate as naive timestamps and the form used: of the slash forms, the one whose
    dates fall within half a day of the uniqueid epochs (day-first wins ties: FreePBX is
    mostly installed outside North America, and a tie means days ≤ 12 never told)."""
    best: tuple[int, str, pa.Array] | None = None
    ep = pc.cast(epoch, pa.int64())
    for name, fmt in FORMS.items():
        for f in (fmt, fmt.replace(":%S", "")):
            ts = pc.strptime(col, format=f, unit="s", error_is_null=True)
            wall = pc.cast(pc.cast(ts, pa.timestamp("s")), pa.int64())
            near = pc.less_equal(pc.abs(pc.subtract(wall, ep)), TOLERANCE_S)
            score = count_true(pc.fill_null(near, False)) * 2 + (len(ts) - ts.null_count)
            if best is None or score > best[0]:
                best = (score, name + ("" if f == fmt else " without seconds"), ts)
            if name == "iso" and f == fmt and ts.null_count == col.null_count:
                # every date parsed as ISO: a slash form parses none of them (the separators
                # differ), so none can score more; skip their four failing parses
                return ts, name
            if ts.null_count < len(ts) and f == fmt:
                break  # with seconds it parsed: the form without them cannot add rows
    assert best is not None
    return best[2], best[1]


def canonical(named: dict[str, pa.Array], start: pa.Array) -> dict[str, pa.Array]:
    clid = blank_to_null(named["clid"], ("", "NULL"))
    src = blank_to_null(named["src"], ("", "NULL"))
    iso = iso_seconds_text(start)
    return {
        "start": iso,
        "calling": calling_number(src, clid),
        "calling_name": clid_name(clid),
        **fields(named, {"called": "dst", "duration": "billsec", "disposition": "disposition",
                         "call_id": "uniqueid"}),
        "ingress": channel_peer(named["channel"]),
        "egress": channel_peer(named["dstchannel"]),
    }


def read_freepbx(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc))


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    # every field is needed only for [sources.columns] overrides: else convert the used ones
    every = bool(opts.columns) or not clean_utf8(data)
    pos = read_positional(data, delimiter=",", expected=_count(data), accept=lambda n: n in COUNTS,
                          file=str(path), reason="FreePBX cdr table rows have 25 or 26",
                          columns=None if every else (lambda _count: USED))
    parts, notes, forms = [], [], []
    for g in pos.groups:
        read = set(g.table.column_names)
        named = {name: g.col(i) for i, name in enumerate(TABLE[:g.count]) if f"f{i}" in read}
        if every and "linkedid" not in named:
            named["linkedid"] = pa.nulls(len(g.lines), pa.string())
        epoch = pc.cast(extract(named["uniqueid"], UNIQUEID_EPOCH), pa.int64())
        calldate = blank_to_null(named["calldate"], ("", "NULL"))
        start, form = _parse_calldate(calldate, epoch)
        forms.append(f"{g.count} fields ({count_of(len(g.lines), 'row')}), calldate {form}")
        notes += epoch_zone_check(start, epoch, opts.timezone)
        raw = {"@" + k: v for k, v in named.items()} if opts.columns else {}
        parts.append(({**canonical(named, start), **raw}, g.lines))
    if not parts:
        empty = {n: pa.array([], pa.string()) for n in TABLE}
        parts = [({**canonical(empty, pa.array([], pa.timestamp("s"))),
                   **{"@" + k: v for k, v in empty.items()}}, np.zeros(0, np.int64))]
    columns, lines = concat_sorted(parts)
    low = any("without seconds" in f for f in forms)
    notes = ["layout: " + "; ".join(forms),
             "start ← calldate (the table keeps no answer or end time); duration ← billsec; "
             "ingress/egress ← endpoint/peer of channel/dstchannel; call_id ← uniqueid",
             "times are server wall-clock time without a zone: read in the source's timezone",
             *notes]
    if any(not f.endswith("iso") and "iso " not in f for f in forms):
        notes.append("calldate was rewritten by a spreadsheet (slash date): day/month order "
                     "taken from the uniqueid epochs")
    return finish(columns, lines, named=None, opts=opts, file=str(path), notes=notes,
                  bad=pos.bad_lines, bad_count=pos.bad_count, headers=TABLE, encoding=enc,
                  low_precision=low)


def _count(data: bytes) -> int:
    head = bytes(data[:65536]).decode("utf-8", errors="replace").splitlines()[:50]
    counts = [len(r) for r in csv.reader(ln for ln in head if ln.strip())]
    ok = [c for c in counts if c in COUNTS]
    return max(set(ok), key=ok.count) if ok else 25


def sniff_freepbx(sample: Sample) -> Detection | None:
    rows: list[Any] = records(sample, ",")
    fit = [r for r in rows if len(r) in COUNTS]
    if not rows or not fit:
        return None
    count_ok = len(fit) / len(rows)
    date = share(fit, lambda r: _is_date(_row(r)[0]))
    chan = share(fit, lambda r: CHANNEL.match(_row(r)[5]) is not None)
    disp = share(fit, lambda r: _row(r)[11] in DISPOSITIONS)
    uid = share(fit, lambda r: pc_match(_row(r)[14], UNIQUEID_RE))
    score = (0.6 + 0.4 * count_ok) * (0.2 + 0.25 * date + 0.25 * chan + 0.15 * disp + 0.15 * uid)
    return Detection("freepbx_cdr", round(score, 3), [
        f"{fmt_share(count_ok)} of lines have 25/26 fields (asteriskcdrdb.cdr column order, "
        "no header)",
        f"calldate (field 1) is a date and time on {fmt_share(date)}",
        f"channel (field 6) is TECH/peer-seq on {fmt_share(chan)}",
        f"disposition (field 12) is an Asterisk value on {fmt_share(disp)}",
        f"uniqueid (field 15) is <epoch>.<seq> on {fmt_share(uid)}"])


def _row(r: object) -> list[str]:
    assert isinstance(r, list)
    return r


def _is_date(value: str) -> bool:
    return bool(ISO_LOCAL.match(value)) or pc_match(value, SLASH_DATE)


def pc_match(value: str, pattern: str) -> bool:
    return re.match(pattern, value) is not None


register(FormatProfile(
    name="freepbx_cdr", title="FreePBX/Asterisk cdr table dump (no header)", read=read_freepbx,
    sniff=sniff_freepbx,
    description="asteriskcdrdb.cdr rows, 25/26 fields, calldate first; times local; "
                "day/month order of spreadsheet dates from the uniqueid epoch."))
