"""Sansay VSX CDR (spec V1.10): ``;``-separated, local times plus minutes west of GMT."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import register
from ..base import Detection, FormatProfile, ParsedTable, ReadOptions, Sample
from .common import (
    NULL_TEXT,
    blank_to_null,
    coalesce,
    concat_sorted,
    count_true,
    extract,
    fields,
    finish,
    fmt_share,
    head_lines,
    most_common,
    records,
    share,
    text,
)
from .positional import clean_utf8, read_positional, with_text
from .times import ctime_naive, naive_to_utc

FIELDS = [
    "record_seq", "version", "record_type", "connection_type", "session_id", "release_cause",
    "start_time", "answer_time", "release_time", "minutes_west", "release_cause_string",
    "release_cause_stack", "first_release_dialogue",
    "orig_trunk_id", "orig_protocol", "orig_src_number", "orig_src_host", "orig_dst_number",
    "orig_dst_host", "orig_call_id", "orig_remote_payload_ip", "orig_remote_payload_port",
    "orig_local_payload_ip", "orig_local_payload_port", "orig_codec", "orig_packets_sent",
    "orig_packets_received", "orig_octets_sent", "orig_octets_received", "orig_packets_lost",
    "orig_delay", "orig_jitter",
    "term_trunk_id", "term_protocol", "term_src_number", "term_src_host", "term_dst_number",
    "term_dst_host", "term_call_id", "term_remote_payload_ip", "term_remote_payload_port",
    "term_local_payload_ip", "term_local_payload_port", "term_codec", "term_packets_sent",
    "term_packets_received", "term_octets_sent", "term_octets_received", "term_packets_lost",
    "term_delay", "term_jitter",
    "final_route", "routing_digits", "call_duration", "pdd", "ring_time", "duration_ms",
    "conference_id", "rpid_ani",
]
assert len(FIELDS) == 59
#: the fields this reader uses (rpid_ani runs from 58 to the line's end); the others are
#: converted only for ``[sources.columns]`` overrides
USED = [FIELDS.index(f) for f in (
    "start_time", "answer_time", "release_time", "minutes_west", "release_cause_string",
    "orig_trunk_id", "orig_src_number", "orig_dst_number", "orig_call_id", "term_trunk_id",
    "term_call_id", "final_route", "call_duration")]
TIMES = (("start", "start_time"), ("answer", "answer_time"), ("end", "release_time"))
CTIME = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2} \d{4}$")
VERSION = re.compile(r"^V\d+\.\d+$")
VERSTAT = r"(?i)verstat=(?P<v>[A-Za-z0-9_-]+)"  # the token of a PAI/RPID header value


def ctime_local(col) -> pa.Array:
    """``Mon Jun 10 12:00:31 2024`` (``NA`` = none) → naive wall-clock µs."""
    return ctime_naive(blank_to_null(col, NULL_TEXT))


def _rejoin_uri(cols: list[pa.Array]) -> pa.Array:
    """Field 58 split at the ``;`` of ``<sip:…;verstat=…>``: join up to the closing ``>``."""
    joined = pc.binary_join_element_wise(*cols, ";")
    whole = pc.extract_regex(joined, r"^(?P<v>[^<;]*<[^>]*>[^;]*)")
    opened = pc.greater(pc.count_substring(cols[0], "<"), pc.count_substring(cols[0], ">"))
    fits = pc.match_substring_regex(joined, r"^[^<;]*<[^>]*>")
    return pc.if_else(pc.and_(opened, fits), pc.struct_field(whole, "v"), cols[0])


def read_sansay(path: Path, opts: ReadOptions) -> ParsedTable:
    return with_text(path, opts.encoding, lambda data, enc: _read(path, opts, data, enc))


def _read(path: Path, opts: ReadOptions, data: bytes, enc: str) -> ParsedTable:
    head = [ln for ln in head_lines(data) if ln.strip()][:200]
    expected = most_common([c for c in (ln.count(";") + 1 for ln in head) if c >= 59], 60)
    narrow = not opts.columns and clean_utf8(data)
    pos = read_positional(data, delimiter=";", expected=expected, accept=lambda n: n >= 59,
                          quote_char=False, double_quote=False, file=str(path),
                          reason="Sansay V1.10 records have at least 59",
                          columns=(lambda n: USED + list(range(58, n))) if narrow else None)
    parts = []
    for g in pos.groups:
        read = set(g.table.column_names)
        cols = {name: g.col(i) for i, name in enumerate(FIELDS) if f"f{i}" in read}
        if g.count > 60:  # a PAI/RPID URI with ';' parameters spilled into the next fields
            cols["rpid_ani"] = _rejoin_uri([text(g.col(i)) for i in range(58, g.count)])
        parts.append((cols, g.lines))
    if not parts:
        parts = [({n: pa.array([], pa.string()) for n in FIELDS}, np.zeros(0, np.int64))]
    named, lines = concat_sorted(parts)
    notes = []
    west = blank_to_null(named["minutes_west"], NULL_TEXT, strip=True)
    west = pc.if_else(pc.match_substring_regex(west, r"^-?[0-9]+$"), west,
                      pa.scalar(None, pa.string()))
    minutes = pc.cast(west, pa.float64())
    if minutes.null_count and minutes.null_count < len(minutes):
        usual = pc.mode(minutes)[0]["mode"].as_py()
        notes.append(f"{minutes.null_count} rows have no minutes-west-of-GMT: the file's usual "
                     f"{usual:g} was used")
        minutes = pc.fill_null(minutes, usual)
    if minutes.null_count == len(minutes) and len(minutes):
        times = {c: blank_to_null(named[f], NULL_TEXT) for c, f in TIMES}
        notes.append("no minutes-west-of-GMT values: times read in the source's timezone")
    else:
        east = (-minutes.to_numpy(zero_copy_only=False))
        times = {c: naive_to_utc(ctime_local(named[f]), east) for c, f in TIMES}
        offsets = sorted({int(v) for v in np.unique(minutes.to_numpy(zero_copy_only=False))
                          if np.isfinite(v)})
        notes.append("times: local time + minutes west of GMT (" +
                     ", ".join(map(str, offsets)) + ") → UTC; NA = no time")
    inter = count_true(pc.equal(text(named["final_route"]), "I"))
    rpid = blank_to_null(named["rpid_ani"])
    columns = {
        **times,
        "calling": coalesce(blank_to_null(named["orig_src_number"]), rpid),
        **fields(named, {"called": "orig_dst_number", "duration": "call_duration",
                         "disposition": "release_cause_string", "ingress": "orig_trunk_id",
                         "egress": "term_trunk_id", "call_id": "orig_call_id",
                         "call_id_2": "term_call_id"}),
    }
    if count_true(pc.match_substring(rpid, "verstat", ignore_case=True)):
        columns["verstat"] = extract(rpid, VERSTAT, distinct=True)
    notes.append("ingress/egress ← Trunk ID (origination/termination), kept as text; calling ← "
                 "Orig Source Number; called ← Orig Destination Number; call_id/call_id_2 ← "
                 "orig/term Call-ID (they link the legs inside this switch only)")
    if inter:
        notes.append(f"{inter} rows are intermediate route attempts (field 51 = I); they share "
                     "the call's ingress and differ in egress")
    return finish(columns, lines, named=named, opts=opts, file=str(path), notes=notes,
                  bad=pos.bad_lines, bad_count=pos.bad_count, headers=FIELDS, encoding=enc)


def sniff_sansay(sample: Sample) -> Detection | None:
    rows = records(sample, ";", quotechar=None)
    fit = [r for r in rows if len(r) >= 59]
    if not rows or not fit:
        return None
    version = share(fit, lambda r: VERSION.match(r[1]))
    timed = share(fit, lambda r: CTIME.match(r[6]) or r[6] == "NA")
    west = share(fit, lambda r: re.match(r"^-?\d{1,4}$", r[9]))
    count_ok = len(fit) / len(rows)
    score = (0.6 + 0.4 * count_ok) * (0.3 + 0.35 * version + 0.2 * timed + 0.1 * west)
    vers = sorted({r[1] for r in fit if VERSION.match(r[1])})
    return Detection("sansay", round(score, 3), [
        f"{fmt_share(count_ok)} of lines have ≥59 ';'-separated fields",
        f"field 2 is a version ({', '.join(vers) or 'none'}) on {fmt_share(version)}",
        f"field 7 is 'Mon Jun 10 12:00:31 2024' or NA on {fmt_share(timed)}",
        f"field 10 (minutes west of GMT) is numeric on {fmt_share(west)}"])


register(FormatProfile(
    name="sansay", title="Sansay VSX CDR (V1.10)", read=read_sansay, sniff=sniff_sansay,
    description="';'-separated, 59+ fields; local times + minutes west of GMT (→ UTC); "
                "ingress/egress = origination/termination trunk IDs."))
