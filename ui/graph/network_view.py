"""Network view: every provider met in the case; size by appearances, width by calls."""
from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QToolTip, QVBoxLayout, QWidget

from workbench.present.palette import ROLE_COLOURS
from workbench.trace.network import ProviderNetwork

from .. import theme
from .canvas import GraphCanvas

REPEAT = QColor("#d62728")
MIN_PX, MAX_PX = 14.0, 46.0
MAX_ARROWS = 400  # beyond this, arrowheads cost more than they tell


class NetworkView(QWidget):
    sig_provider_clicked = Signal(str)
    sig_layout_changed = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layout_kind = QComboBox(toolTip="How to place the providers: layered puts origins "
                                     "left and terminating providers right")
        self.layout_kind.addItem("Layered (calls flow left → right)", "layered")
        self.layout_kind.addItem("Spring (clusters)", "spring")
        self.info = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("Layout:"))
        top.addWidget(self.layout_kind)
        top.addWidget(self.info, 1)
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
        self.arrows: list = []
        self.layout_kind.currentIndexChanged.connect(
            lambda *_: self.sig_layout_changed.emit(self.layout_kind.currentData()))
        self.canvas.sig_relabel.connect(self._place_labels)
        self.canvas.sig_palette_changed.connect(lambda: self.net is not None and self._draw())
        self._hover = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=20,
                                     slot=self._on_mouse_moved)

    def show_network(self, net: ProviderNetwork, chain_edges: set[tuple[str, str]],
                     fit: bool = True) -> None:
        self.net, self.chain_edges = net, chain_edges
        self._draw()
        if fit:
            self.fit()

    def set_selected(self, name: str) -> None:
        self.selected = name
        if self.net is not None:
            self._draw()

    def fit(self) -> None:
        if self.net is not None and len(self.net.names):
            self.canvas.vb.setRange(xRange=(-0.12, 1.12), yRange=(-0.15, 1.12), padding=0)

    # -- drawing ------------------------------------------------------------------------
    def sizes(self) -> np.ndarray:
        a = self.net.appearances.astype(float)
        top = max(a.max(initial=0.0), 1.0)
        return MIN_PX + (MAX_PX - MIN_PX) * np.sqrt(a / top)

    def widths(self) -> np.ndarray:
        calls = self.net.edge_calls.astype(float) + self.net.edge_chains * 50.0
        top = max(calls.max(initial=0.0), 1.0)
        return 1.0 + 7.0 * np.log1p(calls) / np.log1p(top)

    def _draw(self) -> None:
        net, c = self.net, self.canvas
        c.clear_items()
        col = theme.plot_colours()
        pos = net.pos
        if len(net.edges):
            widths, repeat = self.widths(), net.edge_repeat
            pens = []
            for k, (u, v) in enumerate(net.edges):
                on_chain = (net.names[u], net.names[v]) in self.chain_edges
                colour = QColor(col["ink"]) if on_chain else QColor(
                    REPEAT if repeat[k] else col["faint"])
                pens.append((colour.red(), colour.green(), colour.blue(),
                             255 if on_chain or repeat[k] else 140,
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
        for i, name in enumerate(net.names):
            kind = "foreign" if net.foreign[i] else ("transit" if net.has_records[i]
                                                     else "no_records")
            fill = QColor(ROLE_COLOURS[kind])
            if not net.appearances[i]:
                fill.setAlpha(90)
            brushes.append(pg.mkBrush(fill))
            if name == self.selected:
                pens.append(pg.mkPen(col["highlight"], width=4))
            elif net.repeat_upstream[i]:
                pens.append(pg.mkPen(REPEAT, width=3.5))
            else:
                pens.append(pg.mkPen(col["ink"], width=1))
        self.nodes_item = pg.ScatterPlotItem(pos=pos, size=self.sizes(), brush=brushes, pen=pens,
                                             data=list(range(len(net.names))))
        self.nodes_item.sigClicked.connect(self._on_click)
        c.addItem(self.nodes_item)
        self.labels = []
        halo = QColor(col["background"])
        halo.setAlpha(200)  # names stay readable where edges cross them
        for i, name in enumerate(net.names):
            weight = "bold" if name == self.selected else "normal"
            t = pg.TextItem(html=f"<span style='color:{col['ink'].name()}; "
                            f"font-weight:{weight}'>{html.escape(name)}</span>",
                            anchor=(0.5, 0.0), fill=pg.mkBrush(halo))
            t.setZValue(10)
            c.addItem(t)
            self.labels.append(t)
        n_rep = int(net.repeat_upstream.sum())
        self.info.setText(f"{len(net.names)} providers, {len(net.edges)} hand-offs"
                          + (f", {n_rep} repeat upstream(s)" if n_rep else ""))
        self.legend.setText(
            "<small>node size: tracebacks/traces the provider appears in &nbsp; edge width: "
            "calls across the hand-off (CDRs) &nbsp; "
            f"<span style='color:{REPEAT.name()}'>red ring / edge</span>: repeat upstream "
            "(named in ≥2 tracebacks) &nbsp; <b>solid ink edges</b>: the current trace &nbsp; "
            f"<span style='color:{ROLE_COLOURS['transit']}'>●</span> CDRs in case &nbsp; "
            f"<span style='color:{ROLE_COLOURS['no_records']}'>●</span> no CDRs &nbsp; "
            f"<span style='color:{ROLE_COLOURS['foreign']}'>●</span> foreign</small>")
        self._place_labels()

    def _place_labels(self) -> None:
        if self.net is None or not self.labels:
            return
        _, py = self.canvas.pixel()
        sizes = self.sizes()
        for t, (x, y), s in zip(self.labels, self.net.pos, sizes):
            t.setPos(float(x), float(y) - (s / 2 + 2) * py)
        px, _ = self.canvas.pixel()
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
