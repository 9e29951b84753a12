"""Chain view: the traced chain left to right, from origin to terminating provider."""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from workbench.present.chain_layout import ARROW_LEGEND, ChainLayout
from workbench.present.palette import ROLE_COLOURS, ROLE_LABELS

from .. import theme
from .canvas import GraphCanvas, text_item

NODE_PX = 34
LABEL_GAP_PX = NODE_PX // 2 + 6
NO_CASE = ("No case open.<br>Open one with <b>File ▸ Open case…</b> (Ctrl+O), build one from CDR "
           "files with <b>File ▸ New case from files…</b> (Ctrl+N), drop a case folder on the "
           "window, or try <b>File ▸ Open the sample case</b>.")


class ChainView(QWidget):
    """The chain; with focus, Left/Right select the hop drawn left/right of the selected one
    and Tab/Shift+Tab the next hop upstream/downstream (``sig_step``)."""

    sig_hop_clicked = Signal(int)
    sig_step = Signal(int)  # +1: one hop upstream (towards the origin), -1: downstream

    _KEYS = {Qt.Key.Key_Left: 1, Qt.Key.Key_Right: -1}  # the origin is drawn left

    def __init__(self, parent=None):
        super().__init__(parent)
        self.header = QLabel(wordWrap=True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.canvas = GraphCanvas()
        self.legend = QLabel(wordWrap=True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.header)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.legend)
        self.layout_: ChainLayout | None = None
        self.hidden_next = False
        self.selected = -1
        self.node_labels: list[pg.TextItem] = []
        self.edge_labels: list[tuple[pg.TextItem, int]] = []
        self.arrows: list[tuple[pg.ArrowItem, int]] = []
        self.canvas.sig_relabel.connect(self._place_labels)
        self.canvas.sig_palette_changed.connect(self._on_palette)
        self.stepped = False  # whether the last sig_step moved the selection
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.canvas.installEventFilter(self)  # the canvas has focus after a click on it
        self.show_empty(NO_CASE)

    # -- content ------------------------------------------------------------------------
    def show_empty(self, message: str | None = None) -> None:
        self.layout_ = None
        self._message = message
        self.canvas.clear_items()
        self.node_labels, self.edge_labels, self.arrows = [], [], []
        self.header.setText("<b>No trace yet</b>")
        self.legend.setText("")
        msg = message or ("Trace a call to see its chain here:<br>select a call and press "
                          "<b>Ctrl+T</b>, double-click a traceback record, or use "
                          "<b>Trace ▸ Trace a call by number and time…</b> (Ctrl+L).")
        ink = theme.plot_colours()["ink"].name()
        t = text_item(f"<div style='color:{ink}; text-align:center'>{msg}</div>",
                      anchor=(0.5, 0.5), width=420)
        self.canvas.addItem(t)
        t.setPos(0, 0)
        self.canvas.vb.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)

    def show_chain(self, layout: ChainLayout, header_html: str, hidden_next: bool = False) -> None:
        self.layout_, self.hidden_next = layout, hidden_next
        self.header.setText(header_html)
        self._draw()
        self.fit()

    def _on_palette(self) -> None:
        if self.layout_ is not None:
            self._draw()
        else:
            self.show_empty(self._message)

    def set_selected(self, hop: int) -> None:
        self.selected = hop
        if self.layout_ is not None and getattr(self, "nodes_item", None) is not None:
            self.nodes_item.setPen(self._pens(theme.plot_colours()))  # no full redraw

    def _pens(self, col) -> list:
        pens = []
        for n in self.layout_.nodes:
            if n.hop is not None and n.hop == self.selected:
                pens.append(pg.mkPen(col["highlight"], width=4))
            else:
                style = Qt.PenStyle.DashLine if n.faint else Qt.PenStyle.SolidLine
                pens.append(pg.mkPen(col["faint"] if n.faint else col["ink"], width=1.5,
                                     style=style))
        return pens

    def fit(self) -> None:
        if self.layout_ is None or not self.layout_.nodes:
            return
        pos = self.layout_.pos
        x0 = pos[:, 0].min() - (1.0 if self.hidden_next else 0.0)
        x1 = pos[:, 0].max()
        y1 = max(pos[:, 1].max(), 0.0)
        pad = 0.55
        self.canvas.vb.setRange(xRange=(x0 - pad, x1 + pad), yRange=(-1.0, y1 + 0.8), padding=0)

    # -- drawing ------------------------------------------------------------------------
    def _draw(self) -> None:
        lay = self.layout_
        c = self.canvas
        c.clear_items()
        self.node_labels, self.edge_labels, self.arrows = [], [], []
        self._ghost_label = None
        col = theme.plot_colours()
        pos = lay.pos
        main = [i for i, e in enumerate(lay.edges) if not e.faint]
        faint = [i for i, e in enumerate(lay.edges) if e.faint]
        for group, style in ((faint, Qt.PenStyle.DashLine), (main, Qt.PenStyle.SolidLine)):
            if not group:
                continue
            adj = np.array([(lay.edges[i].src, lay.edges[i].dst) for i in group])
            pen = pg.mkPen(col["faint"] if style == Qt.PenStyle.DashLine else col["ink"],
                           width=1.5 if style == Qt.PenStyle.DashLine else 2.5, style=style)
            g = pg.GraphItem()
            g.setData(pos=pos, adj=adj, pen=pen, size=0, symbol="o")
            c.addItem(g)
        for i in main:
            arrow = pg.ArrowItem(angle=180, headLen=12, tipAngle=35, pen=pg.mkPen(col["ink"]),
                                 brush=col["ink"])
            c.addItem(arrow)
            self.arrows.append((arrow, lay.edges[i].dst))
        if self.hidden_next:
            self._draw_hidden_next(col)
        brushes, sizes = [], []
        for n in lay.nodes:
            fill = theme.role_colour(n.kind)
            if n.faint:
                fill.setAlpha(70)
            brushes.append(pg.mkBrush(fill))
            sizes.append(NODE_PX if not n.faint else NODE_PX * 0.7)
        pens = self._pens(col)
        nodes = pg.ScatterPlotItem(pos=pos, size=sizes, brush=brushes, pen=pens, symbol="o",
                                   data=list(range(len(lay.nodes))), hoverable=True,
                                   tip=lambda x, y, data: self._tip(data))
        nodes.sigClicked.connect(self._on_click)
        c.addItem(nodes)
        self.nodes_item = nodes
        for n in lay.nodes:
            t = text_item(self._node_html(n, col), anchor=(0.5, 0.0))
            c.addItem(t)
            self.node_labels.append(t)
        for k, e in enumerate(lay.edges):
            if not e.label:
                continue
            colour = col["faint"] if e.faint else col["ink"]
            t = text_item(f"<div style='color:{colour.name()}; text-align:center'>"
                          f"{html.escape(e.label)}</div>", anchor=(0.5, 1.0))
            c.addItem(t)
            self.edge_labels.append((t, k))
        self.legend.setText(self._legend_html())
        self._place_labels()

    def _draw_hidden_next(self, col) -> None:
        last = min(range(len(self.layout_.nodes)), key=lambda i: self.layout_.nodes[i].x)
        x = self.layout_.nodes[last].x - 1.0
        ghost = pg.ScatterPlotItem(pos=[(x, 0.0)], size=NODE_PX, symbol="o",
                                   brush=pg.mkBrush(0, 0, 0, 0),
                                   pen=pg.mkPen(col["faint"], width=2, style=Qt.PenStyle.DotLine))
        self.canvas.addItem(ghost)
        t = text_item(f"<div style='color:{col['faint'].name()}; text-align:center'>?<br>"
                      "next hop hidden<br>(F8 reveals it)</div>", anchor=(0.5, 0.0))
        self.canvas.addItem(t)
        t.setPos(x, 0)
        self._ghost_label = (t, x)

    def _node_html(self, n, col) -> str:
        ink = (col["faint"] if n.faint else col["ink"]).name()
        swatch = ROLE_COLOURS.get(n.kind, ROLE_COLOURS["unknown"])
        sub = "<br>".join(html.escape(s) for s in n.sub.split("\n"))
        mark = "" if n.faint else f"<span style='color:{swatch}'>■</span> "
        return (f"<div style='color:{ink}; text-align:center'><b>{html.escape(n.label)}</b><br>"
                f"<span style='font-size:small'>{mark}{sub}</span></div>")

    def _legend_html(self) -> str:
        kinds = []
        for n in self.layout_.nodes:
            if not n.faint and n.hop is not None and n.kind not in kinds:
                kinds.append(n.kind)
        parts = [f"<span style='color:{ROLE_COLOURS[k]}'>●</span>&nbsp;{ROLE_LABELS.get(k, k)}"
                 for k in kinds]
        if any(n.hop is None and not n.faint and n.sub.startswith("named again")
               for n in self.layout_.nodes):
            parts.append(f"<span style='color:{ROLE_COLOURS['unknown']}'>●</span>&nbsp;named "
                         "again (loop)")
        if any(n.faint for n in self.layout_.nodes):
            parts.append("dashed: a rival record names another upstream")
        parts.append(ARROW_LEGEND)
        return "<small>" + " &nbsp;&nbsp; ".join(parts) + "</small>"

    def _tip(self, i: int) -> str:
        n = self.layout_.nodes[int(i)]
        return f"{n.label}\n{n.sub}" + ("" if n.hop is None else "\nclick for hop details")

    def _on_click(self, item, points, ev=None) -> None:
        if len(points):
            n = self.layout_.nodes[int(points[0].data())]
            if n.hop is not None:
                self.sig_hop_clicked.emit(n.hop)

    # -- keyboard -----------------------------------------------------------------------
    def has_hops(self) -> bool:
        return self.layout_ is not None and any(n.hop is not None for n in self.layout_.nodes)

    def step(self, delta: int) -> bool:
        """Ask for the hop ``delta`` places upstream; True if the selection moved."""
        if not self.has_hops():
            return False
        self.stepped = False
        self.sig_step.emit(delta)
        return self.stepped

    def keyPressEvent(self, ev) -> None:  # noqa: N802 - Qt API
        if ev.key() in self._KEYS and self.has_hops():
            self.step(self._KEYS[ev.key()])
            ev.accept()
            return
        super().keyPressEvent(ev)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt API
        """Tab steps upstream, Shift+Tab downstream; past either end focus moves on."""
        return self.step(1 if next else -1) or super().focusNextPrevChild(next)

    def eventFilter(self, obj, ev) -> bool:  # noqa: N802 - Qt API
        if obj is self.canvas and ev.type() == QEvent.Type.KeyPress and self.has_hops():
            key = ev.key()
            if key in self._KEYS:
                self.step(self._KEYS[key])
                return True
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                return self.step(-1 if key == Qt.Key.Key_Backtab else 1)
        return super().eventFilter(obj, ev)

    # -- labels: keep pixel offsets and widths that never overlap --------------------------
    def _place_labels(self) -> None:
        if self.layout_ is None:
            return
        px, py = self.canvas.pixel()
        spacing = max(1.0 / px, 40.0)  # pixels between neighbouring columns
        width = max(spacing - 14.0, 60.0)
        for t, n in zip(self.node_labels, self.layout_.nodes):
            t.setTextWidth(width if not n.faint else width * 0.9)
            gap = LABEL_GAP_PX * (0.7 if n.faint else 1.0)
            t.setPos(n.x, n.y - gap * py)
        for t, k in self.edge_labels:
            e = self.layout_.edges[k]
            a, b = self.layout_.nodes[e.src], self.layout_.nodes[e.dst]
            t.setTextWidth(max(spacing - NODE_PX - 10.0, 50.0))
            t.setPos((a.x + b.x) / 2, (a.y + b.y) / 2 + 4 * py)
        for arrow, dst in self.arrows:
            d = self.layout_.nodes[dst]
            arrow.setPos(d.x - (NODE_PX / 2 + 1) * px, d.y)
        ghost = getattr(self, "_ghost_label", None)
        if self.hidden_next and ghost:
            t, x = ghost
            t.setTextWidth(width)
            t.setPos(x, -LABEL_GAP_PX * py)
