"""Hop details: the matched record as written and normalized, rivals, skew, SHAKEN, traceback."""
from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QDockWidget, QTextBrowser

from workbench.columns.times import display_utc
from workbench.present.chain_layout import hop_source, signed
from workbench.present.palette import ROLE_COLOURS, ROLE_LABELS, hop_kind
from workbench.present.trace_words import (
    CHECK_LABELS,
    UNVERIFIED,
    check_text,
    note_text,
    notes_text,
)

EMPTY = ("<p style='color:gray'>Select a hop in the chain view (or a point on the timeline) "
         "to see the record that matched, the rival records with their scores, the clock skew "
         "applied, the SHAKEN fields and whether the traceback record agrees.</p>")


def _t(us) -> str:
    return display_utc(us, zone=" UTC") or "—"


def _rows(pairs) -> str:
    return "".join(f"<tr><td style='padding-right:12px; color:gray'>{html.escape(k)}</td>"
                   f"<td>{v}</td></tr>" for k, v in pairs)


class HopDock(QDockWidget):
    #: a stalled hop's "Map this ingress…": (SourceId, ingress, upstream the record names)
    sig_map_ingress = Signal(object, str, str)

    def __init__(self, session, parent=None):
        super().__init__("Hop details", parent)
        self.setObjectName("dock.hop")
        self.session = session
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(self._on_link)
        self.show_original = False  # a JSON/XML record: indented (False) or as written (True)
        self.view.setHtml(EMPTY)
        self.setWidget(self.view)
        self.raw: dict[int, str] = {}
        self.hide_answer = False
        session.sig_hop_selected.connect(self._on_hop)
        session.sig_trace_changed.connect(lambda r: self._on_hop(session.hop))
        session.sig_revealed_changed.connect(lambda *_: self._on_hop(session.hop))
        session.sig_dirty_changed.connect(lambda *_: self._rerender())

    def _on_hop(self, index: int) -> None:
        s = self.session
        hops = s.shown_hops()
        if not 0 <= index < len(hops):
            self.view.setHtml(EMPTY)
            return
        hop = hops[index]
        self.raw = {}
        self.view.setHtml(self.render(index))
        src = hop_source(s.case, hop) if s.case is not None else None
        lines = [c.line for c in hop.candidates if c.line]
        if src is not None and lines:
            s.runner.run("Reading the original records", _read_raw, s.case.store, src.id, lines,
                         kind="hop-raw", on_done=lambda raw, i=index: self._on_raw(i, raw))

    def _on_link(self, url: QUrl) -> None:
        if url.toString() == "#original":
            self.show_original = not self.show_original
            self.view.setHtml(self.render(self.session.hop))
        elif url.toString() == "#map-ingress":
            self.map_ingress()

    def _rerender(self) -> None:
        """Staged edits changed: the stalled hop's notice says so."""
        if 0 <= self.session.hop < len(self.session.shown_hops()):
            self.view.setHtml(self.render(self.session.hop))

    def stalled_hop(self):
        """The selected hop if its record was found but its ingress is in neither table."""
        s = self.session
        hops = s.shown_hops()
        hop = hops[s.hop] if 0 <= s.hop < len(hops) else None
        return hop if hop is not None and is_stalled(hop) else None

    def map_ingress(self) -> None:
        """Ask the window to open the mapping editor on the stalled hop's ingress."""
        hop = self.stalled_hop()
        if hop is not None:
            self.sig_map_ingress.emit(hop.source, hop.ingress, hop.traceback_upstream or "")

    def _on_raw(self, index: int, raw: dict) -> None:
        if index == self.session.hop:
            self.raw = raw
            self.view.setHtml(self.render(index))

    def render(self, index: int) -> str:
        r = self.session.result
        hop = r.hops[index]
        kind = hop_kind(hop, r.outcome, index == len(r.hops) - 1)
        swatch = ROLE_COLOURS.get(kind, "#888")
        out = [f"<h3><span style='color:{swatch}'>■</span> Hop {index + 1}: "
               f"{html.escape(hop.provider)} — {ROLE_LABELS.get(kind, kind)}</h3>"]
        s = self.session
        self.hide_answer = s.step_mode and s.can_reveal() and index == s.revealed - 1
        if not hop.found:
            out.append("<p><b>No matching record.</b></p>")
        else:
            if is_stalled(hop) and not self.hide_answer:
                out.append(self._stall(hop))
            out.append(self._record(hop))
            out.append(self._candidates(hop))
            out.append("<h4>Clock skew applied</h4>")
            if hop.skew_s is None:
                out.append("<p>none estimated for this file</p>")
            else:
                out.append(f"<p>{signed(hop.skew_s, 3)} s (this file's clock minus the "
                           "reference), "
                           f"from {hop.skew_calls or 0} calls seen on both sides of a hand-off; "
                           f"record time {_t(hop.start_us)} → corrected {_t(hop.corrected_us)}"
                           "</p>")
            # the checks name hops further up the chain: in step mode, not before they are shown
            out.append(_shaken(hop, hide_checks=s.step_mode and s.can_reveal()))
        out.append(self._traceback(hop))
        if hop.notes and self.hide_answer:
            out.append("<h4>Notes</h4><p><i>hidden in step mode</i></p>")
        elif hop.notes:
            out.append("<h4>Notes</h4><ul>" + "".join(f"<li>{html.escape(n)}</li>"
                                                      for n in notes_text(hop.notes)) + "</ul>")
        return "".join(out)

    def _stall(self, hop) -> str:
        """The trace stopped at an ingress nobody has named: fix it here."""
        ups = self.session.pending(hop.source, "upstreams", None)
        cus = self.session.pending(hop.source, "customers", None)
        staged = (ups or {}).get(hop.ingress) or (cus or {}).get(hop.ingress)
        if staged:
            what = ("customer " if hop.ingress in (cus or {}) else "upstream ") + staged
            return (f"<p style='{STALL_STYLE}'>Mapping staged: ingress "
                    f"<b>{html.escape(hop.ingress)}</b> → {html.escape(what)}. "
                    "<b>Ctrl+S</b> writes it to case.toml and traces this call again "
                    "(until then the trace stays as shown). "
                    "<a href='#map-ingress'>Edit…</a></p>")
        return (f"<p style='{STALL_STYLE}'><b>The trace stops here:</b> ingress "
                f"<b>{html.escape(hop.ingress)}</b> is in neither the upstream nor the customer "
                "table of this file. <a href='#map-ingress'>Map this ingress…</a></p>")

    def _record(self, hop) -> str:
        raw = self.raw.get(hop.line)
        raw_html = (self._raw_html(raw) if raw is not None
                    else "<p style='color:gray'>reading the original line…</p>")
        handed = ("<i>hidden in step mode: who is it? (F8 reveals)</i>" if self.hide_answer else
                  f"customer <b>{html.escape(hop.customer)}</b> (origin)" if hop.customer else
                  f"<b>{html.escape(hop.upstream)}</b>" if hop.upstream else
                  "<b>not in the upstream or customer tables</b> — "
                  "<a href='#map-ingress'>Map this ingress…</a>" if is_stalled(hop) else
                  "<b>not in the upstream or customer tables</b>")
        conf = "—" if hop.confidence is None else f"{hop.confidence:.0%}"
        offset = "—" if hop.offset_s is None else f"{signed(hop.offset_s, 3)} s"
        return (f"<h4>Matched record — {html.escape(hop.source_path or '')}, line {hop.line}</h4>"
                f"{raw_html}"
                "<p style='color:gray'>normalized:</p><table>" + _rows([
                    ("start (file clock)", _t(hop.start_us)),
                    ("start (corrected)", _t(hop.corrected_us)),
                    ("offset from the call", offset), ("match confidence", conf),
                    ("duration", "—" if hop.duration is None else f"{hop.duration:g} s"),
                    ("ingress", html.escape(hop.ingress or "—")),
                    ("→ handed over by", handed),
                    ("egress", html.escape(hop.egress or "—"))]) + "</table>")

    def _raw_html(self, raw: str) -> str:
        """A CSV line as written; a JSON/XML document indented with the fields read marked,
        its original text one click away."""
        doc = structured_html(raw)
        plain = ("<p style='color:gray'>as written in the file:</p>"
                 f"<pre style='white-space: pre-wrap'>{html.escape(raw)}</pre>")
        if doc is None:
            return plain
        if self.show_original:
            return ("<p><a href='#original'>Show indented, with the fields read marked</a></p>"
                    + plain)
        return ("<p style='color:gray'>indented (the document as the workbench read it):</p>"
                "<p><a href='#original'>Show original</a> "
                f"<span style='color:gray'>— {MARK_LEGEND}</span></p>"
                f"<pre>{doc}</pre>")

    def _candidates(self, hop) -> str:
        if len(hop.candidates) <= 1:
            return "<h4>Rival records</h4><p>none within the search window</p>"
        head = ("<tr><th align=left>line</th><th align=right>offset</th>"
                "<th align=right>duration</th><th align=right>score</th><th align=left>note"
                "</th></tr>")
        rows = []
        for k, c in enumerate(hop.candidates):
            mark = "✓ " if k == 0 else ""
            dur = "—" if c.duration is None else f"{c.duration:g} s"
            raw = self.raw.get(c.line)
            note = html.escape(note_text(c.note) or "")
            rows.append(f"<tr><td>{mark}{c.line}</td><td align=right>"
                        f"{signed(c.offset_s)} s</td><td align=right>{dur}</td>"
                        f"<td align=right>{c.score:.2f}</td><td>{note}</td></tr>")
            if raw is not None and k > 0:
                raw = " ".join(raw.split())  # a multi-line document on one row
                raw = raw if len(raw) <= RIVAL_CHARS else raw[:RIVAL_CHARS] + " …"
                rows.append(f"<tr><td></td><td colspan=4><code>{html.escape(raw)}</code>"
                            "</td></tr>")
        return (f"<h4>Rival records ({len(hop.candidates) - 1})</h4>"
                f"<table cellspacing=4>{head}{''.join(rows)}</table>")

    def _traceback(self, hop) -> str:
        if self.session.result.traceback_id is None:
            return ""
        if hop.traceback_status is None:
            return "<h4>Traceback record</h4><p>no answer from this provider in the record</p>"
        if self.hide_answer:
            return "<h4>Traceback record</h4><p><i>hidden in step mode</i></p>"
        status = html.escape(hop.traceback_status.replace("_", " "))
        said = html.escape(hop.traceback_upstream or "—")
        verdict = {True: "<span style='color:#2ca02c'>✓ agrees with the CDRs</span>",
                   False: "<span style='color:#d62728'>✗ disagrees with the CDRs</span>",
                   None: "not comparable"}[hop.traceback_agrees]
        return ("<h4>Traceback record</h4><table>" + _rows([
            ("status", status), ("names upstream", said), ("verdict", verdict)]) + "</table>")


STALL_STYLE = "background-color:#fff3cd; color:#5c4400; padding:4px"


def is_stalled(hop) -> bool:
    """A record was found but its ingress is in neither table: the chain cannot go on."""
    return bool(hop.found and hop.ingress and not hop.upstream and not hop.customer)


_MARKS = {True: "<span style='color:#2ca02c'>✓</span>",
          False: "<span style='color:#d62728'>✗</span>",
          None: "<span style='color:gray'>—</span>"}


def _shaken(hop, hide_checks: bool = False) -> str:
    """The SHAKEN fields of the matched record, then the path checks (✓ / ✗ / — unknown)."""
    fields = [("attestation", hop.attest), ("origid", hop.origid), ("verstat", hop.verstat),
              ("signed calling (orig)", hop.pp_orig), ("signed called (dest)", hop.pp_dest),
              ("signed at (iat)", display_utc(hop.pp_iat_us, zone=" UTC") or None),
              ("signer certificate (x5u)", hop.pp_x5u)]
    out = ["<h4>SHAKEN</h4><table>" + _rows([(k, html.escape(v or "—")) for k, v in fields])
           + "</table>"]
    if hop.shaken_checks and hide_checks:
        out.append("<h4>SHAKEN path checks</h4><p><i>hidden in step mode until the whole chain "
                   "is revealed</i></p>")
    elif hop.shaken_checks:
        rows = "".join(f"<tr><td align=center>{_MARKS[c.ok]}</td><td style='padding-right:8px'>"
                       f"{html.escape(CHECK_LABELS[c.check])}</td>"
                       f"<td>{html.escape(check_text(c, caveat=False))}</td></tr>"
                       for c in hop.shaken_checks)
        out.append("<h4>SHAKEN path checks</h4>"
                   "<p style='color:gray'>Decoded fields compared along the chain, "
                   f"{html.escape(UNVERIFIED)}.</p>"
                   f"<table cellspacing=3>{rows}</table>")
    return "".join(out)


def _read_raw(store, sid, lines, *, progress, should_stop) -> dict:
    """The original text of each line; a document spread over lines (an XML <cdr>, an
    indented JSON object) is read on to its end."""
    progress(0.0, "reading the original records")
    raw = store.raw_lines(sid, lines)
    for line, text in list(raw.items()):
        if _is_open(text):
            more = store.raw_lines(sid, range(line + 1, line + MAX_DOC_LINES))
            raw[line] = _whole(text, [more[k] for k in sorted(more)])
    return raw



# ---------------------------------------------------------------- structured records
# The FreeSWITCH JSON/XML keys each normalized field is read from, in the order the reader
# tries them (workbench/ingest/formats/switches/freeswitch_docs.py call_record): the first
# one present and not empty is the one read.
_V, _P, _T = "variables", "caller_profile", "times"
READ_FROM: dict[str, list[tuple[str, str]]] = {
    "start": [(_V, "start_uepoch"), (_T, "created_time"), (_V, "start_epoch")],
    "answer": [(_V, "answer_uepoch"), (_T, "answered_time"), (_V, "answer_epoch")],
    "end": [(_V, "end_uepoch"), (_T, "hangup_time"), (_V, "end_epoch")],
    "calling": [(_P, "caller_id_number"), (_V, "caller_id_number"), (_V, "sip_from_user"),
                (_P, "ani"), (_V, "ani")],
    "calling name": [(_P, "caller_id_name"), (_V, "caller_id_name"), (_V, "sip_from_display")],
    "called": [(_P, "destination_number"), (_V, "destination_number"), (_V, "sip_req_user"),
               (_V, "sip_to_user")],
    "duration": [(_V, "billsec")],
    "disposition": [(_V, "hangup_cause")],
    "call id": [(_V, "sip_call_id")],
    "identity": [(_V, "sip_identity"), (_V, "sip_h_identity"), (_V, "sip_h_Identity")],
    "verstat": [(_V, "sip_verstat_detailed"), (_V, "sip_verstat")],
    "attestation": [(_V, "sip_h_P-Attestation-Indicator")],
    "origid": [(_V, "sip_h_P-Origination-ID")],
    "ingress": [(_V, "sip_gateway"), (_V, "sip_network_ip"), (_V, "sip_received_ip")],
    "egress": [(_V, "bridge_channel"), (_V, "sip_gateway_name"), (_V, "channel_name")],
}
MAX_DOC_LINES = 400  # a FreeSWITCH <cdr> is 60-200 lines; past this, show what was read
RIVAL_CHARS = 300
MARK_STYLE = "background-color:#fff3b0; color:#000; font-weight:bold"
MARK_LEGEND = (f"<span style='{MARK_STYLE}'>marked</span>: the fields the workbench read "
               "(← the field each one fills)")
_SECTIONS = (_V, _P, _T)
TIME_FIELDS = ("start", "answer", "end")  # 0 there means "never": the reader skips it


def _is_open(text: str) -> bool:
    """A document that starts on this line and does not end on it."""
    s = text.strip()
    if s.startswith("<cdr"):
        return "</cdr>" not in s
    if s.startswith("{"):
        return _json(s) is None
    return False


def _whole(first: str, more: list[str]) -> str:
    lines = [first]
    for text in more:
        lines.append(text)
        if first.lstrip().startswith("<cdr"):
            if "</cdr>" in text:
                break
        elif text.startswith("}") and _json("\n".join(lines)) is not None:
            break
    return "\n".join(lines)


def _json(text: str) -> dict | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def _sections(doc: dict) -> dict[str, dict]:
    """variables, and the caller profile and times of the earliest callflow, as dicts."""
    flows = doc.get("callflow") or []
    flows = [flows] if isinstance(flows, dict) else [f for f in flows if isinstance(f, dict)]
    first = min(flows, key=lambda f: int(_num((f.get(_T) or {}).get("created_time")) or 0)
                or 1 << 62, default={})
    return {_V: doc.get(_V) or {}, _P: first.get(_P) or {}, _T: first.get(_T) or {}}


def _num(v: Any) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def read_keys(sections: dict[str, dict]) -> dict[tuple[str, str], str]:
    """{(section, key): field} for the key each field was read from."""
    out: dict[tuple[str, str], str] = {}
    outbound = sections.get(_V, {}).get("direction") == "outbound"
    for field, keys in READ_FROM.items():
        if field == "ingress" and outbound:  # a b-leg: it has an egress, not an ingress
            continue
        for sec, key in keys:
            v = sections.get(sec, {}).get(key)
            if v in (None, "") or (field in TIME_FIELDS and not (_num(v) or 0) > 0):
                continue
            out[(sec, key)] = field
            break
    return out


def structured_html(raw: str) -> str | None:
    """A FreeSWITCH JSON or XML record indented, the keys read marked, as HTML for a <pre>;
    None for anything else (a CSV line stays as written)."""
    s = raw.strip()
    if s.startswith("{"):
        doc = _json(s)
        if doc is None:
            return None
        marks = read_keys(_sections(doc))
        return "\n".join(_json_lines(doc, marks, 0, None, ""))
    if s.startswith("<"):
        root = _xml(s)
        if root is None:
            return None
        return "\n".join(_xml_lines(root, _xml_marks(root), 0, ""))
    return None


def _mark(text: str, field: str | None) -> str:
    if field is None:
        return text
    return (f"<span style='{MARK_STYLE}'>{text}</span>"
            f"<span style='color:gray'>  ← {html.escape(field)}</span>")


def _json_lines(v: Any, marks: dict, depth: int, section: str | None, head: str) -> list[str]:
    pad = "  " * depth
    if isinstance(v, dict) and v:
        out = [pad + head + "{"]
        for i, (k, item) in enumerate(v.items()):
            key = html.escape(json.dumps(k, ensure_ascii=False))
            child = k if k in _SECTIONS else None
            lines = _json_lines(item, marks, depth + 1, child, f"{key}: ")
            if i < len(v) - 1:
                lines[-1] += ","
            field = marks.get((section, k)) if not isinstance(item, (dict, list)) else None
            if field is not None:
                body = lines[0][len("  " * (depth + 1)):]
                lines[0] = "  " * (depth + 1) + _mark(body, field)
            out += lines
        return out + [pad + "}"]
    if isinstance(v, list) and v:
        out = [pad + head + "["]
        for i, item in enumerate(v):
            lines = _json_lines(item, marks, depth + 1, section, "")
            if i < len(v) - 1:
                lines[-1] += ","
            out += lines
        return out + [pad + "]"]
    return [pad + head + html.escape(json.dumps(v, ensure_ascii=False))]


def _xml(text: str):
    from defusedxml import ElementTree as ET

    from workbench.ingest.formats.switches.freeswitch_docs import repair_xml
    body = text[text.index("<cdr"):] if "<cdr" in text else text
    for attempt in (body, repair_xml(body)):
        try:
            return ET.fromstring(attempt)
        except Exception:  # noqa: BLE001 - ParseError, defusedxml refusals: show as written
            continue
    return None


def _xml_marks(root) -> dict[int, str]:
    """{id(element): field} for the elements read (the earliest callflow's profile/times)."""
    from urllib.parse import unquote
    var = root.find(_V)
    flows = root.findall("callflow")
    first = min(flows, key=lambda cf: _num(cf.findtext("times/created_time")) or 1e30,
                default=None)
    els = {_V: var, _P: None if first is None else first.find(_P),
           _T: None if first is None else first.find(_T)}
    sections = {k: {el.tag: unquote(el.text or "") for el in (e if e is not None else [])}
                for k, e in els.items()}
    out: dict[int, str] = {}
    for (sec, key), field in read_keys(sections).items():
        el = els[sec].find(key) if els[sec] is not None else None
        if el is not None:
            out[id(el)] = field
    return out


def _xml_lines(el, marks: dict[int, str], depth: int, _: str) -> list[str]:
    pad = "  " * depth
    attrs = "".join(f" {k}={html.escape(json.dumps(v))}" for k, v in el.attrib.items())
    tag = html.escape(el.tag)
    text = (el.text or "").strip()
    if len(el) == 0:
        line = f"&lt;{tag}{attrs}&gt;{html.escape(text)}&lt;/{tag}&gt;"
        return [pad + _mark(line, marks.get(id(el)))]
    out = [f"{pad}&lt;{tag}{attrs}&gt;" + (html.escape(text) if text else "")]
    for child in el:
        out += _xml_lines(child, marks, depth + 1, "")
    return out + [f"{pad}&lt;/{tag}&gt;"]
