"""workbook.xlsx of a provider packet: Summary, Dossier, Ingresses, Tracebacks, Records,
Sources and Audit sheets.

Cells are written by the call packet's `put` (text is always text: a CDR field or a
traceback note starting with `=` is never run as a formula); times are UTC.
"""
from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook

from workbench.case.audit import summary_of
from workbench.case.deadlines import parse_time

from .model import NOTICE
from .provider_model import ProviderPacketView, outcome_words
from .workbook import _sheet as sheet
from .workbook import time_cell

#: The traffic analysis columns shown first, in this order (the JSON keys the issue fixes);
#: any further scalar key of the analysis follows.
INGRESS_KEYS = ("ingress", "name", "kind", "score", "calls", "distinct_calling", "short_share",
                "neighbor_share", "answer_rate")


def provider_workbook_bytes(view: ProviderPacketView) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = view.tool
    wb.properties.title = f"Provider evidence — {view.provider} — {view.case_name}"
    _summary(wb, view)
    _dossier(wb, view)
    _ingresses(wb, view)
    _tracebacks(wb, view)
    _records(wb, view)
    _sources(wb, view)
    _audit(wb, view)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _t(text: str | None) -> Any:
    """An ISO time string of the view (UTC) as a date cell."""
    return time_cell(parse_time(text)) if text else None


def flat(value: Any, prefix: str = "") -> list[list[Any]]:
    """A nested dict as (key path, value) rows; lists of scalars joined with '; '."""
    rows: list[list[Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            rows += flat(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        rows.append([prefix, "; ".join("" if v is None else str(v) for v in value)])
    elif isinstance(value, list):
        for i, v in enumerate(value, start=1):
            rows += flat(v, f"{prefix}[{i}]")
    else:
        rows.append([prefix, value])
    return rows


def _summary(wb: Workbook, v: ProviderPacketView) -> None:
    i = v.info
    rows: list[list[Any]] = [["Case", v.case_name], ["Provider", v.provider],
            ["Aliases", ", ".join(i.get("aliases") or [])], ["FRN", i.get("frn")],
            ["RMD number (case directory)", i.get("rmd")], ["Country", i.get("country")],
            ["CDR files in the case", i.get("cdr_files")],
            ["Tracebacks it appears in", len(v.tracebacks)],
            ["Traced", sum(1 for e in v.tracebacks if e.trace is not None)],
            ["Packet created (UTC)", time_cell(v.created_us)], ["Investigator", v.investigator],
            ["Exported by (OS user)", v.exported_by], ["Tool", v.tool],
            ["Redaction profile", f"{v.profile}: {v.profile_words}"],
            ["Export parameters", json.dumps(v.params, ensure_ascii=False, default=str)],
            ["Audit log", f"{v.audit_head[0]} entries, "
                          f"{'chain intact' if v.audit_ok else 'CHAIN BROKEN'}; last entry "
                          f"{v.audit_head[1]}"],
            ["Categories", NOTICE]]
    rows += [[f"Note {n}", note] for n, note in enumerate(v.notes, start=1)]
    sheet(wb, "Summary", ["Field", "Value"], rows, widths={1: 34, 2: 100}, wrap={2})


def _dossier(wb: Workbook, v: ProviderPacketView) -> None:
    d = v.dossier or {}
    concerns = d.get("concerns") or []
    rows = [[f"concern {n}", c] for n, c in enumerate(concerns, start=1)]
    rows += [r for r in flat({k: val for k, val in d.items() if k != "concerns"})]
    if not d:
        rows = [["(none)", "the dossier could not be computed for this provider"]]
    sheet(wb, "Dossier", ["Field", "Value"], rows, widths={1: 34, 2: 110}, wrap={2})


def _ingresses(wb: Workbook, v: ProviderPacketView) -> None:
    rows_in = (v.analysis or {}).get("ingresses") or []
    extra = sorted({k for r in rows_in for k, val in r.items()
                    if k not in INGRESS_KEYS and k != "reasons"
                    and not isinstance(val, (dict, list))})
    headers = ["Rank", *INGRESS_KEYS, "Reasons", *extra]
    rows = [[n, *[r.get(k) for k in INGRESS_KEYS], "; ".join(r.get("reasons") or []),
             *[r.get(k) for k in extra]] for n, r in enumerate(rows_in, start=1)]
    sheet(wb, "Ingresses", headers, rows, widths={len(INGRESS_KEYS) + 2: 90},
          wrap={len(INGRESS_KEYS) + 2})


def _tracebacks(wb: Workbook, v: ProviderPacketView) -> None:
    headers = ["Traceback", "Campaign", "Call time (UTC)", "Calling", "Called", "Appears in",
               "Record: hop", "Record: status", "Record: upstream named", "Notified (as written)",
               "Responded (as written)", "24-hour clock", "Trace outcome", "Trace: hop",
               "Trace: role", "CDRs: upstream", "CDRs: customer", "CDRs: ingress",
               "Record agrees with CDRs", "CDR evidence (file:line)", "Not traced because"]
    rows = []
    for e in v.tracebacks:
        own, hop = e.own or {}, e.hop or {}
        agrees = hop.get("traceback_agrees")
        rows.append([e.traceback_id, e.campaign, _t(e.call.get("at_utc")), e.call.get("calling"),
                     e.call.get("called"), e.appears_as, own.get("hop"), own.get("status"),
                     own.get("upstream"), own.get("notified_at"), own.get("responded_at"),
                     e.clock.verdict() if e.clock else None,
                     f"{e.outcome}: {outcome_words(e.outcome)}" if e.outcome else None,
                     hop.get("n"), hop.get("role"), hop.get("upstream"), hop.get("customer"),
                     hop.get("ingress"),
                     {True: "yes", False: "NO", None: None}.get(agrees),
                     f"{hop.get('source')}:{hop.get('line')}" if hop.get("line") else None,
                     e.untraced])
    sheet(wb, "Tracebacks", headers, rows)


def _records(wb: Workbook, v: ProviderPacketView) -> None:
    headers = ["Traceback", "Hop", "Provider", "Upstream named", "Status",
               "Notified (as written)", "Responded (as written)", "Notes", "File", "Line"]
    rows = [[e.traceback_id, r.get("hop"), r.get("provider"), r.get("upstream"), r.get("status"),
             r.get("notified_at"), r.get("responded_at"), r.get("notes"), r.get("file"),
             r.get("line")] for e in v.tracebacks for r in e.record]
    sheet(wb, "Records", headers, rows)


def _sources(wb: Workbook, v: ProviderPacketView) -> None:
    headers = ["Provider", "Path (as in case.toml)", "Format", "Encoding", "Time zone", "Rows",
               "First record (UTC)", "Last record (UTC)", "Size (bytes)", "SHA-256 at export",
               "SHA-256 when loaded", "Unchanged"]
    rows = [[s.provider, s.path, s.format, s.encoding, s.timezone, s.rows, _t(s.first_utc),
             _t(s.last_utc), s.size, s.sha256_export, s.sha256_loaded,
             "yes" if s.sha256_export == s.sha256_loaded else "NO"] for s in v.sources]
    sheet(wb, "Sources", headers, rows)


def _audit(wb: Workbook, v: ProviderPacketView) -> None:
    headers = ["Entry", "Time (UTC)", "Who", "Action", "Summary", "Details (JSON)",
               "Previous entry SHA-256", "Entry SHA-256"]
    rows = [[e.get("seq"), _t(e.get("time")), e.get("actor"), e.get("action"), summary_of(e),
             json.dumps(e.get("details"), ensure_ascii=False, default=str), e.get("prev"),
             e.get("hash")] for e in v.audit]
    if not v.audit_ok:
        rows += [[None, None, None, "CHAIN CHECK", p] for p in v.audit_problems]
    sheet(wb, "Audit", headers, rows, widths={5: 70, 6: 80})
