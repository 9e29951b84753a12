"""The details panel beside the network: the selected provider in words, its neighbours as
links (a click selects that provider), and the expand / collapse / neighbours actions."""
from __future__ import annotations

import html

from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from workbench.present.network_details import Link, ProviderDetails

EMPTY = ("<p style='color:gray'>Click a provider (or search for one) to see who hands it "
         "calls, whom it hands them to, its campaigns and its roles.<br><br>Double-click: "
         "expand its neighbours. Right-click: more.</p>")
MAX_LINKS = 25  # neighbours listed per direction; the rest are counted


class NetworkDetailsPanel(QWidget):
    sig_open = Signal(str)  # a provider named in the panel was clicked
    sig_expand = Signal()
    sig_collapse = Signal()
    sig_neighbours = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.text = QTextBrowser(openLinks=False, openExternalLinks=False)
        self.text.anchorClicked.connect(self._on_anchor)
        self.expand = QPushButton("Expand", toolTip="Show every provider linked to this one "
                                  "(double-click a node does the same)")
        self.collapse = QPushButton("Collapse", toolTip="Hide the providers linked to this one "
                                    "only")
        self.neighbours = QPushButton("Neighbours", toolTip="Show only this provider and its "
                                      "neighbours (hops as chosen above)")
        buttons = QHBoxLayout()
        for b, sig in ((self.expand, self.sig_expand), (self.collapse, self.sig_collapse),
                       (self.neighbours, self.sig_neighbours)):
            b.clicked.connect(sig)
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.text, 1)
        lay.addLayout(buttons)
        self.show_details(None)

    def show_details(self, d: ProviderDetails | None, hidden: int = 0) -> None:
        for b in (self.expand, self.collapse, self.neighbours):
            b.setEnabled(d is not None)
        self.text.setHtml(EMPTY if d is None else details_html(d, hidden))

    def _on_anchor(self, url: QUrl) -> None:
        self.sig_open.emit(url.fragment())


def details_html(d: ProviderDetails, hidden: int = 0) -> str:
    """One provider in words: appearances, flags, roles, campaigns, upstreams, downstreams."""
    facts = [f"in <b>{d.appearances}</b> traceback(s)/trace(s)",
             "CDRs in this case" if d.has_records else "no CDRs in this case"]
    if d.foreign:
        facts.append("foreign")
    if d.repeat_upstream:
        facts.append(f"named as upstream in {d.repeat_upstream} chain(s)")
    if hidden:
        facts.append(f"<b>{hidden}</b> neighbour(s) hidden by the filters")
    parts = [f"<h3>{html.escape(d.name)}</h3>", "<br>".join(facts)]
    if d.concerns:
        parts.append("<p><b>Concerns</b>: " + "; ".join(html.escape(c) for c in d.concerns)
                     + "</p>")
    if d.roles:
        parts.append("<p><b>Roles</b>: " + ", ".join(
            f"{html.escape(r.replace('_', ' '))} ×{n}" for r, n in d.roles.items() if n) + "</p>")
    if d.campaigns:
        rows = [f"{html.escape(c)}: {n} chain(s)" + (f" — <b>choke point</b> ({k} of {size})"
                                                     if k else "")
                for c, n, k, size in d.campaigns]
        parts.append("<p><b>Campaigns</b><br>" + "<br>".join(rows) + "</p>")
    parts.append(_links("Upstreams (hand it calls)", d.upstreams))
    parts.append(_links("Downstreams (take its calls)", d.downstreams))
    return "".join(parts)


def _links(title: str, links: list[Link]) -> str:
    if not links:
        return f"<p><b>{title}</b>: none</p>"
    rows = [f"<a href='#{html.escape(lk.name, quote=True)}'>{html.escape(lk.name)}</a> — "
            f"{lk.chains} chain(s)" + (f", {lk.calls:,} call(s)" if lk.calls else "")
            for lk in links[:MAX_LINKS]]
    if len(links) > MAX_LINKS:
        rows.append(f"… and {len(links) - MAX_LINKS} more")
    return f"<p><b>{title}</b> ({len(links)})<br>" + "<br>".join(rows) + "</p>"
