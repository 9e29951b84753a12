"""report.pdf: the readable report of one traced call (reportlab, landscape Letter).

Standard PDF fonts and uncompressed page streams keep every word of the report
searchable in the file's bytes, so the redaction check can prove what is not there.
"""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from workbench.case.audit import summary_of
from workbench.case.deadlines import BUSINESS_RULE
from workbench.present.chain_layout import ARROW_CONVENTION
from workbench.present.trace_words import CHECK_LABELS, UNVERIFIED
from workbench.trace.results import ShakenCheckKind

from .chain_image import layout, render_drawing
from .model import KIND_WORDS, NOTICE, PacketView

PAGE = landscape(letter)
MARGIN = 0.5 * inch
WIDTH = PAGE[0] - 2 * MARGIN

_ss = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_ss["Title"], fontName="Helvetica-Bold", fontSize=18,
                    alignment=0, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_ss["Heading2"], fontName="Helvetica-Bold", fontSize=12.5,
                    spaceBefore=10, spaceAfter=4)
BODY = ParagraphStyle("body", parent=_ss["BodyText"], fontName="Helvetica", fontSize=9,
                      leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.2)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9)
CELL_B = ParagraphStyle("cellb", parent=CELL, fontName="Helvetica-Bold")
MONO = ParagraphStyle("mono", parent=CELL, fontName="Courier", fontSize=7.2, leading=8.8,
                      wordWrap="CJK")
GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
])


MAX_TEXT = 4000  # characters of one value laid out (a CDR field may hold 100,000)
CELL_LINES = 30  # a table row cannot split across pages: a cell stays well under one page


def clipped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out: reportlab lays a
    long unbroken value out in time quadratic in its length and fails (LayoutError) on a
    table row taller than a page. The packet's trace.json and excerpts keep the whole."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]} … [{len(text) - limit:,} more characters not shown]"


def p(text, style=CELL, limit: int = MAX_TEXT) -> Paragraph:
    """A paragraph of plain text: markup characters in CDR data are escaped, never obeyed."""
    text = clipped("" if text is None else str(text), limit)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def cell_chars(width: float, style: ParagraphStyle = CELL) -> int:
    """How many characters a cell of ``width`` points holds in ``CELL_LINES`` lines, counting
    each character a full em wide (wider than any Helvetica or Courier glyph)."""
    return max(40, int((width - 6) / style.fontSize) * CELL_LINES)


def h2(title: str) -> list:
    """A section heading that never sits alone at the foot of a page."""
    return [CondPageBreak(1.4 * inch), Paragraph(escape(title), H2)]


def table(rows: list[list], widths: list[float], header: bool = True) -> Table:
    cells = [[c if isinstance(c, Paragraph) else p(c, CELL_B if header and i == 0 else CELL,
                                                   cell_chars(widths[min(j, len(widths) - 1)]))
              for j, c in enumerate(r)] for i, r in enumerate(rows)]
    t = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    t.setStyle(GRID if header else TableStyle(GRID.getCommands()[:1] + GRID.getCommands()[2:]))
    return t


def _kv(rows: list[tuple[str, object]], key_w: float = 2.1 * inch) -> Table:
    return table([[p(k, CELL_B, cell_chars(key_w)), p(v, CELL, cell_chars(WIDTH - key_w))]
                  for k, v in rows if v not in (None, "")],
                 [key_w, WIDTH - key_w], header=False)


def report_bytes(view: PacketView) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=0.6 * inch,
                            title=f"Traceback evidence — {view.case_name}",
                            author=view.investigator or view.exported_by,
                            subject="Robocall traceback evidence packet", creator=view.tool,
                            pageCompression=0)
    story = []
    for part in (_front, _chain, _who, _hop_table, _responses, _disagreements, _evidence,
                 _shaken, _skew, _notes, _sources, _audit, _legend):
        story += part(view)
    footer = (f"{view.case_name} · {view.traceback_id or 'ad-hoc trace'} · packet created "
              f"{view.created_utc} (UTC) · {view.tool}")
    doc.build(story, canvasmaker=_numbered(footer, view.profile))
    return buf.getvalue()


def _numbered(footer: str, profile: str):
    class NumberedCanvas(pdfcanvas.Canvas):
        """Defers page output so each footer can say 'page n of m'."""

        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 7.5)
                self.setFillColor(colors.HexColor("#444444"))
                self.drawString(MARGIN, 0.35 * inch, footer)
                self.drawRightString(PAGE[0] - MARGIN, 0.35 * inch,
                                     f"page {self._pageNumber} of {total}")
                if profile != "none":
                    self.setFillColor(colors.HexColor("#b00000"))
                    self.drawRightString(PAGE[0] - MARGIN, PAGE[1] - 0.32 * inch,
                                         f"REDACTED ({profile})")
                super().showPage()
            super().save()

    return NumberedCanvas


def _front(v: PacketView) -> list:
    c = v.call
    out = [Paragraph("Traceback evidence packet", H1),
           p(f"Case “{v.case_name}”" + (f" — traceback {v.traceback_id}" if v.traceback_id
                                         else " — ad-hoc trace"), BODY), Spacer(1, 6)]
    call = [("Calling number", c.get("calling")), ("Called number", c.get("called")),
            ("Call time (UTC)", c.get("at_utc")),
            ("As written in the traceback record",
             f"{c['written']} (zone {c.get('zone')})" if c.get("written") else None),
            ("Numbers as written", f"calling {c.get('calling_written')}, called "
                                   f"{c.get('called_written')}" if c.get("called_written") else None),
            ("Campaign", v.campaign),
            ("Outcome", f"{v.outcome_words}"),
            ("Origin", f"{v.origin.get('provider')}, whose customer is "
                       f"{v.origin.get('customer')}" if v.origin else None)]
    out += [*h2("The call"), _kv(call), Spacer(1, 4), p(narrative(v), BODY)]
    return out


def narrative(v: PacketView) -> str:
    """A few plain sentences saying what the packet shows."""
    c = v.call
    found = [h for h in v.hops if h.data.get("found")]
    s = (f"The call from {c.get('calling')} to {c.get('called')} at {c.get('at_utc')} (UTC) "
         f"was followed through the CDRs of {len(found)} provider"
         f"{'s' if len(found) != 1 else ''}")
    if v.hops:
        s += f", starting at {v.hops[0].provider}"
    s += ". "
    last = v.hops[-1] if v.hops else None
    if v.outcome == "origin" and v.origin:
        s += (f"It was placed by {v.origin.get('customer')}, a customer of "
              f"{v.origin.get('provider')}, the originating provider. ")
    elif v.outcome == "no_records" and last is not None:
        s += (f"The chain reaches {last.provider}, whose CDRs are not in the case: the next "
              "traceback request goes there. ")
    elif v.outcome == "not_found" and last is not None:
        s += f"{last.provider}'s CDRs hold no matching record, so the chain stops there. "
    elif v.outcome == "unmapped_ingress" and last is not None:
        s += (f"{last.provider}'s record shows an ingress ('{v.trace.get('unmapped_ingress')}') "
              "that the case maps to no provider or customer. ")
    elif v.outcome == "loop":
        s += "A provider would appear twice in the chain, so the trace stopped. "
    if v.traceback_id:
        n = len(v.disagreements)
        s += ("The traceback record agrees with the CDRs at every hop." if not n else
              f"The traceback record and the CDRs disagree in {n} place{'s' if n > 1 else ''} "
              "(see Disagreements).")
    return s


def _who(v: PacketView) -> list:
    who = [("Created (UTC)", v.created_utc), ("Investigator", v.investigator or "(not given)"),
           ("Exported by", f"operating-system user '{v.exported_by}'"), ("Tool", v.tool),
           ("Redaction", f"{v.profile}: {v.profile_words}"),
           ("Case folder", v.case_folder), ("Case description", v.description),
           ("Export parameters", ", ".join(f"{k}={val}" for k, val in v.params.items()
                                            if val not in (None, False, "")))]
    return [KeepTogether([Paragraph("Who made this packet, and when", H2), _kv(who)])]


def _chain(v: PacketView) -> list:
    if not v.hops:
        return [*h2("The chain"), p("No hop could be traced.", BODY)]
    drawing = render_drawing(layout(v), WIDTH)
    return [CondPageBreak(drawing.height + 60), *h2("The chain"),
            p("From the customer or point of entry on the left to the called party on the right; "
              "each arrow carries the receiving provider's record: hop number, time offset from "
              "the call (skew-corrected, seconds), match confidence and the ingress it arrived "
              "on.", SMALL), Spacer(1, 4), drawing]


def _yes(b) -> str:
    return {True: "yes", False: "NO", None: "–"}[b]


def _signed(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{round(x, digits) + 0.0:+.{digits}f}"


def _hop_table(v: PacketView) -> list:
    rows = [["#", "Provider", "Role", "Time (UTC, skew-corrected)", "Offset s", "Conf.",
             "Upstream / customer (CDRs)", "Ingress", "Response status", "Record agrees"]]
    for h in v.hops:
        d = h.data
        up = d.get("upstream") or (f"customer: {d['customer']}" if d.get("customer") else "–")
        rows.append([h.n, h.provider, h.label, d.get("start_corrected") or "–",
                     _signed(d.get("offset_s")),
                     "–" if d.get("confidence") is None else f"{d['confidence']:.2f}", up,
                     d.get("ingress") or "–", (h.record or {}).get("status") or "–",
                     _yes(d.get("traceback_agrees"))])
    w = [0.3, 1.5, 1.1, 1.55, 0.6, 0.45, 1.6, 0.95, 1.15, 0.8]
    return [PageBreak(), *h2("Hops"), table(rows, [x * inch for x in w])]


def _responses(v: PacketView) -> list:
    rows = [["#", "Provider", "Notified (as recorded)", "Answered (as recorded)",
             "Deadline applied (UTC)", "24-hour clock", "Upstream named", "Provider's notes"]]
    for h in v.hops:
        rec, clk = h.record, h.clock
        if rec is None:
            continue
        rows.append([h.n, h.provider, rec.get("notified_at") or "–",
                     rec.get("responded_at") or "–",
                     (clk.to_dict()["deadline_utc"] or "–") + (" (deferred)" if clk and
                                                               clk.applied == "deferred" else ""),
                     clk.verdict() if clk else "–", rec.get("upstream") or "–",
                     rec.get("notes") or ""])
    if len(rows) == 1:
        return []
    w = [0.3, 1.4, 1.35, 1.35, 1.35, 2.0, 1.1, 1.15]
    return [*h2("Traceback responses and the 24-hour clock"),
            p("Deadline: receipt + 24 h (47 CFR §64.1200(n)(1), in force since 2024-01-08); for "
              "providers set to business-hours deferral, a request received outside business "
              f"hours counts from 08:00 the next business day ({BUSINESS_RULE}).", SMALL),
            Spacer(1, 3), table(rows, [x * inch for x in w])]


def _disagreements(v: PacketView) -> list:
    if not v.traceback_id:
        return []
    body = ([p("• " + d, BODY) for d in v.disagreements] if v.disagreements else
            [p("None: every provider's traceback answer matches what its CDRs show.", BODY)])
    return [*h2("Disagreements between traceback records and CDRs"), *body]


def _evidence(v: PacketView) -> list:
    out = [*h2("Evidence lines, exactly as in each source file"),
           p("Each hop's matched record (and its closest rivals) quoted verbatim from the provider's "
             "file, with the file and line number; the same lines are in data/excerpts/ and the "
             "files' SHA-256 under Sources.", SMALL)]
    for h in v.hops:
        d = h.data
        head = f"Hop {h.n} — {h.provider}"
        if not h.lines:
            why = "; ".join(d.get("notes") or []) or "no record"
            out.append(KeepTogether([p(head, CELL_B), p(why, CELL),
                                     Spacer(1, 4)]))
            continue
        rows = [["Line", "What", "Text of the line in " + str(d.get("source"))]]
        for ln in h.lines:
            what = KIND_WORDS.get(ln.kind, ln.kind)
            if ln.kind == "alternative" and ln.score is not None:
                what += f" (score {ln.score:.2f}, {ln.offset_s:+.0f} s)" if ln.offset_s is not None \
                    else f" (score {ln.score:.2f})"
            rows.append([ln.line, what, p(ln.text if ln.text is not None else "(unreadable)",
                                           MONO, cell_chars(WIDTH - 1.85 * inch, MONO))])
        m = next((ln for ln in h.lines if ln.kind == "matched"), None)
        parts = [p(head, CELL_B), table(rows, [0.55 * inch, 1.3 * inch,
                                                               WIDTH - 1.85 * inch])]
        if m and m.normalized:
            read = "; ".join(f"{READ_AS.get(k, k)} {val}" for k, val in m.normalized.items()
                             if val not in (None, ""))
            parts.append(p("Read by the workbench as: " + read, SMALL, 2 * MAX_TEXT // 5))
        out.append(KeepTogether(parts + [Spacer(1, 6)]))
    return out


READ_AS = {"start_utc": "start (UTC)", "answer_utc": "answer (UTC)", "end_utc": "end (UTC)",
           "duration_s": "duration (s)", "call_id": "Call-ID"}


def _shaken(v: PacketView) -> list:
    out = [*h2("STIR/SHAKEN fields")]
    if any(any((h.data.get("shaken") or {}).values()) for h in v.hops):
        rows = [["#", "Provider", "Attestation", "origid", "verstat"]]
        for h in v.hops:
            s = h.data.get("shaken") or {}
            rows.append([h.n, h.provider, s.get("attest") or "–", s.get("origid") or "–",
                         s.get("verstat") or "–"])
        out.append(table(rows, [x * inch for x in (0.3, 2.0, 1.0, 3.4, 3.3)]))
    return out + [p("• " + n, BODY) for n in v.shaken_notes] + _shaken_checks(v)


CHECK_RESULT = {True: "pass", False: "FAIL", None: "–"}


def _shaken_checks(v: PacketView) -> list:
    """The path checks: a pass/FAIL grid per hop, then the reason of every decided check."""
    hops = [h for h in v.hops if h.data.get("shaken_checks")]
    if not hops:
        return []
    ids = [c["check"] for c in hops[0].data["shaken_checks"]]
    rows = [["#", "Provider", *[CHECK_LABELS.get(ShakenCheckKind(i), i) for i in ids]]]
    reasons: list[tuple[bool, str]] = []
    for h in hops:
        checks = h.data["shaken_checks"]
        rows.append([h.n, h.provider, *[CHECK_RESULT[c["ok"]] for c in checks]])
        reasons += [(c["ok"], f"• Hop {h.n}, {h.provider} — "
                              f"{CHECK_LABELS.get(ShakenCheckKind(c['check']))}: "
                              f"{CHECK_RESULT[c['ok']]}: "
                              f"{c['detail'].removesuffix(' — ' + UNVERIFIED)}")
                    for c in checks if c["ok"] is not None]
    reasons.sort(key=lambda r: r[0])  # failures first, each group in chain order
    intro = (f"Path checks compare the decoded SHAKEN fields along the chain ({UNVERIFIED}). "
             "– means the records lack what the check reads.")
    lines = [r for _, r in reasons] or [
        "• No check could be decided: the records carry too few SHAKEN fields."]
    grid = table(rows, [0.3 * inch, 2.0 * inch] + [1.5 * inch] * len(ids))
    grid.setStyle(TableStyle([("BACKGROUND", (c, r), (c, r), colors.HexColor("#f6d5d5"))
                              for r, row in enumerate(rows) for c, cell in enumerate(row)
                              if r and c > 1 and cell == CHECK_RESULT[False]]))
    return [Spacer(1, 4), p(intro, BODY), grid, *[p(line, BODY) for line in lines]]


def _skew(v: PacketView) -> list:
    rows = [["Provider", "Source file", "Clock offset (s)", "Calls it rests on", "Basis"]]
    for s in v.skew:
        rows.append([s["provider"], s.get("source"), f"{s.get('offset_s', 0):+.3f}",
                     s.get("calls"), s.get("basis")])
    return [*h2("Clock skew applied"),
            p("Each source's clock minus the reference clock, estimated from calls seen on both "
              "sides of a hand-off; hop times above are corrected by it.", SMALL),
            table(rows, [x * inch for x in (2.2, 2.6, 1.2, 1.2, 2.8)])]


def _notes(v: PacketView) -> list:
    items = [(f"Hop {h.n} ({h.provider})", n) for h in v.hops for n in h.data.get("notes") or []]
    items += [("Trace", n) for n in v.notes]
    if not items:
        return []
    return [*h2("Notes from the trace"),
            table([["Where", "Note"]] + [list(i) for i in items], [2.2 * inch, WIDTH - 2.2 * inch])]


def _sources(v: PacketView) -> list:
    rows = [["Provider", "File (as in case.toml)", "Format", "Rows", "Records (UTC)",
             "SHA-256 (re-computed at export)", "In chain"]]
    for s in v.sources:
        same = "" if s.sha256_export == s.sha256_loaded else " (CHANGED since loaded)"
        rows.append([s.provider, s.path, s.format, s.rows,
                     f"{s.first_utc or '?'} – {s.last_utc or '?'}",
                     p(s.sha256_export + same, MONO), "yes" if s.in_chain else "no"])
    return [*h2("Source files"),
            table(rows, [x * inch for x in (1.3, 1.5, 0.6, 0.5, 1.55, 3.95, 0.6)])]


def _audit(v: PacketView) -> list:
    if not v.audit_head[0]:
        status = "No entries yet: nothing was recorded for this case before this export."
    elif v.audit_ok:
        status = (f"{v.audit_head[0]} entries; hash chain intact; last entry SHA-256 "
                  f"{v.audit_head[1]}.")
    else:
        status = "HASH CHAIN BROKEN: " + "; ".join(v.audit_problems)
    if v.profile != "none":
        status += " (entries shown redacted; their hashes are of the unredacted log)"
    rows = [["#", "Time (UTC)", "Who", "Action", "What"]]
    for e in v.audit[-60:]:
        rows.append([e.get("seq"), e.get("time"), e.get("actor"), e.get("action"),
                     summary_of(e)])
    out = [*h2("Audit trail of the case (audit.jsonl)"), p(status, SMALL)]
    if len(v.audit) > 60:
        out.append(p(f"Last 60 of {len(v.audit)} entries; all of them are in the workbook's "
                     "Audit sheet.", SMALL))
    if len(rows) > 1:
        out.append(table(rows, [x * inch for x in (0.4, 1.6, 1.1, 1.0, 5.9)]))
    return out


def _legend(v: PacketView) -> list:
    lines = [NOTICE,
             "Roles: Originator — its own customer placed the call; Gateway — received it from a "
             "foreign provider; Transit — passed it on; Terminating — delivered it to the called "
             "party; Call not found — the provider's CDRs are in the case but hold no matching "
             "record; No records in case — the provider is named upstream but its CDRs were "
             "not supplied.",
             "Chain drawing: " + ARROW_CONVENTION + " (the same on screen).",
             "Confidence is the trace engine's match score for the record (1.00 = the only "
             "record that fits number, time and duration). Offsets are seconds from the call "
             "time after clock-skew correction.",
             "To verify this packet: `workbench verify PACKET.zip`, or any BagIt (RFC 8493) "
             "validator on the unzipped folder; every file is listed in manifest-sha256.txt and "
             "manifest-sha512.txt. To check a provider's copy of a source: `sha256sum -c "
             "data/excerpts/originals.sha256` beside the originals."]
    return [KeepTogether([Paragraph("Method and legend", H2), *[p(x, SMALL) for x in lines]])]
