"""reply.docx: a provider response team's draft answer to one traceback request.

It states the call as requested, the matching record in the provider's own CDRs
(or that none was found, and where and how widely we looked), who the call came
from (the upstream and the ingress it arrived on, or the provider's own customer),
the 24-hour clock, and a section of actions taken for the team to complete. An
originating provider's draft can also state the suspension of its customer.
"""
from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from workbench.case.audit import append_event, prepare_action
from workbench.case.deadlines import BUSINESS_RULE, parse_time, response_clock
from workbench.case.model import Case
from workbench.case.settings import provider_settings, provider_zone, traceback_zone
from workbench.columns.times import NAT, US, iso_utc
from workbench.common.atomic import atomic_write_bytes
from workbench.common.errors import InputError
from workbench.common.progress import ProgressFn, StopFn, check, never_stop, no_progress
from workbench.present.trace_words import notes_text
from workbench.trace.results import Hop, TraceResult

from .. import __version__
from .model import now_us, source_of
from .suspension import Suspension, SuspensionStatement, check_suspension, statement

BOX = "\u2610"


#: Runs a trace for the reply: ``tracer(None)`` traces the traceback's whole chain,
#: ``tracer(name)`` searches the call from that provider alone.
Tracer = Callable[[str | None], TraceResult]


def write_reply(case: Case, traceback_id: str, provider: str, out_path: str | Path, *,
                tracer: Tracer, received_at: str | int | _dt.datetime | None = None,
                suspension: Suspension | None = None, progress: ProgressFn = no_progress,
                should_stop: StopFn = never_stop) -> Path:
    """Write the Word draft answering traceback `traceback_id` for `provider`; returns its path.

    ``tracer`` is the investigation's trace (its skew, its engine call): this module only
    words the answer. ``suspension`` (an originating provider's only) is stated in sections 3
    and 5 with the customer's traffic figures."""
    tb = case.traceback(traceback_id)
    name = case.directory.canonical(provider) or provider
    if not case.sources_of(name):
        known = ", ".join(case.providers_with_records()) or "none"
        raise InputError(f"no CDRs from provider '{provider}' in this case, so there is nothing "
                         f"to answer from (providers with CDRs: {known})", field="provider")
    zone = provider_zone(case, name)
    if suspension is not None:
        check_suspension(suspension, zone=zone)  # bad input before any work
    prepare_action(case, "reply")  # logged, or refused now: not after the draft is written
    hop, tol, how = _find(tracer, name)
    said = None
    if suspension is not None:
        _must_originate(hop, name, tb.traceback_id)
        check(should_stop)
        said = statement(case, name, suspension, zone=zone, progress=progress,
                         should_stop=should_stop)
    rec = next((h for h in tb.hops if case.directory.canonical(h.provider) == name), None)
    received_us, received_from = _received(received_at, rec, case, tb)
    drafted_us = now_us()
    settings = provider_settings(case, name)
    clock = response_clock(received_us, drafted_us,
                           deferral=bool(settings.get("business_hours_deferral", False)),
                           zone=zone)
    doc = Document()
    _styles(doc)
    _head(doc, case, tb, name)
    _call(doc, tb)
    _record(doc, case, tb, name, hop, tol, how)
    _origin(doc, hop, said)
    _timing(doc, clock, received_from, rec, drafted_us)
    _actions(doc, said)
    _sign(doc, case, drafted_us)
    buf = io.BytesIO()
    doc.save(buf)
    out = Path(out_path)
    atomic_write_bytes(out, buf.getvalue())
    details = {"traceback": traceback_id, "provider": name, "out": str(out),
               "found": bool(hop and hop.found), "received": iso_utc(received_us, 0)}
    if said is not None:
        details["suspended"] = {"customer": said.customer, "at": said.at_utc,
                                "evidence": said.evidence}
    append_event(case.root, "reply", details)
    return out


def _must_originate(hop: Hop | None, name: str, traceback_id: str) -> None:
    """A suspension is the originator's to state: refuse it for any other hop."""
    if hop is not None and hop.found and hop.customer:
        return
    if hop is None or not hop.found:
        why = "its CDRs hold no record of the call"
    elif hop.upstream:
        why = f"its CDRs show the call came from {hop.upstream}"
    else:
        why = f"its CDRs show ingress '{hop.ingress}', which names no customer"
    raise InputError(f"{name} is not the originating provider of traceback {traceback_id} "
                     f"({why}): a suspension of its customer is stated only by the originator",
                     field="suspended")


def _find(tracer: Tracer, name: str) -> tuple[Hop | None, float, str]:
    """This provider's hop of the call: from the whole chain, else searched from it alone."""
    chain = tracer(None)
    for h in chain.hops:
        if h.provider == name:
            return h, chain.tolerance_s, "chain"
    alone = tracer(name)
    return (alone.hops[0] if alone.hops else None), alone.tolerance_s, "alone"


def _received(received_at, rec, case: Case, tb) -> tuple[int, str]:
    if received_at not in (None, ""):
        us = parse_time(received_at)
        if us == NAT:
            raise InputError(f"time '{received_at}' is not ISO 8601 (e.g. 2026-03-09T15:00:00Z)",
                             field="received-at")
        return us, "as given when drafting"
    if rec is not None and rec.notified_at:
        us = parse_time(rec.notified_at, traceback_zone(case, tb))
        if us != NAT:
            return us, f"notification time in the traceback record ('{rec.notified_at}')"
    return NAT, "not recorded"


def _styles(doc) -> None:
    st = doc.styles["Normal"]
    st.font.name = "Calibri"
    st.font.size = Pt(10.5)


def _table(doc, rows: list[tuple[str, str]]) -> None:
    t = doc.add_table(rows=0, cols=2)
    t.style = "Table Grid"
    for k, v in rows:
        cells = t.add_row().cells
        cells[0].text = k
        cells[1].text = "" if v is None else str(v)
        for r in cells[0].paragraphs[0].runs:
            r.bold = True
    doc.add_paragraph()


def _head(doc, case: Case, tb, name: str) -> None:
    doc.add_heading(f"Response to traceback request {tb.traceback_id}", level=0)
    p = doc.add_paragraph()
    r = p.add_run("DRAFT prepared with Traceback Workbench — check every statement against your "
                  "records, complete the marked sections, then send.")
    r.italic = True
    r.font.color.rgb = RGBColor(0xB0, 0x00, 0x00)
    info = case.directory.info(name)
    _table(doc, [("Responding provider", name),
                 ("FRN", info.frn if info and info.frn else "[complete]"),
                 ("Robocall Mitigation Database listing", info.rmd if info and info.rmd
                  else "[complete]"),
                 ("Traceback", tb.traceback_id), ("Campaign", tb.campaign or "—"),
                 ("To", "[the traceback consortium / requesting agency]")])


def _call(doc, tb) -> None:
    doc.add_heading("1. The call as requested", level=1)
    _table(doc, [("Date and time (UTC)", iso_utc(tb.call_time_us)),
                 ("Date and time as written in the request", tb.call_time),
                 ("Calling number", f"{tb.calling} (as written: {tb.calling_raw})"),
                 ("Called number", f"{tb.called} (as written: {tb.called_raw})")])


def _record(doc, case: Case, tb, name: str, hop: Hop | None, tol: float, how: str) -> None:
    doc.add_heading("2. Our record of the call", level=1)
    src = source_of(case, hop.source) if hop else None
    if hop is None or not hop.found:
        files = ", ".join(s.config.path for s in case.sources_of(name))
        lo, hi = tb.call_time_us - int(tol * US), tb.call_time_us + int(tol * US)
        doc.add_paragraph(
            f"We found no record of this call. We searched {files or 'our CDRs'} for calls to "
            f"{tb.called} from {tb.calling} between {iso_utc(lo)} and {iso_utc(hi)} (UTC, ±{tol:.0f} s "
            "around the requested time, after correcting for our clock's measured offset).")
        for n in (notes_text(hop.notes) if hop else []):
            doc.add_paragraph(n, style="List Bullet")
        return
    rows = [("Source file", f"{hop.source_path}, line {hop.line}"),
            ("SHA-256 of the file", src.sha256 if src else "—"),
            ("Start as logged (UTC)", iso_utc(hop.start_us)),
            ("Start corrected for clock skew (UTC)", iso_utc(hop.corrected_us)),
            ("Offset from the requested time", f"{hop.offset_s:+.1f} s" if hop.offset_s is not None
             else "—"),
            ("Duration", f"{hop.duration:.0f} s" if hop.duration is not None else "—"),
            ("Ingress (the trunk or account it arrived on)", hop.ingress or "—"),
            ("Match confidence", f"{hop.confidence:.2f}" if hop.confidence is not None else "—"),
            ("SHAKEN attestation / origid / verstat",
             f"{hop.attest or '—'} / {hop.origid or '—'} / {hop.verstat or '—'}")]
    if how == "alone":
        rows.append(("Note", "This provider is not on the chain the case traced; the record "
                             "was searched from this provider's CDRs alone."))
    _table(doc, rows)
    raw = (case.store.raw_lines(src.id, [hop.line]).get(hop.line)
           if src is not None and hop.line is not None else None)
    if raw is not None:
        doc.add_paragraph("The record exactly as in the file:")
        p = doc.add_paragraph()
        r = p.add_run(raw)
        r.font.name = "Courier New"
        r.font.size = Pt(8.5)


def _origin(doc, hop: Hop | None, said: SuspensionStatement | None = None) -> None:
    doc.add_heading("3. Where the call came from", level=1)
    if hop is None or not hop.found:
        doc.add_paragraph("Not applicable: no record found. [State the reason, e.g. retention "
                          "period, or that the call did not cross our network.]")
    elif hop.customer:
        doc.add_paragraph(f"The call was placed by our own customer {hop.customer} (account / "
                          f"ingress '{hop.ingress}'). We are the originating provider for this "
                          "call.")
        if said is not None:
            if _fold(said.customer) not in (_fold(hop.customer), _fold(hop.ingress or "")):
                doc.add_paragraph(f"Note: the customer suspended ({said.customer}) is not the "
                                  f"one our CDRs show for this call ({hop.customer}). [Explain "
                                  "how they are related.]")
            for sentence in said.sentences():
                doc.add_paragraph(sentence)
    elif hop.upstream:
        doc.add_paragraph(f"We received this call from {hop.upstream}, on ingress "
                          f"'{hop.ingress}'. {hop.upstream} is the upstream provider to "
                          "notify next.")
    else:
        doc.add_paragraph(f"The call arrived on ingress '{hop.ingress}', which our records do "
                          "not map to a provider or customer. [Identify the upstream provider "
                          "or customer behind this trunk.]")


def _timing(doc, clock, received_from: str, rec, now_us: int) -> None:
    doc.add_heading("4. Timing: the 24-hour rule", level=1)
    rows = [("Request received (UTC)", iso_utc(clock.received_us, 0) or "[complete]"),
            ("Where that time comes from", received_from),
            ("Deadline, strict: receipt + 24 h (UTC)", iso_utc(clock.strict_deadline_us, 0) or "—")]
    if clock.deferred_deadline_us != NAT:
        rows.append(("Deadline, business-hours deferral (UTC)",
                     iso_utc(clock.deferred_deadline_us, 0)))
    rows += [("Deadline applied", "deferred (business hours)" if clock.applied == "deferred"
              else "strict 24 hours"),
             ("Answer time if sent now (UTC)", iso_utc(now_us, 0)),
             ("Against the clock", clock.verdict())]
    if rec is not None and rec.responded_at:
        answered = parse_time(rec.responded_at)
        recorded = response_clock(clock.received_us, answered, zone=clock.zone,
                                  deferral=clock.applied == "deferred")
        rows.append(("Answer already recorded in the traceback record",
                     f"{rec.responded_at}: {recorded.verdict()}"))
    _table(doc, rows)
    doc.add_paragraph("The 24-hour duty: 47 CFR §64.1200(n)(1) (Seventh Report and Order, in "
                      "force since 2024-01-08). The business-hours deferral applies only to "
                      f"providers that qualify; {BUSINESS_RULE}.").runs[0].font.size = Pt(8.5)


def _actions(doc, said: SuspensionStatement | None = None) -> None:
    doc.add_heading("5. Actions taken [complete]", level=1)
    blank = "[            ]"
    rows = [("Customer notified on (date, time, zone)", blank),
            ("Traffic suspended on (date, time, zone)",
             blank if said is None else f"{said.at_utc} (UTC): {said.customer}")]
    if said is not None:
        rows.append(("Evidence for the suspension", said.evidence or "[describe the evidence]"))
    rows += [("Action on the originating customer",
              f"{BOX} warned   {BOX} terminated   {BOX} customer claims consent   "
              f"{BOX} no action   {BOX} not our customer"),
             ("Further actions (blocking, KYC review, upstream notified)", blank),
             ("Records kept (where, for how long)", blank)]
    _table(doc, rows)


def _fold(s: str) -> str:
    return " ".join(s.lower().split())


def _sign(doc, case: Case, now_us: int) -> None:
    doc.add_heading("6. Contact", level=1)
    _table(doc, [("Name and title", "[            ]"), ("Email and phone", "[            ]"),
                 ("Date", "[            ]")])
    p = doc.add_paragraph(f"Drafted {iso_utc(now_us, 0)} (UTC) by Traceback Workbench "
                          f"{__version__} from case '{case.name}'.")
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.runs[0].font.size = Pt(8)
