"""Hop details: the matched record as written and normalized, rivals, skew, SHAKEN, traceback."""
from __future__ import annotations

import html

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
    def __init__(self, session, parent=None):
        super().__init__("Hop details", parent)
        self.setObjectName("dock.hop")
        self.session = session
        self.view = QTextBrowser()
        self.view.setOpenExternalLinks(False)
        self.view.setHtml(EMPTY)
        self.setWidget(self.view)
        self.raw: dict[int, str] = {}
        self.hide_answer = False
        session.sig_hop_selected.connect(self._on_hop)
        session.sig_trace_changed.connect(lambda r: self._on_hop(session.hop))
        session.sig_revealed_changed.connect(lambda *_: self._on_hop(session.hop))

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

    def _record(self, hop) -> str:
        raw = self.raw.get(hop.line)
        raw_html = (f"<pre style='white-space: pre-wrap'>{html.escape(raw)}</pre>"
                    if raw is not None
                    else "<p style='color:gray'>reading the original line…</p>")
        handed = ("<i>hidden in step mode: who is it? (F8 reveals)</i>" if self.hide_answer else
                  f"customer <b>{html.escape(hop.customer)}</b> (origin)" if hop.customer else
                  f"<b>{html.escape(hop.upstream)}</b>" if hop.upstream else
                  "<b>not in the upstream or customer tables</b>")
        conf = "—" if hop.confidence is None else f"{hop.confidence:.0%}"
        offset = "—" if hop.offset_s is None else f"{signed(hop.offset_s, 3)} s"
        return (f"<h4>Matched record — {html.escape(hop.source_path or '')}, line {hop.line}</h4>"
                f"<p style='color:gray'>as written in the file:</p>{raw_html}"
                "<p style='color:gray'>normalized:</p><table>" + _rows([
                    ("start (file clock)", _t(hop.start_us)),
                    ("start (corrected)", _t(hop.corrected_us)),
                    ("offset from the call", offset), ("match confidence", conf),
                    ("duration", "—" if hop.duration is None else f"{hop.duration:g} s"),
                    ("ingress", html.escape(hop.ingress or "—")),
                    ("→ handed over by", handed),
                    ("egress", html.escape(hop.egress or "—"))]) + "</table>")

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
    progress(0.0, "reading the original records")
    return store.raw_lines(sid, lines)
