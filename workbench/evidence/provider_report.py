"""report.pdf of a provider packet: the provider, its dossier, its traffic, its tracebacks.

Built with the call packet's reportlab pieces (standard fonts, uncompressed page streams:
every word stays searchable in the bytes, so the redaction check can prove what is not
there). Long tables are cut with a pointer to the workbook, which holds every row.
"""
from __future__ import annotations

import io
from typing import Any

from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from workbench.case.audit import summary_of

from .model import NOTICE
from .provider_model import ProviderPacketView, TracebackEntry, outcome_words
from .report_pdf import BODY, H1, H2, MARGIN, MONO, PAGE, SMALL, h2, p, table
from .report_pdf import _kv as kv
from .report_pdf import _numbered as numbered_canvas

MAX_INGRESSES = 40  # rows in the PDF; the workbook has them all
MAX_TRACEBACKS = 300


def provider_report_bytes(view: ProviderPacketView) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=0.6 * inch,
                            title=f"Provider evidence — {view.provider}",
                            author=view.investigator or view.exported_by,
                            subject="Robocall traceback provider packet", creator=view.tool,
                            pageCompression=0)
    story: list[Any] = []
    for part in (_front, _who, _dossier, _traffic, _tracebacks, _sources, _audit, _legend):
        story += part(view)
    footer = (f"{view.case_name} · provider {view.provider} · packet created "
              f"{view.created_utc} (UTC) · {view.tool}")
    doc.build(story, canvasmaker=numbered_canvas(footer, view.profile))
    return buf.getvalue()


def _front(v: ProviderPacketView) -> list[Any]:
    i, d = v.info, v.dossier or {}
    rows = [("Provider", v.provider), ("Aliases", ", ".join(i.get("aliases") or [])),
            ("FRN", i.get("frn")), ("RMD number (case directory)", i.get("rmd")),
            ("RMD status", d.get("rmd_status")), ("Country", i.get("country")),
            ("CDR files in the case", i.get("cdr_files")),
            ("Tracebacks it appears in", len(v.tracebacks))]
    return [Paragraph("Provider evidence packet", H1),
            p(f"Case “{v.case_name}” — provider {v.provider}", BODY), Spacer(1, 6),
            *h2("The provider"), kv(rows), Spacer(1, 4), p(narrative(v), BODY)]


def narrative(v: ProviderPacketView) -> str:
    """A few plain sentences saying what the packet shows."""
    d, a = v.dossier or {}, v.analysis or {}
    traced = sum(1 for e in v.tracebacks if e.trace is not None)
    s = (f"{v.provider} appears in {len(v.tracebacks)} traceback"
         f"{'s' if len(v.tracebacks) != 1 else ''} of this case, {traced} of which the case's "
         "CDRs could trace. ")
    r = d.get("responses") or {}
    if r:
        s += (f"It answered {r.get('answered', 0)} request(s), {r.get('late', 0)} of them late "
              f"against the 24-hour clock, and left {r.get('no_response', 0)} unanswered. ")
    if d.get("contradicted"):
        s += f"Its own CDRs contradicted its answer {d['contradicted']} time(s). "
    ingresses = a.get("ingresses") or []
    if ingresses:
        top = ingresses[0]
        s += (f"Of the {len(ingresses)} ingress(es) in its CDRs, the most suspicious is "
              f"'{top.get('ingress')}'" + (f" ({top.get('name')})" if top.get("name") else "")
              + f" with {top.get('calls', 0):,} calls.")
    elif not v.info.get("cdr_files"):
        s += "Its CDRs are not in the case, so its traffic is not analyzed."
    return s


def _who(v: ProviderPacketView) -> list[Any]:
    params = ", ".join(f"{k}={val}" for k, val in v.params.items()
                       if val not in (None, False, "", []))
    who: list[tuple[str, object]] = [
        ("Created (UTC)", v.created_utc), ("Investigator", v.investigator or "(not given)"),
        ("Exported by", f"operating-system user '{v.exported_by}'"), ("Tool", v.tool),
        ("Redaction", f"{v.profile}: {v.profile_words}"), ("Case folder", v.case_folder),
        ("Export parameters", params)]
    return [KeepTogether([Paragraph("Who made this packet, and when", H2), kv(who)])]


def _dossier(v: ProviderPacketView) -> list[Any]:
    d = v.dossier
    if not d:
        return [*h2("Dossier"), p("No dossier could be computed for this provider.", BODY)]
    roles, resp = d.get("roles") or {}, d.get("responses") or {}
    rows = [("Tracebacks", d.get("tracebacks")),
            ("Roles", ", ".join(f"{k} {n}" for k, n in roles.items())),
            ("Answered", resp.get("answered")), ("Answered late (24-hour clock)", resp.get("late")),
            ("Never answered", resp.get("no_response")),
            ("Median response (hours)", resp.get("median_hours")),
            ("Answer contradicted by its own CDRs", d.get("contradicted")),
            ("RMD number", d.get("rmd")),
            ("RMD status", d.get("rmd_status") or "no RMD snapshot loaded"),
            ("RMD filing", _rmd_words(d.get("rmd_match")))]
    for key, label in (("named_upstreams", "Upstreams it named in its answers"),
                       ("cdr_upstreams", "Upstreams its CDRs show on traced calls"),
                       ("named_customers", "Customers it named in its answers"),
                       ("cdr_customers", "Customers its CDRs show on traced calls")):
        if d.get(key):
            rows.append((label, _names(d[key])))
    concerns = d.get("concerns") or []
    out = [*h2("Dossier: how it answers, its standing"), kv(rows), Spacer(1, 4),
           Paragraph("Concerns", H2)]
    out += [p("• " + c, BODY) for c in concerns] or [p("None found.", BODY)]
    return out


RMD_WORDS = (("basis", "matched by"), ("business_name", "filed as"),
             ("matched_name", "name matched"), ("implementation", "STIR/SHAKEN claim"),
             ("last_updated", "last updated"), ("last_listed", "last listed"), ("note", "note"))


def _rmd_words(match: Any) -> str | None:
    """How the provider was matched to its RMD filing, and what the filing claims."""
    if not isinstance(match, dict):
        return None
    parts = [f"{label}: {match[k]}" for k, label in RMD_WORDS if match.get(k)]
    roles = match.get("roles")
    if isinstance(roles, dict) and roles:
        parts.append("provider types: " + ", ".join(f"{k} {v}" for k, v in roles.items()))
    return "; ".join(parts) or None


def _names(value: Any) -> str:
    """[{name, count, rmd_status}] as 'Name (3, not listed), …'."""
    out = []
    for x in value if isinstance(value, list) else [value]:
        if not isinstance(x, dict):
            out.append(str(x))
            continue
        extra = [str(x["count"])] if x.get("count") is not None else []
        if x.get("rmd_status"):
            extra.append(f"RMD: {x['rmd_status']}")
        if x.get("foreign"):
            extra.append("foreign")
        out.append(f"{x.get('name')} ({', '.join(extra)})" if extra else str(x.get("name")))
    return ", ".join(out)


def _cut(x: Any, n: int = 80) -> str:
    """A cell value short enough for the page (the workbook holds it whole)."""
    s = "" if x is None else str(x)
    return s if len(s) <= n else s[:n - 1] + "…"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f}%"


def _traffic(v: ProviderPacketView) -> list[Any]:
    a = v.analysis or {}
    ingresses = a.get("ingresses") or []
    if not ingresses:
        why = "; ".join(a.get("notes") or []) or "no calls in its CDRs"
        return [*h2("Its traffic"), p(f"No analysis: {why}.", BODY)]
    rows: list[list[Any]] = [["#", "Ingress", "Name", "Kind", "Score", "Calls", "Distinct calling",
                              "Under 6 s", "Neighbour", "Answered", "Why it stands out"]]
    for n, r in enumerate(ingresses[:MAX_INGRESSES], start=1):
        rows.append([n, p(_cut(r.get("ingress")), MONO), _cut(r.get("name")) or "–",
                     r.get("kind"),
                     "–" if r.get("score") is None else f"{float(r['score']):.1f}",
                     f"{int(r.get('calls') or 0):,}", f"{int(r.get('distinct_calling') or 0):,}",
                     _pct(r.get("short_share")), _pct(r.get("neighbor_share")),
                     _pct(r.get("answer_rate")), "; ".join(r.get("reasons") or []) or "–"])
    w = [0.3, 0.95, 1.35, 0.7, 0.45, 0.6, 0.7, 0.6, 0.65, 0.65, 3.05]
    out = [*h2("Its traffic, per ingress (most suspicious first)"),
           p("Each customer account or upstream trunk on which calls reached the provider, from "
             "its own CDRs in this case; 'Neighbour' is the share of calls whose calling number "
             "shares the called number's NPA-NXX.", SMALL), Spacer(1, 3),
           table(rows, [x * inch for x in w])]
    if len(ingresses) > MAX_INGRESSES:
        out.append(p(f"First {MAX_INGRESSES} of {len(ingresses)} ingresses; all of them are in "
                     "the workbook's Ingresses sheet and analysis.json.", SMALL))
    return out


def _tracebacks(v: ProviderPacketView) -> list[Any]:
    if not v.tracebacks:
        return [*h2("Tracebacks"), p("The provider appears in no traceback of this case.", BODY)]
    rows: list[list[Any]] = [["Traceback", "Call (UTC)", "Called", "Its answer (record)",
                              "24-hour clock", "Trace outcome", "Its hop in the trace",
                              "Agrees"]]
    for e in v.tracebacks[:MAX_TRACEBACKS]:
        rows.append([_cut(e.traceback_id) + (f"\n{_cut(e.campaign)}" if e.campaign else ""),
                     e.call.get("at_utc") or "–", e.call.get("called") or "–", _answer(e),
                     e.clock.verdict() if e.clock else "–",
                     outcome_words(e.outcome) if e.outcome else f"not traced: {e.untraced}",
                     _hop_words(e), {True: "yes", False: "NO", None: "–"}.get(
                         (e.hop or {}).get("traceback_agrees"), "–")])
    w = [1.2, 1.25, 1.0, 1.5, 1.6, 1.2, 1.55, 0.5]
    out = [*h2("Tracebacks it appears in"),
           p("Per traceback, data/tracebacks/<id>/ holds the record's rows (record.json), the "
             "trace (trace.json) and the provider's own CDR line for the call (cdr.txt).", SMALL),
           Spacer(1, 3), table(rows, [x * inch for x in w])]
    if len(v.tracebacks) > MAX_TRACEBACKS:
        out.append(p(f"First {MAX_TRACEBACKS} of {len(v.tracebacks)}; all are in the workbook's "
                     "Tracebacks sheet.", SMALL))
    return out


def _answer(e: TracebackEntry) -> str:
    own = e.own
    if own is None:
        return "not in the record"
    s = f"hop {own.get('hop')}: {own.get('status') or 'no status'}"
    if own.get("upstream"):
        s += f", named {own['upstream']}"
    return s


def _hop_words(e: TracebackEntry) -> str:
    h = e.hop
    if h is None:
        return "not on the traced chain" if e.trace is not None else "–"
    if not h.get("found"):
        return f"hop {h.get('n')}: no matching record"
    who = (f"from {h['upstream']}" if h.get("upstream") else
           f"from customer {h['customer']}" if h.get("customer") else
           f"on ingress '{h.get('ingress')}', mapped to no one")
    return f"hop {h.get('n')} ({h.get('role')}): {who}, line {h.get('line')}"


def _sources(v: ProviderPacketView) -> list[Any]:
    if not v.sources:
        return []
    rows: list[list[Any]] = [["File (as in case.toml)", "Format", "Rows", "Records (UTC)",
                              "SHA-256 (re-computed at export)"]]
    for s in v.sources:
        same = "" if s.sha256_export == s.sha256_loaded else " (CHANGED since loaded)"
        rows.append([p(s.path, MONO), s.format, f"{s.rows:,}",
                     f"{s.first_utc or '?'} – {s.last_utc or '?'}",
                     p(s.sha256_export + same, MONO)])
    return [*h2("Its CDR files"), table(rows, [x * inch for x in (2.0, 0.7, 0.8, 2.6, 3.9)])]


def _audit(v: ProviderPacketView) -> list[Any]:
    if not v.audit_head[0]:
        status = "No entries yet."
    elif v.audit_ok:
        status = (f"{v.audit_head[0]} entries; hash chain intact; last entry SHA-256 "
                  f"{v.audit_head[1]}.")
    else:
        status = "HASH CHAIN BROKEN: " + "; ".join(v.audit_problems)
    rows: list[list[Any]] = [["#", "Time (UTC)", "Who", "Action", "What"]]
    for e in v.audit[-30:]:
        rows.append([e.get("seq"), e.get("time"), e.get("actor"), e.get("action"),
                     summary_of(e)])
    out = [*h2("Audit trail of the case (audit.jsonl)"), p(status, SMALL)]
    if len(rows) > 1:
        out.append(table(rows, [x * inch for x in (0.4, 1.6, 1.1, 1.0, 5.9)]))
    return out


def _legend(v: ProviderPacketView) -> list[Any]:
    lines = [NOTICE,
             "The 24-hour clock: receipt + 24 h (47 CFR §64.1200(n)(1)); providers set to "
             "business-hours deferral count from 08:00 the next business day.",
             "To verify this packet: `workbench verify PACKET.zip`, or any BagIt (RFC 8493) "
             "validator on the unzipped folder."]
    return [KeepTogether([Paragraph("Method and legend", H2), *[p(x, SMALL) for x in lines]])]
