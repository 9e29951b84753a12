"""Traffic charts dock: calls per minute of the analysed provider's top ingresses, and the
duration histogram of the ingress selected in the analysis (pyqtgraph; the counts come
from the core's chart helpers over the analysis, so nothing here reads CDRs).

A dock of its own, below the analysis table, so that on a 1000-pixel screen the table, the
charts and the calls table are all in sight at once.

Each chart has a word-wrapped heading above it, not a title inside the plot: ingress names
are long, and a heading wraps where a plot title would be cut off. The heading of the
calls-per-minute chart is its legend.
"""
from __future__ import annotations

import datetime as _dt
import html
import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QSplitter, QVBoxLayout, QWidget

from workbench.analytics.traffic import (
    SHORT_S,
    IngressStats,
    TrafficAnalysis,
    calls_per_minute,
    duration_histogram,
)

from .. import theme

if TYPE_CHECKING:
    from ..session import CaseSession

#: Line colours of the top ingresses (rank 1 first), readable on light and dark.
TOP_COLOURS = ("#d62728", "#1f77b4", "#2ca02c")
MAX_POINTS = 360  # minutes are averaged into wider steps past this many points
HIST_STEP_S, HIST_MAX_S = 3, 180  # duration bins; longer calls share one grey bar


class UtcMinuteAxis(pg.AxisItem):
    """UTC clock ticks; the date joins the time once the view spans more than a day."""

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802 - pyqtgraph API
                    spacing: float) -> list[str]:
        lo, hi = (min(values), max(values)) if values else (0, 0)
        fmt = ("%Y-%m-%d" if spacing >= 86400 else "%m-%d %H:%M" if hi - lo >= 86400
               else "%H:%M")
        out = []
        for v in values:
            try:
                out.append(_dt.datetime.fromtimestamp(v, _dt.timezone.utc).strftime(fmt))
            except (OverflowError, OSError, ValueError):
                out.append("")
        return out


class ChartPlot(pg.PlotWidget):
    """A plot with labelled axes in the palette's colours, repainted on a palette change."""

    sig_palette_changed = Signal()

    def __init__(self, bottom: str, left: str, axis: pg.AxisItem | None = None):
        super().__init__(axisItems={"bottom": axis} if axis is not None else None)
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setLabel("bottom", bottom)
        item.setLabel("left", left)
        for name in ("bottom", "left"):
            item.getAxis(name).enableAutoSIPrefix(False)
        self.setMinimumSize(160, 130)
        theme.style_plot(self)

    def changeEvent(self, ev: QEvent) -> None:  # noqa: N802 - Qt API
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme.style_plot(self)
            self.sig_palette_changed.emit()
        super().changeEvent(ev)


def label(s: IngressStats) -> str:
    """An ingress as the charts name it: its id and who it maps to."""
    ingress = s.ingress or "(no ingress)"
    return f"{ingress} ({s.name})" if s.name else ingress


def per_minute_steps(x_us: np.ndarray, counts: np.ndarray,
                     max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray, int]:
    """(step start µs, mean calls per minute, minutes per step): a month of minutes would
    draw as a solid band, so minutes are averaged into steps of whole minutes."""
    step = max(1, math.ceil(len(counts) / max_points))
    if step == 1:
        return x_us, counts.astype(float), 1
    n = math.ceil(len(counts) / step) * step
    padded = np.zeros(n, float)
    padded[:len(counts)] = counts
    sums = padded.reshape(-1, step).sum(axis=1)
    widths = np.full(len(sums), step, float)
    widths[-1] = len(counts) - step * (len(sums) - 1)  # the last step may be short
    return x_us[::step], sums / widths, step


class TrafficChartsWidget(QWidget):
    """Calls per minute of the top three ingresses, beside the selected one's durations."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.analysis: TrafficAnalysis | None = None
        self.ingress: IngressStats | None = None
        self.rate_head, self.hist_head = _heading(), _heading()
        self.rate = ChartPlot("Time (UTC)", "Calls/min", UtcMinuteAxis(orientation="bottom"))
        self.hist = ChartPlot("Call duration (s)", "Calls")
        self.rate.sig_palette_changed.connect(self.redraw)
        self.hist.sig_palette_changed.connect(self.redraw)
        split = QSplitter(Qt.Orientation.Horizontal)
        for head, plot in ((self.rate_head, self.rate), (self.hist_head, self.hist)):
            box = QWidget()
            lay = QVBoxLayout(box)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.setSpacing(1)
            lay.addWidget(head)
            lay.addWidget(plot, 1)
            split.addWidget(box)
        split.setSizes([560, 400])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.addWidget(split)
        self.lines: list[pg.PlotDataItem] = []
        self.hist_total = 0  # calls the histogram's bars hold
        self.redraw()

    def show_analysis(self, analysis: TrafficAnalysis | None) -> None:
        self.analysis = analysis
        self.ingress = analysis.ingresses[0] if analysis and analysis.ingresses else None
        self.redraw()

    def show_ingress(self, ingress: IngressStats | None) -> None:
        self.ingress = ingress
        self._draw_histogram()

    def redraw(self) -> None:
        self._draw_rate()
        self._draw_histogram()

    def _draw_rate(self) -> None:
        p = self.rate.getPlotItem()
        p.clear()
        self.lines = []
        a = self.analysis
        if a is None or not a.ingresses:
            self.rate_head.setText("<b>Calls per minute</b> of the top three ingresses "
                                   "appear here after an analysis.")
            return
        keys, names, step = [], [], 1
        for i, s in enumerate(a.ingresses[:len(TOP_COLOURS)]):
            x_us, counts = calls_per_minute(a, a.provider, s.ingress)
            if not len(x_us):
                continue
            x, y, step = per_minute_steps(x_us, counts)
            # steps drawn as steps: x holds one more edge than there are values
            edges = np.append(x, x[-1] + step * 60_000_000) / 1e6
            line = pg.PlotDataItem(edges, y, stepMode="center",
                                   pen=pg.mkPen(TOP_COLOURS[i], width=2.2 if i == 0 else 1.5))
            p.addItem(line)
            self.lines.append(line)
            keys.append(f"<span style='color:{TOP_COLOURS[i]}'>■</span>&nbsp;#{i + 1}&nbsp;"
                        f"{html.escape(s.ingress or '(no ingress)')}")
            names.append(f"#{i + 1} {label(s)}")
        mean = f" ({step}-min means)" if step > 1 else ""
        self.rate_head.setText(f"<b>Calls per minute</b>{mean}: " + " &nbsp;".join(keys))
        self.rate_head.setToolTip("\n".join(names))
        p.enableAutoRange()

    def _draw_histogram(self) -> None:
        p = self.hist.getPlotItem()
        p.clear()
        self.hist_total = 0
        a, s = self.analysis, self.ingress
        if a is None or s is None:
            self.hist_head.setText("<b>Call durations</b> of the selected ingress appear here.")
            return
        col = theme.plot_colours()
        edges, counts = duration_histogram(a, a.provider, s.ingress,
                                           [float(x) for x in range(0, HIST_MAX_S + 1,
                                                                    HIST_STEP_S)])
        _, longer = duration_histogram(a, a.provider, s.ingress, [HIST_MAX_S, 1e12])
        self.hist_total = int(counts.sum() + longer.sum())
        bars = pg.mkPen(col["background"], width=0.5)
        p.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts, pen=bars,
                                  brush=pg.mkBrush(TOP_COLOURS[1])))
        tail = ""
        if longer[0]:
            p.addItem(pg.BarGraphItem(x0=[HIST_MAX_S + HIST_STEP_S],
                                      x1=[HIST_MAX_S + 4 * HIST_STEP_S], height=[longer[0]],
                                      pen=bars, brush=pg.mkBrush(col["faint"])))
            tail = f", {int(longer[0]):,} over {HIST_MAX_S} s (grey bar)"
        p.addItem(pg.InfiniteLine(pos=SHORT_S, angle=90, pen=pg.mkPen(
            col["ink"], style=Qt.PenStyle.DashLine), label=f"{SHORT_S:g} s",
            labelOpts={"position": 0.9, "color": col["ink"], "anchors": [(-0.1, 0), (-0.1, 0)]}))
        if not self.hist_total:
            tail = ", none with a recorded duration"
        self.hist_head.setText(f"<b>Durations</b>, {html.escape(s.ingress or '(no ingress)')}"
                               f": {s.calls:,} calls{tail}")
        self.hist_head.setToolTip(f"{label(s)}: durations of its calls in {HIST_STEP_S}-second "
                                  f"bins; the dashed line marks {SHORT_S:g} s")
        p.enableAutoRange()
        if not self.hist_total:
            p.setYRange(0, 1)


class AnalysisChartsDock(QDockWidget):
    """The charts of the session's current analysis; shown in front when one arrives."""

    def __init__(self, session: CaseSession, parent: QWidget | None = None):
        super().__init__("Traffic charts", parent)
        self.setObjectName("dock.analysis_charts")
        self.session = session
        self.charts = TrafficChartsWidget()
        self.setWidget(self.charts)
        session.sig_analysis_changed.connect(self._on_analysis)
        self.charts.show_analysis(session.analysis)

    def _on_analysis(self, analysis: TrafficAnalysis | None) -> None:
        self.charts.show_analysis(analysis)
        if analysis is not None and self.isVisible():
            self.raise_()

    def show_ingress(self, ingress: IngressStats | None) -> None:
        self.charts.show_ingress(ingress)


def _heading() -> QLabel:
    head = QLabel(wordWrap=True)
    head.setTextFormat(Qt.TextFormat.RichText)
    head.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    return head


__all__ = ["TOP_COLOURS", "AnalysisChartsDock", "ChartPlot", "TrafficChartsWidget",
           "UtcMinuteAxis", "label", "per_minute_steps"]
