"""Network view: every provider met in the case; size by appearances, width by calls.

Campaign controls: show one campaign (the dock rebuilds the network for it), colour nodes and
hand-offs by campaign, and ring the choke points. What a campaign is and which providers are
its choke points come from ``workbench.trace.network``; this module only draws them.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from workbench.present.palette import ROLE_COLOURS
from workbench.trace.network import ProviderNetwork

from .. import theme
from .canvas import GraphCanvas

REPEAT = QColor("#d62728")
MIN_PX, MAX_PX = 14.0, 46.0
MAX_ARROWS = 400  # beyond this, arrowheads cost more than they tell
#: Campaign colours: Okabe-Ito (told apart with common colour-vision deficiencies), then two
#: Tableau hues; campaigns past these share OTHER and the legend says so.
CAMPAIGN_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                    "#F0E442", "#8C564B", "#17BECF"]
OTHER = QColor("#9a9a9a")  # campaigns past the palette
NO_CAMPAIGN = QColor("#d4d4d4")  # providers only the CDRs show
CHOKE_RING_PX = 12.0  # the choke ring's diameter beyond the node's
LEGEND_CAMPAIGNS = len(CAMPAIGN_COLOURS)


class NetworkView(QWidget):
    sig_provider_clicked = Signal(str)
    sig_layout_changed = Signal(str)
    sig_campaign_changed = Signal(str)  # "": every campaign

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout_kind = QComboBox(toolTip="How to place the providers: layered puts origins "
                                     "left and terminating providers right")
        self.layout_kind.addItem("Layered (calls flow left → right)", "layered")
        self.layout_kind.addItem("Spring (clusters)", "spring")
        self.campaign_box = QComboBox(toolTip="Show the chains of one campaign only (traceback "
                                      "records without a campaign are grouped by origin)")
        self.campaign_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.campaign_box.setMinimumContentsLength(16)  # long names: the popup shows them whole
        self.campaign_box.addItem("All campaigns", "")
        self.colour_by = QCheckBox("Colour by campaign", toolTip="Fill each provider and hand-off "
                                   "in the colour of the campaign with most chains through it")
        self.show_choke = QCheckBox("Choke points", toolTip="Ring the providers that at least "
                                    "half of a campaign's chains pass through (and at least two)")
        top = QHBoxLayout()
        top.addWidget(QLabel("Layout:"))
        top.addWidget(self.layout_kind)
        top.addSpacing(8)
        top.addWidget(QLabel("Campaign:"))
        top.addWidget(self.campaign_box)
        top.addWidget(self.colour_by)
        top.addWidget(self.show_choke)
        top.addStretch(1)
        self.canvas = GraphCanvas()
        self.legend = QLabel(wordWrap=True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addLayout(top)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.legend)
        self.net: ProviderNetwork | None = None
        self.selected = ""
        self.chain_edges: set[tuple[str, str]] = set()
        self.labels: list[pg.TextItem] = []
        self.choke_shown: list[str] = []  # providers ringed as choke points
        self.badges: list[tuple[pg.TextItem, int]] = []  # (badge, node) per choke point
        self._max_px = MAX_PX
        self.arrows: list = []
        self.layout_kind.currentIndexChanged.connect(
            lambda *_: self.sig_layout_changed.emit(self.layout_kind.currentData()))
        self.campaign_box.currentIndexChanged.connect(
            lambda *_: self.sig_campaign_changed.emit(self.campaign_box.currentData() or ""))
        self.colour_by.toggled.connect(self._redraw)
        self.show_choke.toggled.connect(self._redraw)
        self.canvas.sig_relabel.connect(self._place_labels)
        self._auto_fit = True  # keep fitting on resize until the user pans or zooms
        self.canvas.vb.sigResized.connect(lambda *_: self._auto_fit and self.fit())
        self.canvas.vb.sigRangeChangedManually.connect(self._on_user_range)
        self.canvas.sig_palette_changed.connect(lambda: self.net is not None and self._draw())
        self._hover = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=20,
                                     slot=self._on_mouse_moved)

    def show_network(self, net: ProviderNetwork, chain_edges: set[tuple[str, str]],
                     fit: bool = True) -> None:
        self.net, self.chain_edges = net, chain_edges
        self._draw()
        if fit:
            self.fit()

    def campaign(self) -> str | None:
        """The campaign chosen in the selector; None: all of them."""
        return self.campaign_box.currentData() or None

    def set_campaigns(self, names: list[str], sizes, current: str | None) -> None:
        """Offer these campaigns (with their chain counts), ``current`` chosen, without
        asking for a rebuild."""
        self.campaign_box.blockSignals(True)
        self.campaign_box.clear()
        self.campaign_box.addItem("All campaigns", "")
        for name, n in zip(names, sizes):
            self.campaign_box.addItem(f"{name} ({int(n)})", name)
        at = self.campaign_box.findData(current or "")
        self.campaign_box.setCurrentIndex(max(at, 0))
        self.campaign_box.setEnabled(bool(names))
        self.campaign_box.blockSignals(False)

    def _redraw(self, *_) -> None:
        if self.net is not None:
            self._draw()
            if self._auto_fit:  # rings and longer labels need more margin
                self.fit()

    def _on_user_range(self, *_) -> None:
        self._auto_fit = False

    def set_selected(self, name: str) -> None:
        self.selected = name
        if self.net is not None:
            self._draw()

    def fit(self) -> None:
        """Show every node with its label: margins in pixels (labels hang below the nodes and
        keep their size when zoomed), turned into data units for the canvas's size."""
        if self.net is None or not len(self.net.names):
            return
        self._auto_fit = True
        w, h = max(self.canvas.vb.width(), 1.0), max(self.canvas.vb.height(), 1.0)
        rects = [t.textItem.boundingRect() for t in self.labels]
        ring = CHOKE_RING_PX if self.choke_shown else 0.0
        below = max((r.height() for r in rects), default=16.0) + (MAX_PX + ring) / 2 + 6
        badge = max((b.textItem.boundingRect().width() for b, _ in self.badges), default=0.0)
        side = max(max((r.width() for r in rects), default=60.0) / 2,
                   (MAX_PX + ring) / 2 + badge) + 6
        top = (MAX_PX + ring) / 2 + 6

        def span(lo_px: float, hi_px: float, size: float) -> tuple[float, float]:
            lo, hi = min(lo_px / size, 0.4), min(hi_px / size, 0.4)
            unit = 1.0 / max(1.0 - lo - hi, 0.2)  # data units across the whole view
            return -lo * unit, 1.0 + hi * unit

        self.canvas.vb.setRange(xRange=span(side, side, w), yRange=span(below, top, h),
                                padding=0)

    # -- drawing ------------------------------------------------------------------------
    def sizes(self) -> np.ndarray:
        a = self.net.appearances.astype(float)
        top = max(a.max(initial=0.0), 1.0)
        return MIN_PX + (self._max_px - MIN_PX) * np.sqrt(a / top)

    def _fit_node_size(self) -> None:
        """Shrink the largest node when a column of the layout is crowded for the canvas's
        height, so rings and names do not cover their neighbours (fixed at each drawing)."""
        _, counts = np.unique(np.round(self.net.pos[:, 0], 6), return_counts=True)
        room = max(self.canvas.vb.height(), 1.0) / max(int(counts.max(initial=1)), 1)
        self._max_px = float(np.clip(0.45 * room, 24.0, MAX_PX))

    def widths(self) -> np.ndarray:
        calls = self.net.edge_calls.astype(float) + self.net.edge_chains * 50.0
        top = max(calls.max(initial=0.0), 1.0)
        return 1.0 + 7.0 * np.log1p(calls) / np.log1p(top)

    def _draw(self) -> None:
        net, c = self.net, self.canvas
        c.clear_items()
        self._fit_node_size()
        col = theme.plot_colours()
        pos = net.pos
        by_campaign = self.colour_by.isChecked() and bool(net.campaigns)
        if len(net.edges):
            widths, repeat = self.widths(), net.edge_repeat
            pens = []
            for k, (u, v) in enumerate(net.edges):
                on_chain = (net.names[u], net.names[v]) in self.chain_edges
                if on_chain:
                    colour, alpha = QColor(col["ink"]), 255
                elif by_campaign:  # CDR-only hand-offs stay faint
                    j = int(net.edge_campaign[k])
                    colour = campaign_colour(j) if j >= 0 else QColor(col["faint"])
                    alpha = 210 if j >= 0 else 110
                else:
                    colour = QColor(REPEAT if repeat[k] else col["faint"])
                    alpha = 255 if repeat[k] else 140
                pens.append((colour.red(), colour.green(), colour.blue(), alpha,
                             float(widths[k]) + (1.5 if on_chain else 0.0)))
            pen_arr = np.array(pens, dtype=[("red", np.ubyte), ("green", np.ubyte),
                                            ("blue", np.ubyte), ("alpha", np.ubyte),
                                            ("width", float)])
            g = pg.GraphItem()
            g.setData(pos=pos, adj=net.edges, pen=pen_arr, size=0)
            c.addItem(g)
        self.arrows = []
        for k, (u, v) in enumerate(net.edges[:MAX_ARROWS]):
            a = pg.ArrowItem(headLen=12, tipAngle=40, pen=pg.mkPen(col["background"], width=1.5),
                             brush=col["ink"])
            a.setZValue(5)
            c.addItem(a)
            self.arrows.append((a, int(u), int(v)))
        brushes, pens = [], []
        best = net.node_campaign
        for i, name in enumerate(net.names):
            kind = "foreign" if net.foreign[i] else ("transit" if net.has_records[i]
                                                     else "no_records")
            fill = QColor(ROLE_COLOURS[kind])
            if by_campaign:
                fill = campaign_colour(int(best[i])) if best[i] >= 0 else QColor(NO_CAMPAIGN)
            if not net.appearances[i]:
                fill.setAlpha(90)
            brushes.append(pg.mkBrush(fill))
            if name == self.selected:
                pens.append(pg.mkPen(col["highlight"], width=4))
            elif net.repeat_upstream[i]:
                pens.append(pg.mkPen(REPEAT, width=3.5))
            else:
                pens.append(pg.mkPen(col["ink"], width=1))
        choke = net.choke if self.show_choke.isChecked() else np.zeros(len(net.names), bool)
        if choke.any():  # a thick ring around the node, apart from its own outline
            ring = pg.ScatterPlotItem(pos=pos[choke], size=self.sizes()[choke] + CHOKE_RING_PX,
                                      brush=pg.mkBrush(0, 0, 0, 0),
                                      pen=pg.mkPen(col["ink"], width=3.5))
            c.addItem(ring)
        self.choke_shown = [net.names[i] for i in np.flatnonzero(choke)]
        self.nodes_item = pg.ScatterPlotItem(pos=pos, size=self.sizes(), brush=brushes, pen=pens,
                                             data=list(range(len(net.names))))
        self.nodes_item.sigClicked.connect(self._on_click)
        c.addItem(self.nodes_item)
        self.labels = []
        halo = QColor(col["background"])
        halo.setAlpha(200)  # names stay readable where edges cross them
        for i, name in enumerate(net.names):
            weight = "bold" if name == self.selected or choke[i] else "normal"
            t = pg.TextItem(html=f"<span style='color:{col['ink'].name()}; "
                            f"font-weight:{weight}'>{html.escape(name)}</span>",
                            anchor=(0.5, 0.0), fill=pg.mkBrush(halo))
            t.setZValue(10)
            c.addItem(t)
            self.labels.append(t)
        # a choke point's badge sits right of its ring, so names stay one short line
        self.badges = []
        for i in np.flatnonzero(choke):
            b = pg.TextItem(html=f"<span style='color:{col['ink'].name()}; font-weight:bold'>"
                            f"<small>{html.escape(net.choke_words(int(i), short=True))}"
                            "</small></span>", anchor=(0.0, 0.5), fill=pg.mkBrush(halo))
            b.setZValue(11)
            c.addItem(b)
            self.badges.append((b, int(i)))
        self.legend.setText(self._legend(by_campaign, bool(choke.any())))
        self._place_labels()

    def _legend(self, by_campaign: bool, choke: bool) -> str:
        net = self.net
        n_rep = int(net.repeat_upstream.sum())
        counts = ((f"{net.campaign}: " if net.campaign else "")
                  + f"{len(net.names)} providers, {len(net.edges)} hand-offs"
                  + (f", {n_rep} repeat upstream(s)" if n_rep else "")
                  + (f", {len(self.choke_shown)} choke point(s)" if choke else ""))
        parts = [f"<b>{html.escape(counts)}</b>",
                 "node size: tracebacks/traces the provider appears in",
                 "edge width: calls across the hand-off (CDRs)"]
        if not by_campaign:
            parts.append(f"<span style='color:{REPEAT.name()}'>red ring / edge</span>: repeat "
                         "upstream (named in ≥2 tracebacks)")
        else:
            parts.append(f"<span style='color:{REPEAT.name()}'>red ring</span>: repeat upstream")
        parts.append("<b>solid ink edges</b>: the current trace")
        if choke:
            parts.append("<b>◯ thick ring, bold name, \"choke n/N\"</b>: choke point, n of a "
                         "campaign's N chains pass it upstream of the terminating provider "
                         "(n ≥ N/2, n ≥ 2)")
        if by_campaign:
            shown = [j for j in range(len(net.campaigns)) if net.campaign_sizes[j]
                     and (net.campaign is None or net.campaigns[j] == net.campaign)]
            keys = [f"<span style='color:{campaign_colour(j).name()}'>■</span> "
                    f"{html.escape(net.campaigns[j])} ({int(net.campaign_sizes[j])})"
                    for j in shown[:LEGEND_CAMPAIGNS]]
            if len(shown) > LEGEND_CAMPAIGNS:
                keys.append(f"<span style='color:{OTHER.name()}'>■</span> "
                            f"{len(shown) - LEGEND_CAMPAIGNS} more campaign(s)")
            keys.append(f"<span style='color:{NO_CAMPAIGN.name()}'>●</span> in no campaign")
            return ("<small>" + " &nbsp; ".join(parts) + "<br><b>Campaigns</b> (chains): "
                    + " &nbsp; ".join(keys) + "</small>")
        parts += [f"<span style='color:{ROLE_COLOURS['transit']}'>●</span> CDRs in case",
                  f"<span style='color:{ROLE_COLOURS['no_records']}'>●</span> no CDRs",
                  f"<span style='color:{ROLE_COLOURS['foreign']}'>●</span> foreign"]
        return "<small>" + " &nbsp; ".join(parts) + "</small>"

    def _place_labels(self) -> None:
        if self.net is None or not self.labels:
            return
        _, py = self.canvas.pixel()
        ringed = np.isin(self.net.names, self.choke_shown) if self.choke_shown else False
        sizes = self.sizes() + np.where(ringed, CHOKE_RING_PX, 0.0)  # labels clear the ring
        for t, (x, y), s in zip(self.labels, self.net.pos, sizes):
            t.setPos(float(x), float(y) - (s / 2 + 2) * py)
        px, _ = self.canvas.pixel()
        for b, i in self.badges:
            x, y = self.net.pos[i]
            b.setPos(float(x) + (sizes[i] / 2 + 2) * px, float(y))
        for a, u, v in self.arrows:  # arrowheads show which way the calls went
            (x0, y0), (x1, y1) = self.net.pos[u], self.net.pos[v]
            dx, dy = (x1 - x0) / px, -(y1 - y0) / py  # screen pixels, y down
            a.setStyle(angle=math.degrees(math.atan2(dy, dx)) - 180.0)
            a.setPos(x0 + (x1 - x0) * 0.55, y0 + (y1 - y0) * 0.55)

    # -- interaction --------------------------------------------------------------------
    def _on_click(self, item, points, ev=None) -> None:
        if len(points):
            self.sig_provider_clicked.emit(self.net.names[int(points[0].data())])

    def node_at(self, scene_pos: QPointF) -> int | None:
        if self.net is None or not hasattr(self, "nodes_item"):
            return None
        p = self.canvas.vb.mapSceneToView(scene_pos)
        px, py = self.canvas.pixel()
        d = np.hypot((self.net.pos[:, 0] - p.x()) / px, (self.net.pos[:, 1] - p.y()) / py)
        if not len(d):
            return None
        i = int(np.argmin(d))
        return i if d[i] <= self.sizes()[i] / 2 + 3 else None

    def _on_mouse_moved(self, args) -> None:
        i = self.node_at(args[0])
        if i is None:
            QToolTip.hideText()
            return
        where = self.canvas.mapToGlobal(self.canvas.mapFromScene(args[0]))
        QToolTip.showText(where, self.net.describe(i), self.canvas)


def campaign_colour(j: int) -> QColor:
    """The colour of campaign ``j`` (campaigns are ordered largest first)."""
    return QColor(CAMPAIGN_COLOURS[j]) if 0 <= j < len(CAMPAIGN_COLOURS) else QColor(OTHER)
