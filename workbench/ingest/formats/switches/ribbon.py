"""Ribbon (Sonus) SBC Core ``.ACT`` accounting files: STOP and ATTEMPT records.

Each record type has its own column layout, so lines are grouped by their first
field and each group is read on its own. A file header line comes first and a
``File administratively closed`` line may come last.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.errors import InputError

from .. import register
from ..base import BadLine, Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from .common import (
    MAX_BAD_KEPT,
    NULL_TEXT,
    blank_to_null,
    coalesce,
    concat_sorted,
    extract,
    finish,
    fmt_share,
    line_starts,
    most_common,
    records,
    text_lines,
    texts_at,
)
from .positional import read_positional, with_text
from .times import strptime_frac, wall_to_utc

RECORD_TYPES = ("START", "STOP", "ATTEMPT", "INTERMEDIATE", "EVENT", "RECORDING")
LAYOUTS = {  # 0-based positions; the ATTEMPT times are inferred from the STOP layout (unconfirmed)
    "STOP": {"gateway": 1, "accounting_id": 2, "zone": 4, "start_date": 5, "start_time": 6,
             "end_date": 10, "end_time": 11, "service_duration": 13, "reason": 14,
             "direction": 16, "calling": 19, "called": 20, "egress_remote_ip": 32,
             "ingress_tg": 33, "ingress_pvsd": 51, "dialed": 59, "initiator": 63,
             "egress_tg": 67, "egress_pvsd": 68, "incoming_calling": 69, "gcid": 81},
    "ATTEMPT": {"gateway": 1, "accounting_id": 2, "zone": 4, "start_date": 5, "start_time": 6,
                "end_date": 8, "end_time": 9, "reason": 11, "calling": 16, "called": 17,
                "ingress_tg": 30, "ingress_pvsd": 44, "initiator": 56, "egress_tg": 57,
                "egress_pvsd": 58, "incoming_calling": 59},
}
MM_DD = re.compile(r"^\d{2}/\d{2}/\d{4}$")


def pvsd_call_id(col) -> pa.Array:
    """Sub-field 2 of a SIP PVSD list (``SIP,<call-id>,<from>,…``), ``%2C`` decoded."""
    sub = extract(blank_to_null(col), r"^[^,]*,(?P<v>[^,]*)")
    return pc.replace_substring(blank_to_null(sub), "%2C", ",")


def read_ribbon(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc))


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    starts = line_starts(data)
    lines_arr, numbers = text_lines(data, starts)
    if not len(numbers):
        raise InputError("file is empty", file=str(path))
    kind = extract(lines_arr, r"^(?P<v>[A-Z]+),")
    kind_np = pc.fill_null(kind, "").to_numpy(zero_copy_only=False)
    known = np.isin(kind_np, RECORD_TYPES)
    notes = ["Ribbon .ACT accounting file: STOP and ATTEMPT records read; positions from the "
             "CDR field descriptions (ATTEMPT times and the duration unit unconfirmed)"]
    stray = ~known
    other = np.flatnonzero(stray)  # few: the closing line is looked for among them only
    closing = pc.match_substring(pc.take(lines_arr, pa.array(other)), "administratively closed",
                                 ignore_case=True)
    stray[other[closing.to_numpy(zero_copy_only=False)]] = False
    if not known[0]:
        notes.append(f"file header line skipped: {lines_arr[0].as_py()[:80]}")
        stray[0] = False
    strays = np.flatnonzero(stray)
    bad = [BadLine(int(numbers[i]), "not a Ribbon record (no STOP/ATTEMPT/… type)", t)
           for i, t in zip(strays, texts_at(lines_arr, strays[:MAX_BAD_KEPT]))]
    bad_count = len(strays)
    parts = []
    for rtype, layout in LAYOUTS.items():
        rows = np.flatnonzero(kind_np == rtype)
        if not len(rows):
            continue
        these = numbers[rows]
        need = max(layout.values()) + 1
        # text_lines checked every byte is UTF-8: converting only the fields read is safe
        pos = read_positional(data, delimiter=",", expected=_count(texts_at(lines_arr, rows[:50])),
                              accept=lambda n, need=need: n >= need, file=str(path),
                              reason=f"a Ribbon {rtype} record needs at least {need}",
                              columns=lambda _n, keep=list(layout.values()): keep,
                              only=these, starts=starts)
        bad += pos.bad_lines
        bad_count += pos.bad_count
        for g in pos.groups:
            named = {k: blank_to_null(g.col(i), NULL_TEXT) for k, i in layout.items()}
            parts.append((_canonical(named, rtype), g.lines))
        notes.append(f"{len(these)} {rtype} records")
    skipped = int(known.sum()) - sum(int((kind_np == t).sum()) for t in LAYOUTS)
    if skipped:
        notes.append(f"{skipped} START/INTERMEDIATE/EVENT records skipped (STOP and ATTEMPT "
                     "hold the whole call)")
    if not parts:
        raise InputError("no STOP or ATTEMPT records found", file=str(path))
    columns, rows = concat_sorted(parts)
    wall = strptime_frac(columns.pop("@start_wall"), "%m/%d/%Y %H:%M:%S")
    wall_end = strptime_frac(columns.pop("@end_wall"), "%m/%d/%Y %H:%M:%S")
    zones = columns.pop("@zone")
    start, unknown = wall_to_utc(wall, zones)
    if unknown and len(unknown) == len(pc.unique(pc.drop_null(zones))):
        notes.append(f"node time zone {', '.join(unknown)} not understood: times read in the "
                     "source's timezone")
        columns["start"] = pc.strftime(wall, "%Y-%m-%d %H:%M:%S")  # %S keeps the fraction
        columns["end"] = pc.strftime(wall_end, "%Y-%m-%d %H:%M:%S")
    else:
        columns["start"] = start
        columns["end"] = wall_to_utc(wall_end, zones)[0]
        notes.append("times: node local time with its zone (field 5) → UTC")
        if unknown:
            notes.append("unknown node time zones (times left empty): " +
                         ", ".join(f"{k} ×{v}" for k, v in unknown.items()))
    notes.append("ingress/egress ← Ingress/Egress Trunk Group Name; call_id/call_id_2 ← "
                 "sub-field 2 of the ingress/egress PVSD; duration ← Call Service Duration "
                 "÷ 100 (10 ms units, unconfirmed)")
    bad.sort(key=lambda b: b.line)
    return finish(columns, rows, named=None, opts=opts, file=str(path), notes=notes,
                  bad=bad[:MAX_BAD_KEPT], bad_count=bad_count, encoding=enc)


def _canonical(named: dict[str, pa.Array], rtype: str) -> dict[str, pa.Array]:
    join = lambda d, t: pc.binary_join_element_wise(d, t, " ")  # noqa: E731
    duration = None
    if "service_duration" in named:
        raw = named["service_duration"]
        ticks = pc.cast(pc.if_else(pc.match_substring_regex(raw, r"^[0-9]+$"), raw,
                                   pa.scalar(None, pa.string())), pa.float64())
        duration = pc.divide(ticks, 100.0)
    n = len(named["called"])
    return {
        "@start_wall": join(named["start_date"], named["start_time"]),
        "@end_wall": join(named["end_date"], named["end_time"]),
        "@zone": named["zone"],
        "calling": coalesce(named["calling"], named["incoming_calling"]),
        "called": named["called"],
        "duration": duration if duration is not None else pa.nulls(n, pa.float64()),
        "disposition": named["reason"],
        "ingress": named["ingress_tg"], "egress": named["egress_tg"],
        "call_id": pvsd_call_id(named["ingress_pvsd"]),
        "call_id_2": pvsd_call_id(named["egress_pvsd"]),
    }


def _count(sample: list[str]) -> int:
    """The usual field count of some lines of one record type."""
    return most_common([len(r) for r in csv.reader(sample)], 1)


def sniff_ribbon(sample: Sample) -> Detection | None:
    rows = records(sample, ",")
    typed = [r for r in rows if r and r[0] in RECORD_TYPES]
    if not typed:
        return None
    dated = [r for r in typed if len(r) > 6 and MM_DD.match(r[5])]
    frac = len(typed) / len(rows)
    score = 0.5 + 0.25 * frac + 0.2 * (len(dated) / len(typed))
    kinds = sorted({r[0] for r in typed})
    return Detection("ribbon", round(min(score, 0.96), 3), [
        f"{len(typed)} of {len(rows)} lines start with a record type ({', '.join(kinds)})",
        f"field 6 is MM/DD/YYYY on {fmt_share(len(dated) / len(typed))}"])


register(FormatProfile(
    name="ribbon", title="Ribbon / Sonus SBC .ACT accounting", read=read_ribbon,
    sniff=sniff_ribbon, confirmed=False,
    description="File header line; STOP and ATTEMPT records with their own layouts; quoted "
                "PVSD sub-field lists; node local time + zone; ingress/egress trunk groups."))
