"""Asterisk ``cdr_csv`` (Master.csv, 16–21 fields) and the ``cdr_custom`` legacy order (19)."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import register
from ..base import Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..sample import HEAD_BYTES
from .asterisk_lines import read_lines
from .asterisk_text import clid_number
from .common import (
    ISO_LOCAL,
    between,
    blank_to_null,
    coalesce,
    count_of,
    count_true,
    extract,
    fields,
    finish,
    fmt_share,
    head_lines,
    in_file_order,
    most_common,
    on_distinct,
    records,
    share,
    through_last,
)
from .positional import Group, with_text
from .zonecheck import epoch_zone_check

BASE = ["accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp",
        "lastdata", "start", "answer", "end", "duration", "billsec", "disposition", "amaflags"]
NEW_COLUMNS = ["peeraccount", "linkedid", "sequence"]
CUSTOM = ["clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
          "start", "answer", "end", "duration", "billsec", "disposition", "amaflags",
          "accountcode", "uniqueid", "userfield", "sequence"]
DISPOSITIONS = {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "CANCEL", "UNKNOWN"}
AMAFLAGS = {"OMIT", "BILLING", "DOCUMENTATION", "DEFAULT", "0", "1", "2", "3"}
CHANNEL = re.compile(r"^[A-Za-z0-9_]+/.+-[0-9a-fA-F]+(;\d+)?$")
UNIQUEID = r"^[0-9]{9,11}\.[0-9]+$"
UNIQUEID_EPOCH = r"(?:^|-)(?P<v>[0-9]{9,11})\.[0-9]+$"  # a `systemname-` prefix may lead
CALLING_NAME = r'^\s*"(?P<v>.*)"\s*<'
CLID_NUMBER = r"<(?P<v>[^>]*)>"
# the fields canonical() and zone_check() read; the rest are kept only for overrides
USED = {"clid", "src", "dst", "channel", "dstchannel", "start", "answer", "end", "billsec",
        "disposition", "uniqueid", "linkedid"}


def channel_peer(col) -> pa.Array:
    """``PJSIP/larkspur-in-0000012a`` → ``larkspur-in``: the endpoint/peer, i.e. the trunk.

    Drops ``TECH/`` and the last ``-<sequence>`` (``Local/…-…;1`` included), vectorized.
    """
    return blank_to_null(between(col, "/", "-"))


def _layouts(count: int) -> list[list[str]]:
    """Column names a cdr_csv line of ``count`` fields may have (options are appended in
    order; 17 and 20 fields have either loguniqueid or loguserfield)."""
    extra = count - 16
    if extra in (1, 4):
        return [BASE + [one] + (NEW_COLUMNS if extra == 4 else [])
                for one in ("uniqueid", "userfield")]
    if extra == 2:
        return [BASE + ["uniqueid", "userfield"]]
    if extra == 3:
        return [BASE + NEW_COLUMNS]
    if extra >= 5:
        return [BASE + ["uniqueid", "userfield"] + NEW_COLUMNS]
    return [BASE]


def used_fields(count: int, custom: bool) -> list[int]:
    """Indexes of the fields read for lines of ``count`` fields (all layouts that count may
    have; field 16 also tells loguniqueid from loguserfield)."""
    if custom:
        return [i for i, name in enumerate(CUSTOM) if name in USED]
    layouts = _layouts(count)
    keep = {i for cols in layouts for i, name in enumerate(cols) if name in USED}
    if len(layouts) > 1:
        keep.add(16)
    return sorted(keep)


def clid_name(clid: pa.Array) -> pa.Array:
    """The quoted name of ``"Name" <number>``.

    The match always ends at a ``<``, so it is the same on each value cut after its last
    ``<``; those cuts repeat (the number, unique per call, is gone), so the regex runs on
    the distinct cuts only.
    """
    return on_distinct(through_last(clid, "<"), lambda values: extract(values, CALLING_NAME))


def calling_number(src: pa.Array, clid: pa.Array) -> pa.Array:
    """``src``, else the number of ``clid``'s ``<number>`` (``CLID_NUMBER``): read only where
    ``src`` is empty (``coalesce(src, extract(clid))``, without reading every clid)."""
    if src.null_count == len(src):
        return coalesce(src, clid_number(clid))
    if not src.null_count:
        return src
    empty = pc.is_null(src)
    return pc.replace_with_mask(src, empty, clid_number(pc.filter(clid, empty)))


def layout_for(group: Group) -> list[str]:
    """Column names of a cdr_csv line from its field count (options are appended in order)."""
    layouts = _layouts(group.count)
    if len(layouts) == 1:
        return layouts[0]
    # loguniqueid or loguserfield: tell them apart by shape
    first = blank_to_null(group.col(16).slice(0, 10_000))
    looks = count_true(pc.match_substring_regex(first, UNIQUEID))
    present = len(first) - first.null_count
    with_uniqueid, with_userfield = layouts
    return with_uniqueid if looks and looks >= present / 2 else with_userfield


def canonical(named: dict[str, pa.Array]) -> dict[str, pa.Array]:
    clid = blank_to_null(named["clid"])
    calling = calling_number(blank_to_null(named["src"]), clid)
    optional = {k: v for k, v in (("call_id", "uniqueid"), ("call_id_2", "linkedid"))
                if v in named}
    return {
        **fields(named, {"start": "start", "answer": "answer", "end": "end"}),
        "calling": calling,
        "calling_name": clid_name(clid),
        **fields(named, {"called": "dst", "duration": "billsec", "disposition": "disposition"}),
        "ingress": channel_peer(named["channel"]),
        "egress": channel_peer(named["dstchannel"]),
        **fields(named, optional),
    }


def zone_check(named: dict[str, pa.Array], timezone: str) -> list[str]:
    """``uniqueid`` starts with the channel's creation epoch: compare it with ``start``."""
    if "uniqueid" not in named or not len(named["uniqueid"]):
        return []
    pick = pa.array(np.unique(np.linspace(0, len(named["uniqueid"]) - 1, 20_000).astype(np.int64)))
    start = pc.strptime(blank_to_null(pc.take(named["start"], pick)), format="%Y-%m-%d %H:%M:%S",
                        unit="s", error_is_null=True)
    epoch = pc.cast(extract(pc.take(named["uniqueid"], pick), UNIQUEID_EPOCH),
                    pa.int64())
    ok = pc.and_(pc.is_valid(start), pc.is_valid(epoch))
    n = count_true(ok)
    if not n:
        return []
    return epoch_zone_check(pc.filter(start, ok), pc.filter(epoch, ok), timezone)


def read_asterisk(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc, False),
                     mapped=True)


def read_custom(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc, True),
                     mapped=True)


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str, custom: bool) -> ParsedTable:
    # every field is needed only for [sources.columns] overrides: else convert the used ones
    every = bool(opts.columns)
    fields = None if every else (lambda count: used_fields(count, custom))
    if custom:
        pos = read_lines(data, expected=19, accept=lambda n: n == 19, file=str(path),
                         reason="cdr_custom legacy lines have 19", columns=fields)
    else:
        expected = _guess_count(data)
        pos = read_lines(data, expected=expected, accept=lambda n: 16 <= n <= 21,
                         file=str(path), reason="cdr_csv lines have 16 to 21", columns=fields)
    parts = []
    layouts = []
    for g in pos.groups:
        cols = CUSTOM if custom else layout_for(g)
        read = set(g.table.column_names)
        named = {name: g.col(i) for i, name in enumerate(cols) if f"f{i}" in read}
        layouts.append(f"{g.count} fields ({count_of(len(g.lines), 'row')})" +
                       ("" if custom or g.count == 16 else ": … " + ", ".join(cols[16:])))
        raw = named if every else {}
        parts.append(({**canonical(named), **{"@" + k: v for k, v in raw.items()}}, g.lines))
    if not parts:
        empty = {n: pa.array([], pa.string()) for n in CUSTOM + BASE}
        parts = [({**canonical(empty), **{"@" + k: v for k, v in empty.items()}},
                  np.zeros(0, np.int64))]
    columns, lines = in_file_order(parts)
    all_named = {k[1:]: v for k, v in columns.items() if k.startswith("@")}
    if not every:  # what zone_check reads, as start and call_id (blanks already null)
        all_named = {"start": columns["start"],
                     **({"uniqueid": columns["call_id"]} if "call_id" in columns else {})}
    notes = ["layout: " + "; ".join(layouts),
             "ingress/egress ← endpoint/peer of channel/dstchannel; duration ← billsec (talk "
             "seconds); calling ← src (clid number if src is empty)",
             "times are server wall-clock time without a zone: read in the source's timezone"]
    if "call_id" in columns:
        notes.append("call_id ← uniqueid (Asterisk's channel id, not the SIP Call-ID)")
    if all_named:
        notes += zone_check(all_named, opts.timezone)
    return finish(columns, lines, named=None, opts=opts, file=str(path), notes=notes,
                  bad=pos.bad_lines, bad_count=pos.bad_count,
                  headers=CUSTOM if custom else None, encoding=enc)


def _guess_count(data: bytes) -> int:
    head = head_lines(data)
    if len(data) > HEAD_BYTES:
        head = head[:-1]  # cut by the head limit
    counts = [len(r) for r in csv.reader([ln for ln in head if ln.strip()][:200])]
    ok = [c for c in counts if 16 <= c <= 21]
    return most_common(ok, 16)


def sniff_asterisk(sample: Sample) -> Detection | None:
    rows = records(sample, ",")
    fit = [r for r in rows if 16 <= len(r) <= 21]
    if not rows or not fit:
        return None
    count_ok = len(fit) / len(rows)
    # channel in field 6 and clid (not a channel) in field 5: cdr_custom has them one left
    chan = share(fit, lambda r: CHANNEL.match(r[5]) and not CHANNEL.match(r[4]))
    dates = share(fit, lambda r: all(ISO_LOCAL.match(v) or v == "" for v in r[9:12]) and r[9])
    disp = share(fit, lambda r: r[14] in DISPOSITIONS)
    ama = share(fit, lambda r: r[15] in AMAFLAGS)
    score = (0.6 + 0.4 * count_ok) * (0.3 + 0.3 * chan + 0.2 * dates + 0.1 * disp + 0.05 * ama)
    counts = sorted({len(r) for r in fit})
    ev = [f"{fmt_share(count_ok)} of lines have 16–21 fields ({', '.join(map(str, counts))})",
          f"channel (field 6) is TECH/peer-seq on {fmt_share(chan)}",
          f"start/answer/end (10–12) are YYYY-MM-DD HH:MM:SS or empty on {fmt_share(dates)}",
          f"disposition (15) is an Asterisk value on {fmt_share(disp)}"]
    return Detection("asterisk", round(score, 3), ev)


def sniff_custom(sample: Sample) -> Detection | None:
    rows = records(sample, ",")
    fit = [r for r in rows if len(r) == 19]
    if not rows or not fit:
        return None
    count_ok = len(fit) / len(rows)
    chan = share(fit, lambda r: CHANNEL.match(r[4]))
    dates = share(fit, lambda r: all(ISO_LOCAL.match(v) or v == "" for v in r[8:11]) and r[8])
    disp = share(fit, lambda r: r[13] in DISPOSITIONS)
    clid = share(fit, lambda r: r[0] == "" or "<" in r[0] or r[0].isdigit())
    score = (0.6 + 0.4 * count_ok) * (0.3 + 0.3 * chan + 0.2 * dates + 0.1 * disp + 0.05 * clid)
    ev = [f"{fmt_share(count_ok)} of lines have 19 fields (cdr_custom legacy order)",
          f"channel (field 5) is TECH/peer-seq on {fmt_share(chan)}",
          f"start/answer/end (9–11) are YYYY-MM-DD HH:MM:SS or empty on {fmt_share(dates)}",
          f"clid first on {fmt_share(clid)}"]
    return Detection("asterisk_custom", round(score, 3), ev)


register(FormatProfile(
    name="asterisk", title="Asterisk cdr_csv (Master.csv)", read=read_asterisk,
    sniff=sniff_asterisk,
    description="Header-less, 16–21 fields (loguniqueid, loguserfield, newcdrcolumns); "
                "ingress/egress = endpoint of channel/dstchannel; local times."))
register(FormatProfile(
    name="asterisk_custom", title="Asterisk cdr_custom (legacy 19-field order)",
    read=read_custom, sniff=sniff_custom,
    description="clid first, numbers quoted; same meaning as cdr_csv."))
