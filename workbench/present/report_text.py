"""Plain-text renderings of core results: outcome sentences, the hop table, source summaries."""
from __future__ import annotations

from collections.abc import Mapping

from workbench.columns.times import iso_utc
from workbench.present.trace_json import call_json, skew_json
from workbench.present.trace_words import UNVERIFIED, check_text, notes_text
from workbench.store.protocol import SourceId
from workbench.trace.results import Skew, TraceResult

OUTCOME_WORDS = {
    "origin": "ORIGIN FOUND: the originating provider and its customer",
    "no_records": "NO RECORDS: the next upstream is named but the case holds none of its CDRs",
    "not_found": "NOT FOUND: the provider's CDRs do not hold the call",
    "unmapped_ingress": "UNMAPPED INGRESS: record found, ingress in neither table",
    "loop": "LOOP: a provider would appear twice",
}


def outcome_sentence(result: TraceResult) -> str:
    """The outcome of this trace in one plain sentence (status bars, chain headers)."""
    last = result.hops[-1].provider if result.hops else "?"
    if result.outcome == "origin" and result.origin:
        return f"origin found at {result.origin.provider} (customer {result.origin.customer})"
    return {
        "no_records": f"next request goes to {last}: the case holds none of its CDRs",
        "not_found": f"stalled at {last}: no matching record",
        "unmapped_ingress": f"stalled at {last}: ingress '{result.unmapped_ingress}' is not mapped",
        "loop": f"loop: {result.loop_to} would appear twice",
    }.get(result.outcome, result.outcome)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def trace_table(result: TraceResult) -> str:
    call = call_json(result)
    head = [f"Call {call['calling']} → {call['called']} at {call['at']}"
            + (f"  (traceback {result.traceback_id})" if result.traceback_id else ""),
            f"Outcome: {OUTCOME_WORDS.get(result.outcome, result.outcome)}"]
    if result.origin:
        head.append(f"Origin: {result.origin.provider}, customer {result.origin.customer}")
    rows = []
    for n, h in enumerate(result.hops, start=1):
        agree = ""
        if result.traceback_id is not None:
            agree = {True: "yes", False: "NO", None: "-"}[h.traceback_agrees]
        rows.append([str(n), h.provider, h.role, "yes" if h.found else "no",
                     iso_utc(h.start_us) or "", "" if h.offset_s is None else f"{h.offset_s:+.1f}",
                     "" if h.confidence is None else f"{h.confidence:.2f}", str(h.alternatives),
                     h.ingress or "", h.upstream or (f"customer: {h.customer}" if h.customer else ""),
                     f"{h.source_path}:{h.line}" if h.line else (h.source_path or ""), agree])
    headers = ["#", "provider", "role", "found", "start (UTC, as logged)", "offset s", "conf",
               "alt", "ingress", "upstream", "evidence"]
    if result.traceback_id is not None:
        headers.append("traceback agrees")
    else:
        rows = [r[:-1] for r in rows]
    text = "\n".join(head) + "\n\n" + _table(headers, rows)
    notes = [f"  hop {n}: {note}" for n, h in enumerate(result.hops, 1)
             for note in notes_text(h.notes)]
    if notes:
        text += "\n\nNotes:\n" + "\n".join(notes)
    failed = [f"  hop {n}: ✗ {check_text(c, caveat=False)}" for n, h in enumerate(result.hops, 1)
              for c in h.shaken_checks if c.ok is False]
    if failed:
        text += (f"\n\nSTIR/SHAKEN path checks that failed ({UNVERIFIED}):\n"
                 + "\n".join(failed))
    if result.skew:
        text += "\n\nClock skew applied (source minus reference):\n" + "\n".join(
            f"  {p}: {(round(v['offset_s'], 1) or 0.0):+.1f} s over {v['calls']} calls ({v['basis']})"
            for p, v in skew_json(result.skew).items())
    return text


def info_text(case, skew: Mapping[SourceId, Skew],
              zone_warnings: Mapping[SourceId, str] | None = None) -> str:
    out = [f"Case: {case.name}  ({case.root})", f"Default country: {case.config.default_country}",
           ""]
    for s in case.sources:
        sm = s.summary
        sk = skew.get(s.id)
        out.append(f"{s.provider} — {s.config.path}")
        out.append(f"  format {sm.format}, encoding {sm.encoding}, {sm.rows} rows, "
                   f"{sm.first_utc} … {sm.last_utc} UTC, zone {s.config.timezone}")
        out.append(f"  sha256 {s.sha256}")
        if sm.date_rule:
            out.append(f"  month/day order: {sm.date_rule}")
        if sm.time_basis == "answer":
            out.append("  start times are ANSWER times (this switch logs no INVITE time)")
        out.append(f"  numbers flagged: {sm.numbers_flagged} (not normalized {sm.numbers_unparsed}, "
                   f"invalid {sm.numbers_invalid}); DST-flagged times: {sm.times_dst_flagged}")
        if sm.rejected:
            reasons = "; ".join(f"{k}: {v}" for k, v in sm.rejected_reasons.items())
            out.append(f"  rows rejected: {sm.rejected} ({reasons}); lines "
                       + ", ".join(map(str, sm.rejected_lines[:10]))
                       + (" …" if len(sm.rejected_lines) > 10 else ""))
        if sm.bad_line_count:
            out.append(f"  unreadable lines: {sm.bad_line_count}")
            for b in sm.bad_lines[:5]:
                out.append(f"    line {b['line']}: {b['reason']}: {b['text'][:100]}")
        if sk is not None:
            out.append(f"  clock skew: {(round(sk.offset_s, 1) or 0.0):+.1f} s over {sk.calls} calls ({sk.basis}"
                       + (f" against {', '.join(sk.against)}" if sk.against else "") + ")")
        if zone_warnings and s.id in zone_warnings:
            out.append(f"  warning: wrong zone? {zone_warnings[s.id]}")
        for note in sm.notes:  # warnings first, so a skim of `info` cannot miss them
            if note.startswith("WARNING: "):
                out.append(f"  warning: {note[len('WARNING: '):]}")
        for note in sm.notes:
            if not note.startswith("WARNING: "):
                out.append(f"  note: {note}")
        out.append("")
    out.append(f"Traceback records: {len(case.tracebacks)}")
    return "\n".join(out)
