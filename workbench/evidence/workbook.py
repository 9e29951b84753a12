"""workbook.xlsx: Summary, Chain, Evidence, Providers, Sources and Audit sheets.

Every text cell is written as text, never as a formula: CDR fields (caller names,
SIP headers, trunk ids) are attacker-controlled, so a value starting with `=`,
`+`, `-`, `@`, tab or CR is stored as a string with Excel's quote prefix. Times are
UTC and every time column says so.
"""
from __future__ import annotations

import datetime as _dt
import io
import json

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from workbench.case.audit import summary_of
from workbench.case.deadlines import parse_time
from workbench.columns.times import NAT
from workbench.present.trace_words import CHECK_LABELS

from .model import NOTICE, PacketView

TIME_FORMAT = "yyyy-mm-dd hh:mm:ss.000"
RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
MAX_CELL = 32_000
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def safe_text(value: str) -> str:
    """Characters XML cannot hold shown as \\xNN (never dropped); over-long text cut with a note."""
    value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group(0)):02x}", value)
    if len(value) > MAX_CELL:
        value = value[:MAX_CELL] + f" … [cut: {len(value)} characters in all]"
    return value


def put(ws, row: int, col: int, value) -> None:
    """Write one cell; strings always as text (formula injection cannot happen)."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        text = safe_text(value)
        cell.value = text
        cell.data_type = "s"  # even "=HYPERLINK(...)" stays a string
        if text.startswith(RISKY_START):
            cell.quotePrefix = True  # Excel shows it as typed text and never evaluates it
    elif hasattr(value, "year"):
        cell.value = value
        cell.number_format = TIME_FORMAT
    elif isinstance(value, (list, dict)):
        put(ws, row, col, json.dumps(value, ensure_ascii=False, default=str))
    else:
        cell.value = value


def _sheet(wb: Workbook, title: str, headers: list[str], rows: list[list], *,
           widths: dict[int, int] | None = None, wrap: set[int] | None = None) -> None:
    ws = wb.create_sheet(title)
    for c, h in enumerate(headers, start=1):
        put(ws, 1, c, h)
        ws.cell(1, c).font = Font(bold=True)
        ws.cell(1, c).fill = HEADER_FILL
    for r, values in enumerate(rows, start=2):
        for c, v in enumerate(values, start=1):
            put(ws, r, c, v)
            if wrap and c in wrap:
                ws.cell(r, c).alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    for c, h in enumerate(headers, start=1):
        longest = len(h)
        for values in rows[:2000]:
            v = values[c - 1] if c - 1 < len(values) else None
            if v is None:
                continue
            n = 23 if hasattr(v, "year") else max(len(s) for s in str(v).split("\n"))
            longest = max(longest, n)
        width = (widths or {}).get(c) or min(max(longest + 2, 8), 80)
        ws.column_dimensions[get_column_letter(c)].width = width


def time_cell(us: int | None) -> _dt.datetime | None:
    """UTC µs -> naive datetime (spreadsheets have no zones; headers say UTC)."""
    if us is None or us == NAT:
        return None
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(microseconds=int(us))


def _text_time(text: str | None) -> _dt.datetime | None:
    """An ISO time string of the view (UTC) as a spreadsheet date cell."""
    return time_cell(parse_time(text))


def workbook_bytes(view: PacketView) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = view.tool
    wb.properties.title = f"Traceback evidence — {view.case_name}"
    _summary(wb, view)
    _chain(wb, view)
    _evidence(wb, view)
    _providers(wb, view)
    _sources(wb, view)
    _audit(wb, view)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(wb: Workbook, v: PacketView) -> None:
    c = v.call
    rows = [
        ["Case", v.case_name], ["Case description", v.description],
        ["Traceback", v.traceback_id], ["Campaign", v.campaign],
        ["Calling number (E.164)", c.get("calling")], ["Called number (E.164)", c.get("called")],
        ["Call time (UTC)", _text_time(c.get("at_utc"))],
        ["Call time as written in the traceback record", c.get("written")],
        ["Time zone of the traceback record", c.get("zone")],
        ["Outcome", f"{v.outcome}: {v.outcome_words}"],
        ["Origin", (f"{v.origin.get('provider')}, customer {v.origin.get('customer')}"
                    if v.origin else None)],
        ["Hops", len(v.hops)], ["Match tolerance (s)", v.trace.get("tolerance_s")],
        ["Packet created (UTC)", time_cell(v.created_us)],
        ["Investigator", v.investigator], ["Exported by (OS user)", v.exported_by],
        ["Tool", v.tool], ["Redaction profile", f"{v.profile}: {v.profile_words}"],
        ["Export parameters", json.dumps(v.params, ensure_ascii=False, default=str)],
        ["Audit log", f"{v.audit_head[0]} entries, "
                      f"{'chain intact' if v.audit_ok else 'CHAIN BROKEN'}; last entry "
                      f"{v.audit_head[1]}"],
        ["Categories", NOTICE],
    ]
    rows += [[f"Disagreement {i}", d] for i, d in enumerate(v.disagreements, start=1)]
    rows += [[f"Note {i}", n] for i, n in enumerate(v.notes, start=1)]
    _sheet(wb, "Summary", ["Field", "Value"], rows, widths={1: 42, 2: 100}, wrap={2})


def _chain(wb: Workbook, v: PacketView) -> None:
    headers = ["Hop", "Provider", "Role", "Found", "Start as logged (UTC)",
               "Start skew-corrected (UTC)", "Offset from call (s)", "Confidence", "Alternatives",
               "Ingress", "Egress", "Upstream (from CDRs)", "Customer", "Evidence (file:line)",
               "Clock skew (s)", "Traceback status", "Traceback agrees", "Traceback says",
               "Notified (UTC)", "Responded (UTC)", "Deadline applied (UTC)", "Within 24 h",
               "Attest", "Origid", "Verstat", *SHAKEN_HEADERS, "Notes",
               "Provider's notes (traceback record)"]
    rows = []
    for h in v.hops:
        d, rec, clk = h.data, h.record or {}, h.clock
        rows.append([
            h.n, h.provider, h.label, "yes" if d.get("found") else "no",
            _text_time(d.get("start")), _text_time(d.get("start_corrected")),
            d.get("offset_s"), d.get("confidence"), d.get("alternatives"), d.get("ingress"),
            d.get("egress"), d.get("upstream"), d.get("customer"),
            h.evidence,
            d.get("skew_s"), rec.get("status"),
            {True: "yes", False: "NO", None: None}[d.get("traceback_agrees")] if "traceback_agrees" in d else None,
            d.get("traceback_says") or rec.get("upstream"),
            time_cell(clk.received_us) if clk else None,
            time_cell(clk.answered_us) if clk else None,
            time_cell(clk.deadline_us) if clk else None,
            {True: "yes", False: "NO", None: None}[clk.met] if clk else None,
            d["shaken"].get("attest"), d["shaken"].get("origid"), d["shaken"].get("verstat"),
            *_shaken_cells(d), "; ".join(d.get("notes") or []), rec.get("notes")])
    details, notes = headers.index(SHAKEN_HEADERS[-1]) + 1, headers.index("Notes") + 1
    _sheet(wb, "Chain", headers, rows, widths={details: 90, notes: 90}, wrap={details})


#: One column per STIR/SHAKEN path check (pass / FAIL / empty: undecided), then the reasons.
SHAKEN_HEADERS = [*(f"SHAKEN check: {label}" for label in CHECK_LABELS.values()),
                  "SHAKEN check details (decoded fields; no signature verified)"]


def _shaken_cells(d: dict) -> list:
    checks = {c["check"]: c for c in d.get("shaken_checks") or []}
    marks = [{True: "pass", False: "FAIL", None: None}[checks[k]["ok"]] if k in checks else None
             for k in CHECK_LABELS]
    details = "\n".join(f"{CHECK_LABELS[k]}: {checks[k]['detail']}" for k in CHECK_LABELS
                        if k in checks and checks[k]["ok"] is not None)
    return [*marks, details or None]


def _evidence(wb: Workbook, v: PacketView) -> None:
    headers = ["Hop", "Provider", "Record", "Source file", "Line", "Raw line (verbatim)",
               "Start (UTC)", "Answer (UTC)", "End (UTC)", "Calling", "Called", "Duration (s)",
               "Disposition", "Ingress", "Egress", "Attest", "Origid", "Verstat", "Call-ID",
               "Flags", "Match score", "Offset from expected (s)"]
    rows = []
    for h in v.hops:
        for ln in h.lines:
            n = ln.normalized
            rows.append([h.n, h.provider, ln.kind, h.data.get("source"), ln.line, ln.text,
                         _text_time(n.get("start_utc")), _text_time(n.get("answer_utc")),
                         _text_time(n.get("end_utc")), n.get("calling"), n.get("called"),
                         n.get("duration_s"), n.get("disposition"), n.get("ingress"),
                         n.get("egress"), n.get("attest"), n.get("origid"), n.get("verstat"),
                         n.get("call_id"), n.get("flags"), ln.score, ln.offset_s])
    _sheet(wb, "Evidence", headers, rows, widths={6: 100})


def _providers(wb: Workbook, v: PacketView) -> None:
    headers = ["Provider", "Aliases", "FRN", "RMD", "Country", "Foreign", "Hop in this call",
               "Role in this call", "CDR files in case", "Traceback status", "Notes"]
    rows = [[p["provider"], p["aliases"], p["frn"], p["rmd"], p["country"],
             "yes" if p["foreign"] else "no", p["hop"], p["role"], p["records_in_case"],
             p["traceback_status"], p["notes"]] for p in v.providers]
    _sheet(wb, "Providers", headers, rows)


def _sources(wb: Workbook, v: PacketView) -> None:
    headers = ["Provider", "Path (as in case.toml)", "Format", "Encoding", "Time zone", "Rows",
               "First record (UTC)", "Last record (UTC)", "Size (bytes)", "SHA-256 at export",
               "SHA-256 when loaded", "Unchanged", "Used in this chain", "Excerpt in packet",
               "Original in packet"]
    rows = [[s.provider, s.path, s.format, s.encoding, s.timezone, s.rows,
             _text_time(s.first_utc), _text_time(s.last_utc), s.size, s.sha256_export,
             s.sha256_loaded, "yes" if s.sha256_export == s.sha256_loaded else "NO",
             "yes" if s.in_chain else "no", f"data/{s.excerpt}" if s.excerpt else None,
             f"data/{s.copy}" if s.copy else None] for s in v.sources]
    _sheet(wb, "Sources", headers, rows)


def _audit(wb: Workbook, v: PacketView) -> None:
    headers = ["Entry", "Time (UTC)", "Who", "Action", "Summary", "Details (JSON)",
               "Previous entry SHA-256", "Entry SHA-256"]
    rows = [[e.get("seq"), _text_time(e.get("time")), e.get("actor"), e.get("action"),
             summary_of(e), json.dumps(e.get("details"), ensure_ascii=False, default=str),
             e.get("prev"), e.get("hash")] for e in v.audit]
    if not v.audit_ok:
        rows += [[None, None, None, "CHAIN CHECK", p] for p in v.audit_problems]
    _sheet(wb, "Audit", headers, rows, widths={5: 70, 6: 80})

