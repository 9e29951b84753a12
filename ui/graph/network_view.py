"""Network view: every provider met in the case; size by appearances, width by calls.

Built for campaign size (a thousand providers, thousands of hand-offs): nodes are one
scatter item, hand-offs a few batched line items, names one label layer that shows the
important ones at overview and more as the view zooms in, never overlapping
(``workbench.present.network_labels``). Search, filters (minimum appearances, neighbours of
the selection, one campaign), expand / collapse and a details panel work as i2 or Maltego
users expect; what to show is decided in ``workbench.present.network_filter``, what a
campaign and a choke point are in ``workbench.trace.network``. This module only draws.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from workbench.present.network_details import provider_details, search
from workbench.present.network_filter import NetworkFilter
from workbench.present.network_labels import MUST, label_priority, place_labels
from workbench.present.palette import ROLE_COLOURS
from workbench.trace.network import ProviderNetwork

from .. import theme
from .canvas import GraphCanvas
from .network_items import (
    WIDTH_LEVELS,
    EdgeLayer,
    LabelLayer,
    arrow_symbols,
    blend,
    edge_item,
)
from .network_legend import CAMPAIGN_COLOURS, NO_CAMPAIGN, OTHER, REPEAT, campaign_colour, legend
from .network_panel import NetworkDetailsPanel

__all__ = ["CAMPAIGN_COLOURS", "NO_CAMPAIGN", "OTHER", "REPEAT", "NetworkView",
           "campaign_colour"]

MIN_PX, MAX_PX = 14.0, 46.0
MAX_ARROWS = 120  # arrowheads only when this few hand-offs are in view
ARROW_STEPS = 24
CHOKE_RING_PX = 12.0  # the choke ring's diameter beyond the node's
RELABEL_MS = 80
BIG_EDGES = 600  # past this many hand-offs, widths go by rank (70 % hairlines)
MAX_RED = 150  # red hand-offs at most: past that red is no longer a warning
FOUND = 2e8  # label priority of search hits: after the selection, before everything else


class NetworkView(QWidget):
    sig_provider_clicked = Signal(str)
    sig_layout_changed = Signal(str)
    sig_campaign_changed = Signal(str)  # "": every campaign
    sig_filter_changed = Signal(object)  # NetworkFilter

    def __init__(self, parent=None):
        super().__init__(parent)
        self._build_controls()
        self.canvas = GraphCanvas()
        self.panel = NetworkDetailsPanel()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.canvas)
        split.addWidget(self.panel)
        split.setStretchFactor(0, 1)
        split.setSizes([900, 260])
        for w in (self.canvas, self.panel.text):  # small screens: the docks around decide
            w.setMinimumHeight(40)
        self.legend = QLabel(wordWrap=True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addLayout(self._top)
        lay.addLayout(self._second)
        lay.addWidget(split, 1)
        lay.addWidget(self.legend)
        self.net: ProviderNetwork | None = None
        self.full: ProviderNetwork | None = None  # before filters: the details panel reads it
        self.hidden = np.zeros(0, np.int64)  # per shown provider: neighbours filtered away
        self.filter = NetworkFilter()
        self.dossiers: dict = {}
        self.selected = ""
        self.found: list[int] = []
        self.chain_edges: set[tuple[str, str]] = set()
        self.choke_shown: list[str] = []
        self.badges: list[tuple[str, int]] = []  # (badge text, node) per choke point
        self.shown_labels = np.zeros(0, np.int64)
        self.label_layer = LabelLayer()
        self._scale = 1.0  # node size factor for the zoom level (dense networks start small)
        self._fit_width = 1.0
        self._auto_fit = True  # keep fitting on resize until the user pans or zooms
        self._arrows = pg.ScatterPlotItem()
        self._symbols = arrow_symbols(ARROW_STEPS)
        self._connect()

    def _build_controls(self) -> None:
        self.layout_kind = QComboBox(toolTip="How to place the providers: layered puts origins "
                                     "left and terminating providers right")
        self.layout_kind.addItem("Layered layout", "layered")  # calls flow left → right
        self.layout_kind.addItem("Spring layout", "spring")  # clusters
        self.campaign_box = QComboBox(toolTip="Show the chains of one campaign only (traceback "
                                      "records without a campaign are grouped by origin)")
        self.campaign_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.campaign_box.setMinimumContentsLength(11)
        self.campaign_box.addItem("All campaigns", "")
        self.colour_by = QCheckBox("Campaign colours", toolTip="Fill each provider and hand-off "
                                   "in the colour of the campaign with most chains through it")
        self.show_choke = QCheckBox("Choke points", toolTip="Ring the providers that at least "
                                    "half of a campaign's chains pass through (and at least two)")
        self.find = QLineEdit(placeholderText="Find provider…", clearButtonEnabled=True,
                              toolTip="Highlight the providers whose name contains this; Enter "
                              "selects the best match and centres on it")
        self.find.setCompleter(QCompleter([], self.find, caseSensitivity=Qt.CaseInsensitive,
                                          filterMode=Qt.MatchFlag.MatchContains))
        self.min_app = QSpinBox(minimum=1, maximum=100_000, prefix="in ≥ ", suffix=" tracebacks",
                                toolTip="Show only providers in at least this many "
                                "tracebacks/traces")
        self.hops = QComboBox(toolTip="Show only the selected provider and the providers within "
                              "one or two hand-offs of it")
        for text, n in (("All providers", 0), ("Selection + 1 hop", 1),
                        ("Selection + 2 hops", 2)):
            self.hops.addItem(text, n)
        self.reset = QPushButton("Show all", toolTip="Clear the filters, expansions and "
                                 "collapses")
        self.count = QLabel()
        self._top, self._second = QHBoxLayout(), QHBoxLayout()
        for w in (self.layout_kind, self.campaign_box, self.colour_by, self.show_choke):
            self._top.addWidget(w)
        self._top.addStretch(1)
        for w in (self.find, self.min_app, self.hops, self.reset, self.count):
            self._second.addWidget(w)
        self._second.addStretch(1)

    def _connect(self) -> None:
        self.layout_kind.currentIndexChanged.connect(
            lambda *_: self.sig_layout_changed.emit(self.layout_kind.currentData()))
        self.campaign_box.currentIndexChanged.connect(
            lambda *_: self.sig_campaign_changed.emit(self.campaign_box.currentData() or ""))
        self.colour_by.toggled.connect(self._redraw)
        self.show_choke.toggled.connect(self._redraw)
        self.find.textChanged.connect(self._on_find_text)
        self.find.returnPressed.connect(self.find_next)
        self.find.completer().activated.connect(lambda *_: self.find_next())
        self.min_app.valueChanged.connect(lambda v: self.set_filter(
            NetworkFilter(int(v), self.filter.focus, self.filter.hops, self.filter.steps)))
        self.hops.currentIndexChanged.connect(lambda *_: self.set_filter(NetworkFilter(
            self.filter.min_appearances, self.selected or None, int(self.hops.currentData()),
            self.filter.steps)))
        self.reset.clicked.connect(lambda: self.set_filter(NetworkFilter()))
        self.panel.sig_open.connect(self.open_provider)
        self.panel.sig_expand.connect(lambda: self.expand(self.selected))
        self.panel.sig_collapse.connect(lambda: self.collapse(self.selected))
        self.panel.sig_neighbours.connect(lambda: self.neighbours_of(self.selected))
        # names are re-chosen at most every RELABEL_MS while the view moves, and at rest
        self._relabel = QTimer(self, singleShot=True, interval=RELABEL_MS)
        self._relabel.timeout.connect(self._place_labels)
        self.canvas.sig_relabel.connect(lambda: self._relabel.isActive() or self._relabel.start())
        self.canvas.vb.sigResized.connect(lambda *_: self._auto_fit and self.fit())
        self.canvas.vb.sigRangeChangedManually.connect(self._on_user_range)
        self.canvas.vb.setMenuEnabled(False)
        self.canvas.sig_palette_changed.connect(lambda: self.net is not None and self._draw())
        self.canvas.scene().sigMouseClicked.connect(self._on_scene_click)
        self._hover = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=20,
                                     slot=self._on_mouse_moved)

    # -- input ---------------------------------------------------------------------------
    def show_network(self, net: ProviderNetwork, chain_edges: set[tuple[str, str]],
                     fit: bool = True, full: ProviderNetwork | None = None,
                     hidden: np.ndarray | None = None) -> None:
        """Draw ``net`` (``full``: the network before filters; ``hidden``: per provider of
        ``net``, neighbours the filters hide)."""
        self.net, self.chain_edges = net, chain_edges
        if full is not None or fit or self.full is None:
            self.full = full if full is not None else net
        self.hidden = hidden if hidden is not None else np.zeros(len(net.names), np.int64)
        self.find.completer().model().setStringList(self.full.names)
        self.found = self._matches()
        self._scale = self._base_scale()
        self._draw()
        if fit:
            self.fit()
        self._show_details()

    def set_dossiers(self, dossiers: dict) -> None:
        """Provider dossiers by name: the details panel shows their roles and concerns."""
        self.dossiers = dossiers
        self._show_details()

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
        self.campaign_box.setCurrentIndex(max(self.campaign_box.findData(current or ""), 0))
        self.campaign_box.setEnabled(bool(names))
        self.campaign_box.blockSignals(False)

    def set_filter(self, flt: NetworkFilter) -> None:
        """Ask for another selection of providers (the dock computes it in a worker)."""
        self.filter = flt
        for w, value in ((self.min_app, max(flt.min_appearances, 1)),
                         (self.hops, self.hops.findData(flt.hops if flt.focus else 0))):
            w.blockSignals(True)
            w.setValue(value) if w is self.min_app else w.setCurrentIndex(max(value, 0))
            w.blockSignals(False)
        self.sig_filter_changed.emit(flt)

    def expand(self, name: str) -> None:
        if name:
            self.set_filter(self.filter.with_step("expand", name))

    def collapse(self, name: str) -> None:
        if name:
            self.set_filter(self.filter.with_step("collapse", name))

    def neighbours_of(self, name: str) -> None:
        if name:
            self.set_filter(NetworkFilter(self.filter.min_appearances, name,
                                          max(int(self.hops.currentData()), 1)))

    def open_provider(self, name: str) -> None:
        """Select ``name``; bring it in with its neighbours when the filters hide it."""
        if self.net is not None and self.net.index(name) is None:
            self.expand(name)
        self.sig_provider_clicked.emit(name)

    def _redraw(self, *_) -> None:
        if self.net is not None:
            self._draw()
            if self._auto_fit:
                self.fit()

    def _on_user_range(self, *_) -> None:
        self._auto_fit = False

    def set_selected(self, name: str) -> None:
        self.selected = name
        if self.net is not None:
            self._draw_selection()
            self._place_labels()
            self._show_details()

    def _show_details(self) -> None:
        net = self.full if self.full is not None else self.net
        d = provider_details(net, self.selected, self.dossiers.get(self.selected)) \
            if net is not None and self.selected else None
        i = self.net.index(self.selected) if self.net is not None and self.selected else None
        self.panel.show_details(d, int(self.hidden[i]) if i is not None else 0)

    # -- search ----------------------------------------------------------------------------
    def _matches(self) -> list[int]:
        return search(self.net.names, self.find.text()) if self.net is not None else []

    def _on_find_text(self, *_) -> None:
        if self.net is not None:
            self.found = self._matches()
            self._draw_selection()
            self._place_labels()

    def find_next(self) -> None:
        """Select the best match of the search text and centre the view on it."""
        full = self.full if self.full is not None else self.net
        hits = search(full.names, self.find.text()) if full is not None else []
        if not hits:
            self.count.setText("<span style='color:#d62728'>no provider matches</span>")
            return
        name = full.names[hits[0]]
        self.open_provider(name)
        self.centre_on(name)

    def centre_on(self, name: str, span: float = 0.18) -> None:
        """Zoom to ``name`` so its neighbourhood fills the view."""
        i = self.net.index(name) if self.net is not None else None
        if i is None:
            return
        x, y = self.net.pos[i]
        self._auto_fit = False
        self.canvas.vb.setRange(xRange=(x - span, x + span), yRange=(y - span, y + span),
                                padding=0)

    # -- drawing ---------------------------------------------------------------------------
    def fit(self) -> None:
        """Show every node with its name: margins in pixels, as data units for this size."""
        if self.net is None or not len(self.net.names):
            return
        self._auto_fit = True
        w, h = max(self.canvas.vb.width(), 1.0), max(self.canvas.vb.height(), 1.0)
        node = MAX_PX * self._base_scale() + (CHOKE_RING_PX if self.choke_shown else 0.0)
        below = node / 2 + 26
        side = max(70.0, node / 2 + (80 if self.badges else 0)) + 6
        top = node / 2 + 6

        def span(lo_px: float, hi_px: float, size: float) -> tuple[float, float]:
            lo, hi = min(lo_px / size, 0.4), min(hi_px / size, 0.4)
            unit = 1.0 / max(1.0 - lo - hi, 0.2)
            return -lo * unit, 1.0 + hi * unit

        xr = span(side, side, w)
        self._fit_width = xr[1] - xr[0]
        self.canvas.vb.setRange(xRange=xr, yRange=span(below, top, h), padding=0)

    def _base_scale(self) -> float:
        """Node size factor at overview: dense networks start with small nodes."""
        n = len(self.net.names) if self.net is not None else 1
        return float(np.clip(np.sqrt(120.0 / max(n, 1)), 0.3, 1.0))

    def sizes(self) -> np.ndarray:
        a = self.net.appearances.astype(float)
        top = max(a.max(initial=0.0), 1.0)
        return (MIN_PX + (MAX_PX - MIN_PX) * np.sqrt(a / top)) * self._scale

    def widths(self) -> np.ndarray:
        calls = self.net.edge_calls.astype(float) + self.net.edge_chains * 50.0
        top = max(calls.max(initial=0.0), 1.0)
        return 1.0 + 7.0 * np.log1p(calls) / np.log1p(top)

    def _draw(self) -> None:
        net, c = self.net, self.canvas
        c.clear_items()
        col = theme.plot_colours()
        by_campaign = self.colour_by.isChecked() and bool(net.campaigns)
        # the lines come one event-loop turn later: drawing them and the nodes in one go
        # would freeze the window past 100 ms on a thousand-provider network
        self.edge_layer = EdgeLayer()
        self.edge_layer.setZValue(1)
        c.addItem(self.edge_layer)
        QTimer.singleShot(0, lambda net=net, layer=self.edge_layer: net is self.net
                          and layer is self.edge_layer and self._draw_edges(col, by_campaign))
        choke = net.choke if self.show_choke.isChecked() else np.zeros(len(net.names), bool)
        self.choke_shown = [net.names[i] for i in np.flatnonzero(choke)]
        self.badges = [(net.choke_words(int(i), short=True), int(i))
                       for i in np.flatnonzero(choke)]
        self.ring_item = pg.ScatterPlotItem(pxMode=True)
        self.ring_item.setZValue(8)
        c.addItem(self.ring_item)
        self.nodes_item = pg.ScatterPlotItem(pos=net.pos, size=self.sizes(),
                                             brush=self._brushes(by_campaign),
                                             pen=self._pens(col), data=np.arange(len(net.names)))
        self.nodes_item.setZValue(10)
        self.nodes_item.sigClicked.connect(self._on_click)
        c.addItem(self.nodes_item)
        self.marks_item = pg.ScatterPlotItem(pxMode=True)  # selection and search hits
        self.marks_item.setZValue(11)
        c.addItem(self.marks_item)
        self.focus_edges: list = []
        self._arrows = pg.ScatterPlotItem(pxMode=True, pen=pg.mkPen(col["background"], width=1),
                                          brush=pg.mkBrush(col["ink"]))
        self._arrows.setZValue(6)
        c.addItem(self._arrows)
        self.label_text = [n for n in net.names]
        self._bold = choke.copy()
        self._text_size = self.label_layer.text_sizes(self.label_text, self._bold)
        c.addItem(self.label_layer)
        self._update_rings()
        self._red_edges()  # sets red_from for the legend
        self.legend.setText(legend(net, by_campaign, bool(choke.any()), len(self.choke_shown),
                                   self.red_from))
        self._draw_selection()
        self._place_labels()

    def _draw_edges(self, col: dict, by_campaign: bool) -> None:
        """Hand-offs grouped by look (colour × width step), one line item per group."""
        net = self.net
        m = len(net.edges)
        if not m:
            return
        on_chain = np.array([(net.names[u], net.names[v]) in self.chain_edges
                             for u, v in net.edges.tolist()]) if self.chain_edges \
            else np.zeros(m, bool)
        if by_campaign:
            look = np.where(net.edge_campaign >= 0,
                            np.minimum(net.edge_campaign, len(CAMPAIGN_COLOURS)), -1)
        else:
            look = np.where(self._red_edges(), -2, -1)
        look = np.where(on_chain, -3, look)
        widths = self.widths()
        if m > BIG_EDGES:  # thin by rank: most hand-offs hairlines, the busiest few wide
            ranks = np.argsort(np.argsort(widths, kind="stable"), kind="stable") / m
            level = np.searchsorted([0.7, 0.9, 0.98], ranks, side="right")
        else:
            level = np.clip(np.searchsorted(WIDTH_LEVELS, widths - 0.75), 0,
                            len(WIDTH_LEVELS) - 1)
        fade = float(np.clip(np.sqrt(600.0 / m), 0.3, 1.0))  # dense networks: fainter lines
        groups = []
        for kind in sorted(np.unique(look).tolist(), key=lambda k: (k == -3, k != -1, k)):
            colour, alpha = self._edge_look(kind, col, fade)
            q = blend(colour, alpha, col["background"])
            for lv in np.unique(level[look == kind]).tolist():
                sel = (look == kind) & (level == lv)
                groups.append((net.edges[sel], q, float(WIDTH_LEVELS[lv])
                               + (1.5 if kind == -3 else 0.0), kind == -3))
        self.edge_layer.set_groups(net.pos, groups)

    def _red_edges(self) -> np.ndarray:
        """Repeat hand-offs drawn red: all of them, or in a big network the ``MAX_RED`` that
        most tracebacks cross (the legend says from how many on), so red still stands out."""
        rep = self.net.edge_repeat
        self.red_from = 2
        if rep.sum() > MAX_RED:
            chains = np.sort(self.net.edge_chains[rep])[::-1]
            self.red_from = int(chains[MAX_RED - 1]) + 1 if chains[MAX_RED - 1] == \
                chains[min(MAX_RED, len(chains) - 1)] else int(chains[MAX_RED - 1])
            rep = rep & (self.net.edge_chains >= self.red_from)
        return rep

    @staticmethod
    def _edge_look(kind: int, col: dict, fade: float) -> tuple[QColor, int]:
        if kind == -3:
            return QColor(col["ink"]), 255
        if kind == -2:
            return QColor(REPEAT), int(230 * max(fade, 0.6))
        if kind == -1:
            return QColor(col["ink"]), int(90 * fade)
        return campaign_colour(kind), int(210 * max(fade, 0.5))

    def _brushes(self, by_campaign: bool) -> list:
        net = self.net
        kinds = np.where(net.foreign, 2, np.where(net.has_records, 0, 1))
        fills = [QColor(ROLE_COLOURS[k]) for k in ("transit", "no_records", "foreign")]
        best = net.node_campaign
        cache: dict[tuple[int, bool], object] = {}
        out = []
        for i in range(len(net.names)):
            key = (int(best[i]) if by_campaign else -10 - int(kinds[i]),
                   bool(net.appearances[i]))
            b = cache.get(key)
            if b is None:
                if by_campaign:
                    fill = campaign_colour(key[0]) if key[0] >= 0 else QColor(NO_CAMPAIGN)
                else:
                    fill = QColor(fills[int(kinds[i])])
                if not key[1]:
                    fill.setAlpha(90)
                b = cache[key] = pg.mkBrush(fill)
            out.append(b)
        return out

    def _pens(self, col: dict) -> list:
        repeat, plain = pg.mkPen(REPEAT, width=3.0), pg.mkPen(col["ink"], width=1)
        return [repeat if r else plain for r in self.net.repeat_upstream.tolist()]

    def _update_rings(self) -> None:
        net = self.net
        ringed = np.isin(net.names, self.choke_shown) if self.choke_shown \
            else np.zeros(len(net.names), bool)
        col = theme.plot_colours()
        self.ring_item.setData(pos=net.pos[ringed], size=self.sizes()[ringed] + CHOKE_RING_PX,
                               brush=pg.mkBrush(0, 0, 0, 0), pen=pg.mkPen(col["ink"], width=3.5))
        self._ringed = ringed

    def _draw_selection(self) -> None:
        """Rings on the selection and the search hits; the selection's hand-offs in colour."""
        net, col = self.net, theme.plot_colours()
        for item in getattr(self, "focus_edges", []):
            self.canvas.removeItem(item)
        self.focus_edges = []
        i = net.index(self.selected) if self.selected else None
        marks = [j for j in self.found if j != i]
        pos, size, pens = [], [], []
        hit_pen = pg.mkPen(QColor("#E69F00"), width=3)
        for j in marks:
            pos.append(net.pos[j])
            size.append(self.sizes()[j] + 8)
            pens.append(hit_pen)
        if i is not None:
            pos.append(net.pos[i])
            size.append(self.sizes()[i] + 10)
            pens.append(pg.mkPen(col["highlight"], width=4))
            touch = (net.edges[:, 0] == i) | (net.edges[:, 1] == i) if len(net.edges) \
                else np.zeros(0, bool)
            if touch.any():
                item = edge_item(net.pos, net.edges[touch], QColor(col["highlight"]), 2.5, z=3,
                                 antialias=True)
                self.canvas.addItem(item)
                self.focus_edges.append(item)
        self.marks_item.setData(pos=np.array(pos).reshape(-1, 2), size=size, pen=pens,
                                brush=pg.mkBrush(0, 0, 0, 0))
        self._neighbours = set()
        if i is not None and len(net.edges):
            e = net.edges
            self._neighbours = set(e[e[:, 0] == i, 1].tolist()) | set(e[e[:, 1] == i, 0].tolist())
        shown = len(net.names)
        total = len(self.full.names) if self.full is not None else shown
        self.count.setText(f"{shown} of {total} providers shown" if shown < total
                           else f"{shown} providers")

    # -- labels (after every pan and zoom) -------------------------------------------------
    def _place_labels(self) -> None:
        if self.net is None or not hasattr(self, "nodes_item"):
            return
        self._rescale_nodes()
        net, vb = self.net, self.canvas.vb
        w, h = vb.width(), vb.height()
        (x0, x1), (y0, y1) = vb.viewRange()
        sx, sy = w / max(x1 - x0, 1e-12), h / max(y1 - y0, 1e-12)
        xy = np.column_stack([(net.pos[:, 0] - x0) * sx, (y1 - net.pos[:, 1]) * sy])
        radius = self.sizes() / 2 + np.where(self._ringed, CHOKE_RING_PX / 2, 0.0)
        sel = net.index(self.selected) if self.selected else None
        prio = label_priority(net, [] if sel is None else [sel])
        prio[self.found] = np.maximum(prio[self.found], FOUND)
        near = list(self._neighbours)
        prio[near] = np.maximum(prio[near], FOUND / 2)  # the selection's neighbours next
        self.shown_labels = place_labels(xy, radius, self._text_size, prio, (w, h))
        self._place_arrows(xy, sx, sy)
        col = theme.plot_colours()
        halo = QColor(col["background"])
        halo.setAlpha(215)
        labels = [(float(net.pos[i, 0]), float(net.pos[i, 1]), float(radius[i] + 2),
                   self.label_text[i], int(self._bold[i] or prio[i] >= MUST))
                  for i in self.shown_labels.tolist()]
        badges = [(float(net.pos[i, 0]), float(net.pos[i, 1]), float(radius[i] + 3), text)
                  for text, i in self.badges if 0 <= xy[i, 0] <= w and 0 <= xy[i, 1] <= h]
        badges += [(float(net.pos[i, 0]), float(net.pos[i, 1]), float(radius[i] + 3),
                    f"+{int(self.hidden[i])}") for i in self.shown_labels.tolist()
                   if i < len(self.hidden) and self.hidden[i] and self._ringed[i] == 0]
        pad_x, pad_y = 300 / sx, 80 / sy
        bounds = QRectF(QPointF(x0 - pad_x, y0 - pad_y), QPointF(x1 + pad_x, y1 + pad_y))
        self.label_layer.set_content(labels, badges, bounds, col["ink"], halo)

    def _rescale_nodes(self) -> None:
        """Grow dense networks' nodes as the view zooms in (in steps, so panning is free)."""
        (x0, x1), _ = self.canvas.vb.viewRange()
        zoom = max(self._fit_width / max(x1 - x0, 1e-12), 1.0)
        base = self._base_scale()
        scale = float(min(1.0, base * 2 ** (np.floor(np.log2(zoom) * 2) / 4)))
        if abs(scale - self._scale) > 1e-6:
            self._scale = scale
            self.nodes_item.setSize(self.sizes())
            self._update_rings()
            self._draw_selection()

    def _place_arrows(self, xy: np.ndarray, sx: float, sy: float) -> None:
        """Arrowheads on the hand-offs in view, when few enough to read."""
        e = self.net.edges
        w, h = self.canvas.vb.width(), self.canvas.vb.height()
        if not len(e):
            self._arrows.setData(pos=np.zeros((0, 2)))
            return
        a, b = xy[e[:, 0]], xy[e[:, 1]]
        mid = a + (b - a) * 0.55
        inside = np.flatnonzero((mid[:, 0] >= 0) & (mid[:, 0] <= w) & (mid[:, 1] >= 0)
                                & (mid[:, 1] <= h))
        if len(inside) > MAX_ARROWS:
            self._arrows.setData(pos=np.zeros((0, 2)))
            return
        d = b[inside] - a[inside]
        step = np.round(np.degrees(np.arctan2(-d[:, 1], d[:, 0])) / (360 / ARROW_STEPS))
        p = self.net.pos
        data_mid = p[e[inside, 0]] + (p[e[inside, 1]] - p[e[inside, 0]]) * 0.55
        self._arrows.setData(pos=data_mid, size=13,
                             symbol=[self._symbols[int(k) % ARROW_STEPS] for k in step.tolist()])

    # -- interaction -----------------------------------------------------------------------
    def _on_click(self, item, points, ev=None) -> None:
        if len(points):
            self.sig_provider_clicked.emit(self.net.names[int(points[0].data())])

    def _on_scene_click(self, ev) -> None:
        i = self.node_at(ev.scenePos())
        if i is None:
            return
        name = self.net.names[i]
        if ev.double() and ev.button() == Qt.MouseButton.LeftButton:
            self.expand(name)
        elif ev.button() == Qt.MouseButton.RightButton:
            self.sig_provider_clicked.emit(name)
            self.node_menu(name).popup(ev.screenPos().toPoint())

    def node_menu(self, name: str) -> QMenu:
        menu = QMenu(self)
        menu.addAction(f"Expand neighbours of {name}", lambda: self.expand(name))
        menu.addAction("Collapse its neighbours", lambda: self.collapse(name))
        menu.addAction("Show only its neighbours (1 hop)",
                       lambda: self.set_filter(NetworkFilter(self.filter.min_appearances,
                                                             name, 1)))
        menu.addAction("Show only its neighbours (2 hops)",
                       lambda: self.set_filter(NetworkFilter(self.filter.min_appearances,
                                                             name, 2)))
        menu.addSeparator()
        menu.addAction("Show all providers", lambda: self.set_filter(NetworkFilter()))
        return menu

    def node_at(self, scene_pos: QPointF) -> int | None:
        if self.net is None or not hasattr(self, "nodes_item") or not len(self.net.names):
            return None
        p = self.canvas.vb.mapSceneToView(scene_pos)
        px, py = self.canvas.pixel()
        d = np.hypot((self.net.pos[:, 0] - p.x()) / px, (self.net.pos[:, 1] - p.y()) / py)
        i = int(np.argmin(d))
        return i if d[i] <= self.sizes()[i] / 2 + 3 else None

    def _on_mouse_moved(self, args) -> None:
        i = self.node_at(args[0])
        if i is None:
            QToolTip.hideText()
            return
        where = self.canvas.mapToGlobal(self.canvas.mapFromScene(args[0]))
        QToolTip.showText(where, self.net.describe(i), self.canvas)

    def label_names(self) -> list[str]:
        """The names drawn now (after the last pan or zoom)."""
        return [self.net.names[i] for i in self.shown_labels.tolist()] if self.net else []

    def label_is_bold(self, i: int) -> bool:
        return bool(self._bold[i])
