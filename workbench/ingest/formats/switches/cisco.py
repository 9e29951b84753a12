"""Cisco Unified CM CDR files (two header lines, epoch UTC) and CUBE gateway accounting files."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from workbench.common.errors import InputError

from .. import register
from ..base import Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from ..delimited import _dedupe, read_delimited
from .common import (
    NULL_TEXT,
    blank_to_null,
    coalesce,
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
from .positional import clean_utf8, read_positional, with_text
from .times import epoch_to_utc, seconds_between, zoned_times

# ---------------------------------------------------------------- CUCM

SQL_TYPES = re.compile(r"\b(INTEGER|VARCHAR|UNIQUEIDENTIFIER|SMALLINT|CHAR|TEXT)\b", re.I)
CUCM_NEEDED = ("dateTimeOrigination", "callingPartyNumber", "originalCalledPartyNumber")


def ipv4_le(col) -> pa.Array:
    """CUCM's signed 32-bit little-endian IPv4 (``342111174`` → ``198.51.100.20``); 0 → null."""
    arr = blank_to_null(col, NULL_TEXT, strip=True)
    ok = pc.match_substring_regex(arr, r"^-?[0-9]{1,10}$")
    num = pc.cast(pc.if_else(ok, arr, pa.scalar(None, pa.string())), pa.int64())
    mask = pc.fill_null(pc.equal(num, 0), True).to_numpy(zero_copy_only=False)
    v = np.bitwise_and(pc.fill_null(num, 0).to_numpy(), 0xFFFFFFFF)
    octets = [pc.cast(pa.array((v >> (8 * i)) & 255), pa.string()) for i in range(4)]
    return pc.if_else(pa.array(mask), pa.scalar(None, pa.string()),
                      pc.binary_join_element_wise(*octets, "."))


def read_cucm(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read_cucm(path, opts, data, enc))


def _read_cucm(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    head = head_lines(data)
    first = next((i for i, ln in enumerate(head) if ln.strip()), None)
    if first is None:
        raise InputError("file is empty", file=str(path))
    header = [h.strip() for h in next(csv.reader(io.StringIO(head[first])))]
    types = len(head) > first + 1 and SQL_TYPES.search(head[first + 1])
    skip = first + (2 if types else 1)
    cols = _dedupe(header)
    by_lower = {c.lower(): c for c in cols}
    missing = [c for c in CUCM_NEEDED if c.lower() not in by_lower]
    if missing:  # before the whole file is parsed
        raise InputError(f"not a CUCM CDR header: no {', '.join(missing)}", file=str(path), line=1)
    d = read_delimited(data, delimiter=",", names=cols, header=False, skip_lines=skip,
                       file=str(path))
    named = {c: text(d.table[c]) for c in cols}

    def get(name: str) -> pa.Array | None:
        c = by_lower.get(name.lower())
        return blank_to_null(named[c], NULL_TEXT) if c else None

    cause = coalesce(*(pc.if_else(pc.equal(c, "0"), pa.scalar(None, pa.string()), c)
                       for c in (get("destCause_value"), get("origCause_value")) if c is not None))
    gcid = [get("globalCallID_callManagerId"), get("globalCallID_callId")]
    columns = {
        "start": epoch_to_utc(get("dateTimeOrigination")),
        "answer": _maybe(epoch_to_utc, get("dateTimeConnect")),
        "end": _maybe(epoch_to_utc, get("dateTimeDisconnect")),
        "calling": get("callingPartyNumber"),
        "called": coalesce(get("originalCalledPartyNumber"), get("finalCalledPartyNumber")),
        "duration": get("duration"),
        "disposition": cause,
        "ingress": coalesce(get("origDeviceName"), _maybe(ipv4_le, get("origIpAddr"))),
        "egress": coalesce(get("destDeviceName"), _maybe(ipv4_le, get("destIpAddr"))),
        "call_id": (pc.binary_join_element_wise(*gcid, "-") if all(c is not None for c in gcid)
                    else None),
    }
    notes = [f"CUCM CDR, {len(cols)} columns named on line {first + 1}" +
             (", SQL types on the next line" if types else ""),
             "times are epoch seconds (UTC); dateTimeConnect = 0 means not answered",
             "ingress/egress ← origDeviceName/destDeviceName (origIpAddr/destIpAddr if empty); "
             "called ← originalCalledPartyNumber; disposition ← Q.850 cause value; call_id ← "
             "globalCallID_callManagerId-globalCallID_callId (shared by the legs of a call)"]
    notes += scientific_numbers(named)
    return finish(columns, d.lines, named=named, opts=opts, file=str(path), notes=notes,
                  bad=d.bad_lines, bad_count=d.bad_count, headers=header, encoding=enc)


SCIENTIFIC = r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"


def scientific_numbers(named: dict[str, pa.Array]) -> list[str]:
    """A warning per number column a spreadsheet wrote as ``9.12678E+11``: its digits are lost
    and never guessed back, so a call to or from it cannot be matched on that field."""
    notes = []
    for name, col in named.items():
        if not name.lower().endswith("number"):
            continue
        sci = pc.match_substring_regex(col, SCIENTIFIC)
        n = count_true(sci)
        if n:
            example = pc.filter(col, sci)[0].as_py()
            notes.append(f"WARNING: {name}: {n} value(s) in scientific notation (e.g. {example}): "
                         "digits lost when a spreadsheet re-saved the file, not recovered")
    return notes


def _maybe(fn: Callable[[pa.Array], pa.Array], col: pa.Array | None) -> pa.Array | None:
    """``fn(col)``, or None for a column this export does not have."""
    return None if col is None else fn(col)


def sniff_cucm(sample: Sample) -> Detection | None:
    first = next((ln for ln in sample.lines if ln.strip()), "")
    low = first.lower()
    if "cdrrecordtype" not in low or "globalcallid_callid" not in low:
        return None
    ev = ["line 1 names the CUCM CDR columns (cdrRecordType, globalCallID_callId, …)"]
    score = 0.93
    if len(sample.lines) > 1 and SQL_TYPES.search(sample.lines[1]):
        score = 0.98
        ev.append("line 2 holds SQL types (INTEGER, VARCHAR(n))")
    return Detection("cucm", score, ev)


# ---------------------------------------------------------------- CUBE

CUBE = {  # 0-based positions (Go-CDR's reading of the gw-accounting file; unconfirmed)
    "RecordTimestamp": 0, "CallId": 1, "CdrType": 2, "LegType": 3, "H323ConfId": 4,
    "PeerAddress": 5, "H323SetupTime": 7, "AlertTime": 8, "H323ConnectTime": 9,
    "H323DisconnectTime": 10, "H323DisconnectCause": 11, "DisconnectText": 12,
    "H323CallOrigin": 13, "Username": 20, "Clid": 21, "Dnis": 22, "PeerId": 26,
    "AccountCode": 32, "RemoteMediaAddress": 71, "CarrierId": 73, "ChargeNumber": 76,
    "OutTrunkgroupLabel": 81, "OutCarrierId": 82, "InTrunkgroupLabel": 84, "InCarrierId": 85,
    "GwRxdCdn": 93, "GwRxdCgn": 94, "GwFinalXlatedCdn": 98, "GwFinalXlatedCgn": 99, "IPHop": 104,
    "InIntrfcDesc": 107, "OutIntrfcDesc": 108, "SessionProtocol": 109, "LocalHostname": 110,
    "BackwardCallId": 111, "FacStatus": 129,
}
CUBE_TIME = re.compile(r"^[*.]?\d{1,2}:\d{2}:\d{2}(\.\d+)? [A-Za-z]{1,5} ([A-Za-z]{3} )?"
                       r"[A-Za-z]{3} \d{1,2} \d{4}$")
CONF_ID = re.compile(r"^[0-9A-Fa-f]{8}( [0-9A-Fa-f]{8}){3}$")
CLOCK_FLAGS = {"*": "not NTP-synchronised", ".": "not authoritative"}


def read_cube(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read_cube(path, opts, data, enc))


def _read_cube(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    head = [ln for ln in head_lines(data) if ln.strip()][:100]
    expected = most_common([len(r) for r in csv.reader(head) if len(r) >= 130], 130)
    # only the CUBE fields are read (overrides name them too): the rest need no conversion
    used = sorted(CUBE.values()) if clean_utf8(data) else None
    pos = read_positional(data, delimiter=",", expected=expected, accept=lambda n: n >= 130,
                          file=str(path), reason="CUBE accounting lines have at least 130",
                          columns=(lambda _count: used) if used else None)
    parts = []
    for g in pos.groups:
        named = {name: blank_to_null(g.col(i)) for name, i in CUBE.items()}
        parts.append((named, g.lines))
    named, lines = concat_sorted(parts) if parts else ({n: pa.array([], pa.string()) for n in CUBE},
                                                     np.zeros(0, np.int64))
    notes = ["CUBE gw-accounting file: positions as read by Go-CDR (unconfirmed)"]
    setup = named["H323SetupTime"]
    zoned = count_true(pc.match_substring_regex(setup, CUBE_TIME.pattern))
    present = len(setup) - setup.null_count
    times = {}
    if zoned and zoned >= present / 2:
        unknown_all: dict[str, int] = {}
        flags_all: dict[str, int] = {}
        for canon, src in (("start", "H323SetupTime"), ("answer", "H323ConnectTime"),
                           ("end", "H323DisconnectTime")):
            times[canon], unknown, flags = zoned_times(named[src])
            for k, v in unknown.items():
                unknown_all[k] = unknown_all.get(k, 0) + v
            if canon == "start":
                flags_all = flags
        notes.append("times carry the router's zone token: converted to UTC")
        if unknown_all:
            notes.append("unknown zone tokens (times left empty): " +
                         ", ".join(f"{k} ×{v}" for k, v in unknown_all.items()))
        if flags_all:
            notes.append("router clock flags on setup times: " + ", ".join(
                f"{k} ×{v} ({CLOCK_FLAGS.get(k, '?')})" for k, v in flags_all.items()))
        duration = pc.cast(seconds_between(times["answer"], times["end"]), pa.string())
    else:
        times = {"start": setup, "answer": named["H323ConnectTime"],
                 "end": named["H323DisconnectTime"]}
        notes.append("times without a zone token: read in the source's timezone")
        duration = None
    columns = {
        **times, "duration": duration,
        "calling": coalesce(named["Clid"], named["GwRxdCgn"]),
        "called": coalesce(named["Dnis"], named["GwRxdCdn"]),
        "disposition": named["H323DisconnectCause"],
        "ingress": named["InTrunkgroupLabel"], "egress": named["OutTrunkgroupLabel"],
        "call_id": named["CallId"], "call_id_2": named["H323ConfId"],
    }
    columns, lines, merged = _merge_legs(columns, lines)
    if merged:
        notes.append(f"{merged} call legs merged into their call by H323ConfId (ingress from the "
                     "leg with InTrunkgroupLabel, egress from the leg with OutTrunkgroupLabel)")
    notes.append("calling ← Clid, called ← Dnis, ingress ← InTrunkgroupLabel, egress ← "
                 "OutTrunkgroupLabel, disposition ← H323DisconnectCause (hex Q.850)")
    return finish(columns, lines, named=named if not merged else None, opts=opts, file=str(path),
                  notes=notes, bad=pos.bad_lines, bad_count=pos.bad_count, encoding=enc)


def _merge_legs(columns: dict[str, pa.Array], lines: np.ndarray):
    """One row per call: the incoming leg, with the outgoing leg's egress filled in."""
    n = len(lines)
    conf = columns["call_id_2"]
    if n == 0 or conf.null_count == n or len(pc.unique(conf)) == n:
        return columns, lines, 0
    idx = np.arange(n, dtype=np.int64)
    own = pc.binary_join_element_wise("\x00", pc.cast(pa.array(idx), pa.string()), "")
    key = pc.coalesce(conf, own)  # a leg without a conference id stays alone
    incoming = pc.is_valid(columns["ingress"]).to_numpy(zero_copy_only=False)
    rank = np.where(incoming, idx, idx + n)
    t = pa.table({"conf": key, "rank": rank,
                  "ingress": columns["ingress"], "egress": columns["egress"]})
    agg = t.group_by("conf", use_threads=False).aggregate(
        [("rank", "min"), ("ingress", "first"), ("egress", "first")])
    rep = agg["rank_min"].to_numpy() % n
    order = np.argsort(rep)
    rep = rep[order]
    out = {k: pc.take(v, pa.array(rep)) for k, v in columns.items()}
    out["ingress"] = pc.take(agg["ingress_first"], pa.array(order)).combine_chunks()
    out["egress"] = pc.take(agg["egress_first"], pa.array(order)).combine_chunks()
    return out, lines[rep], n - len(rep)


def sniff_cube(sample: Sample) -> Detection | None:
    rows = records(sample, ",")
    fit = [r for r in rows if len(r) >= 130]
    if not rows or not fit:
        return None
    timed = share(fit, lambda r: CUBE_TIME.match(r[7]))
    conf = share(fit, lambda r: CONF_ID.match(r[4]))
    count_ok = len(fit) / len(rows)
    score = (0.6 + 0.4 * count_ok) * (0.45 + 0.35 * timed + 0.15 * conf)
    return Detection("cube", round(score, 3), [
        f"{fmt_share(count_ok)} of lines have ≥130 fields "
        f"({min(len(r) for r in fit)}–{max(len(r) for r in fit)})",
        f"field 8 (H323SetupTime) is 'HH:MM:SS.mmm ZONE Day Mon D YYYY' on {fmt_share(timed)}",
        f"field 5 (H323ConfId) is four hex words on {fmt_share(conf)}"])


register(FormatProfile(
    name="cucm", title="Cisco Unified CM CDR", read=read_cucm, sniff=sniff_cucm,
    description="Two header lines (names, SQL types); epoch UTC times; ingress/egress = "
                "origDeviceName/destDeviceName; columns mapped by name."))
register(FormatProfile(
    name="cube", title="Cisco CUBE / IOS gateway accounting file", read=read_cube,
    sniff=sniff_cube, confirmed=False,
    description="Header-less, ≥130 fields, one row per leg (merged by H323ConfId); times with "
                "a zone token; ingress/egress = in/out trunk-group labels (positions "
                "unconfirmed)."))
