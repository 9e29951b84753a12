"""Graph dock: the chain view and the network view, with fit and export."""
from __future__ import annotations

import html

from PySide6.QtWidgets import QDockWidget, QTabWidget

from workbench.columns.times import display_utc
from workbench.present.chain_layout import layout_chain
from workbench.present.network_filter import hidden_neighbours, subnetwork, visible
from workbench.present.palette import ROLE_COLOURS
from workbench.present.report_text import outcome_sentence
from workbench.trace.network import build_network

from ..graph.chain_view import NO_CASE, ChainView
from ..graph.network_view import NetworkView

#: Each outcome in the colour of the hop it stops at (palette.hop_kind).
OUTCOME_COLOURS = {"origin": ROLE_COLOURS["originating"], "no_records": ROLE_COLOURS["no_records"],
                   "not_found": ROLE_COLOURS["not_found"],
                   "unmapped_ingress": ROLE_COLOURS["unmapped"], "loop": ROLE_COLOURS["unknown"]}


class GraphDock(QDockWidget):
    def __init__(self, session, parent=None):
        super().__init__("Graph", parent)
        self.setObjectName("dock.graph")
        self.session = session
        self.tabs = QTabWidget()
        self.chain = ChainView()
        self.network = NetworkView()
        self.tabs.addTab(self.chain, "Chain")
        self.tabs.addTab(self.network, "Network")
        self.tabs.setTabToolTip(0, "The traced chain, origin left, terminating provider right "
                                "(Ctrl+1)")
        self.tabs.setTabToolTip(1, "Every provider met in the case's tracebacks and traces "
                                "(Ctrl+2)")
        self.setWidget(self.tabs)
        self.chain.sig_hop_clicked.connect(lambda i: session.select_hop(i, force=True))
        self.chain.sig_step.connect(self._step)
        self.network.sig_provider_clicked.connect(self._on_network_click)
        self.network.sig_layout_changed.connect(lambda *_: self.rebuild_network())
        self.network.sig_campaign_changed.connect(lambda *_: self.rebuild_network())
        self.network.sig_filter_changed.connect(lambda *_: self._apply_filter())
        self.full_net = None  # the network before the view's filters
        session.sig_case_changed.connect(self._on_case_changed)
        session.sig_trace_changed.connect(self._on_trace_changed)
        session.sig_revealed_changed.connect(self._on_revealed)
        session.sig_hop_selected.connect(self.chain.set_selected)
        session.sig_provider_selected.connect(self.network.set_selected)
        session.sig_dossiers_changed.connect(self._on_dossiers)

    def _step(self, delta: int) -> None:
        """Keyboard stepping on the chain: ``delta`` hops up (+) or down (-) the chain."""
        self.chain.stepped = self.session.step_hop(delta)

    def _on_network_click(self, name: str) -> None:
        """A provider clicked in the network: Hop details follow it — its hop when it is on
        the shown chain, else nothing (never the details of a hop no longer chosen)."""
        s = self.session
        s.select_provider(name)
        names = [s.case.directory.canonical(h.provider) for h in s.shown_hops()] \
            if s.case is not None else []
        canon = s.case.directory.canonical(name) if s.case is not None else name
        s.select_hop(names.index(canon) if canon in names else -1)

    def current_view(self):
        return self.tabs.currentWidget()

    def fit(self) -> None:
        self.current_view().fit()

    # -- chain --------------------------------------------------------------------------
    def _on_case_changed(self, case) -> None:
        self.chain.show_empty(None if case is not None else NO_CASE)
        self.network.set_campaigns([], [], None)  # another case: its own campaigns, all shown
        if case is not None:
            self.rebuild_network()

    def _on_trace_changed(self, result) -> None:
        if result is None:
            self.chain.show_empty()
            return
        self.chain.selected = self.session.hop
        self._draw_chain()
        self.rebuild_network()
        self.tabs.setCurrentWidget(self.chain)

    def _on_revealed(self, *_) -> None:
        self._draw_chain()
        r = self.session.result
        if r is not None and self.session.revealed >= len(r.hops):
            self.rebuild_network()  # now the trace may add its hand-offs to the network
        elif self.network.net is not None:  # a trainee must not read the answer off the network
            self.network.show_network(self.network.net, self._chain_edges(), fit=False,
                                      hidden=self.network.hidden)

    def _chain_edges(self) -> set[tuple[str, str]]:
        return {(h.upstream, h.provider) for h in self.session.shown_hops() if h.upstream}

    def _draw_chain(self) -> None:
        s = self.session
        r = s.result
        if r is None:
            return
        partial = s.revealed < len(r.hops)
        lay = layout_chain(r, s.case, revealed=s.revealed)
        self.chain.show_chain(lay, self._header(r, partial), hidden_next=partial)

    def _header(self, r, partial: bool) -> str:
        when = display_utc(r.at_us, 0, " UTC") or "?"
        what = f"{html.escape(r.calling or '?')} → {html.escape(r.called)} at {when}"
        if r.traceback_id:
            what = f"Traceback {html.escape(r.traceback_id)}: {what}"
        if partial:
            verdict = (f"<b>Step mode</b>: {self.session.revealed} of ? hops shown "
                       "— F8 reveals the next")
        else:
            colour = OUTCOME_COLOURS.get(r.outcome, ROLE_COLOURS["not_found"])
            words = outcome_sentence(r)
            verdict = (f"<span style='color:{colour}'>■</span> <b>"
                       f"{html.escape(words[:1].upper() + words[1:])}</b>")
        for w in self.session.disagreements():
            verdict += (f"<br><span style='color:{ROLE_COLOURS['not_found']}'>⚠</span> <b>"
                        f"{html.escape(w[:1].upper() + w[1:])}</b>")
        return f"{what}<br>{verdict}"

    # -- network ------------------------------------------------------------------------
    def rebuild_network(self) -> None:
        s = self.session
        if s.case is None:
            return
        kind = self.network.layout_kind.currentData()
        results = list(s.results)
        if s.result is not None and s.revealed < len(s.result.hops):
            results = [r for r in results if r is not s.result]  # step mode: not yet revealed
        s.runner.run("Building the provider network", _build, s.case, results, kind,
                     self.network.campaign(), kind="network", on_done=self._on_network)

    def _on_network(self, net) -> None:
        self.full_net = net
        self.network.selected = self.session.provider
        self.network.set_campaigns(net.campaigns, net.campaign_sizes, net.campaign)
        self._apply_filter(fit=True)

    def _apply_filter(self, fit: bool = True) -> None:
        """Show the built network through the view's filters: at once when none is set,
        else selected and laid out afresh in a worker."""
        full, flt = self.full_net, self.network.filter
        if full is None:
            return
        if not flt.active:
            self.network.show_network(full, self._chain_edges(), fit=fit, full=full)
            return
        self.session.runner.run(
            "Filtering the provider network", _filter, full, flt,
            self.network.layout_kind.currentData(), kind="network-filter",
            on_done=lambda got, f=full: f is self.full_net and self.network.show_network(
                got[0], self._chain_edges(), fit=True, full=f, hidden=got[1]))

    def _on_dossiers(self, dossiers) -> None:
        self.network.set_dossiers({d.name: d for d in dossiers.providers}
                                  if dossiers is not None else {})


def _build(case, results, layout, campaign, *, progress, should_stop):
    progress(0.1, "building the provider network" + (f" of {campaign}" if campaign else ""))
    return build_network(case, results, layout=layout, campaign=campaign)


def _filter(net, flt, layout, *, progress, should_stop):
    """The providers the filter shows, laid out afresh, and their hidden neighbours."""
    progress(0.1, "filtering the provider network")
    keep = visible(net, flt)
    return subnetwork(net, keep, layout), hidden_neighbours(net, keep)[keep]
