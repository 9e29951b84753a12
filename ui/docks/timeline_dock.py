"""Timeline: each hop's start on a UTC axis, as its file wrote it and skew-corrected."""
from __future__ import annotations

import datetime as _dt
import html

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QVBoxLayout, QWidget

from workbench.columns.times import NAT
from workbench.present.chain_layout import signed
from workbench.present.palette import hop_kind

from .. import theme

MIN_SPAN_S = 4.0
AXIS_LABEL = "Start time (UTC) — ● skew-corrected, ○ as the file's clock says"
PLACEHOLDER = ("No trace yet. After a trace, each hop's start time appears here: "
               "how the call crossed the network.")


class UtcAxis(pg.AxisItem):
    """Clock times in UTC (HH:MM:SS, with tenths when zoomed in) instead of bare seconds."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        out = []
        for v in values:
            try:
                t = _dt.datetime.fromtimestamp(v, _dt.timezone.utc)
            except (OverflowError, OSError, ValueError):
                out.append("")
                continue
            if spacing < 1:
                out.append(t.strftime("%H:%M:%S.") + f"{t.microsecond // 100000}")
            elif spacing < 86400:
                out.append(t.strftime("%H:%M:%S"))
            else:
                out.append(t.strftime("%Y-%m-%d"))
        return out


class TimelinePlot(pg.PlotWidget):
    sig_palette_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent, axisItems={"bottom": UtcAxis(orientation="bottom")})
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=False, alpha=0.25)
        item.setLabel("bottom", AXIS_LABEL)
        item.getAxis("bottom").enableAutoSIPrefix(False)
        self.setAntialiasing(True)
        theme.style_plot(self)

    def changeEvent(self, ev) -> None:  # noqa: N802 - Qt API
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme.style_plot(self)
            self.sig_palette_changed.emit()
        super().changeEvent(ev)


class TimelineDock(QDockWidget):
    def __init__(self, session, parent=None):
        super().__init__("Timeline", parent)
        self.setObjectName("dock.timeline")
        self.session = session
        self.plot = TimelinePlot()
        self.plot.sig_palette_changed.connect(self.redraw)
        self.note = QLabel(wordWrap=True)
        self.note.setTextFormat(Qt.TextFormat.RichText)
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)
        self.setWidget(w)
        session.sig_trace_changed.connect(lambda *_: self.redraw())
        session.sig_revealed_changed.connect(lambda *_: self.redraw())
        session.sig_hop_selected.connect(lambda *_: self.redraw())
        self.redraw()

    def redraw(self) -> None:
        s = self.session
        p = self.plot.getPlotItem()
        p.clear()
        hops = s.shown_hops()
        r = s.result
        left = p.getAxis("left")
        bottom = p.getAxis("bottom")
        if r is None or not hops:
            self._empty(p)
            return
        bottom.setStyle(showValues=True)
        p.showAxis("bottom")
        p.showAxis("left")
        p.showGrid(x=True, y=False, alpha=0.25)
        p.setLabel("bottom", AXIS_LABEL)
        col = theme.plot_colours()
        n = len(hops)
        call_x = r.at_us / 1e6
        p.addItem(pg.InfiniteLine(pos=call_x, angle=90, pen=pg.mkPen(
            col["faint"], width=1, style=Qt.PenStyle.DashLine)))
        points = []  # (hop index, y, raw x, corrected x)
        for i, hop in enumerate(hops):
            if hop.start_us != NAT:
                points.append((i, n - 1 - i, hop.start_us / 1e6, hop.corrected_us / 1e6))
        xs = [call_x] + [c for *_, c in points]
        lo, hi = min(xs), max(xs)
        span = max(hi - lo, MIN_SPAN_S)
        x0, x1 = lo - span * 0.15, hi + span * 0.3
        for i, y, raw_x, cor_x in points:
            self._hop(p, s, r, hops[i], i, y, raw_x, cor_x, (x0, x1), col)
        ticks = [(n - 1 - i, h.provider) for i, h in enumerate(hops)]  # hop 1 on top
        left.setTicks([ticks])
        longest = max((self.plot.fontMetrics().horizontalAdvance(t) for _, t in ticks), default=60)
        left.setWidth(min(longest + 16, 260))
        p.setXRange(x0, x1, padding=0)
        p.setYRange(-0.6, n - 0.4, padding=0)
        skewed = [h for h in hops if h.skew_s and abs(h.skew_s) >= 1]
        extra = "; ".join(f"{html.escape(h.provider)}'s clock {h.skew_s:+.1f} s" for h in skewed)
        day = _dt.datetime.fromtimestamp(call_x, _dt.timezone.utc).strftime("%Y-%m-%d")
        self.note.setText(f"<small>{day} UTC; dashed line: the call time; click a point for "
                          "its hop" + (f"; corrected for {extra}" if extra else "") + "</small>")

    def _empty(self, p: pg.PlotItem) -> None:
        """No trace: no made-up clock on the axes, just what will appear here."""
        self.note.setText("")
        p.getAxis("left").setTicks([[]])
        p.getAxis("bottom").setStyle(showValues=False)
        p.showGrid(x=False, y=False)
        p.setLabel("bottom", "")  # (shows the axis: hidden after)
        p.hideAxis("bottom")  # not even tick marks: there is no time to mark
        p.hideAxis("left")
        p.setXRange(0, 1, padding=0)
        p.setYRange(0, 1, padding=0)
        col = theme.plot_colours()
        text = pg.TextItem(html=f"<div style='color:{col['faint'].name()}; text-align:center'>"
                           f"{html.escape(PLACEHOLDER)}</div>", anchor=(0.5, 0.5))
        text.setTextWidth(max(self.plot.width() * 0.8, 200))
        text.setPos(0.5, 0.5)
        p.addItem(text)

    def _hop(self, p, s, r, hop, i, y, raw_x, cor_x, xr, col) -> None:
        colour = theme.role_colour(hop_kind(hop, r.outcome, i == len(r.hops) - 1))
        selected = i == s.hop
        x0, x1 = xr
        raw_in = x0 <= raw_x <= x1
        shown_raw = min(max(raw_x, x0), x1)
        if abs(raw_x - cor_x) > 1e-3:
            p.addItem(pg.PlotDataItem([shown_raw, cor_x], [y, y],
                                      pen=pg.mkPen(col["faint"], width=1)))
            if raw_in:
                raw = pg.ScatterPlotItem([raw_x], [y], size=11, brush=pg.mkBrush(0, 0, 0, 0),
                                         pen=pg.mkPen(colour, width=2))
                raw.sigClicked.connect(lambda *_, k=i: s.select_hop(k))
                p.addItem(raw)
            else:  # far off: say where the file's clock put it instead of zooming out
                side = "→" if raw_x > x1 else "←"
                t = pg.TextItem(html=f"<span style='color:{col['faint'].name()}'>○ file clock "
                                f"{raw_x - cor_x:+.1f} s {side}</span>",
                                anchor=(1.0, 0.5) if raw_x > x1 else (0.0, 0.5))
                t.setPos(shown_raw, y)
                p.addItem(t)
        cor = pg.ScatterPlotItem([cor_x], [y], size=16 if selected else 12,
                                 brush=pg.mkBrush(colour),
                                 pen=pg.mkPen(col["highlight"] if selected else col["ink"],
                                              width=3 if selected else 1))
        cor.sigClicked.connect(lambda *_, k=i: s.select_hop(k))
        p.addItem(cor)
        off = "" if hop.offset_s is None else f"{signed(hop.offset_s)} s"
        label = pg.TextItem(html=f"<span style='color:{col['ink'].name()}'>{off}</span>",
                            anchor=(1.25, 0.5) if raw_x >= cor_x else (-0.25, 0.5))  # not on ○
        label.setPos(cor_x, y)
        p.addItem(label)
