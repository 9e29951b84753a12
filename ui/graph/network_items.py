"""Batched drawing items for the network view: a few items for thousands of providers.

One ``LabelLayer`` paints every shown name (a halo box and static text, in pixels) in one
``paint`` call; hand-offs of one look (colour and width) are one ``PlotCurveItem`` with a
``pairs`` connect array. Per-node or per-edge items cost a thousand times more per frame.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.PlotCurveItem import arrayToLineSegments
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
    QTransform,
)

WIDTH_LEVELS = np.array([1.5, 2.5, 4.0, 6.0])  # px: hand-off widths, by calls, in four steps


class LabelLayer(pg.GraphicsObject):
    """Names under their nodes and badges beside them, kept at a fixed pixel size."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(20)
        self.font = QFont()
        self.bold = QFont(self.font)
        self.bold.setBold(True)
        self.small = QFont(self.font)
        self.small.setPointSizeF(max(self.font.pointSizeF() * 0.85, 6.0))
        self.small.setBold(True)
        self._metrics = QFontMetricsF(self.font)
        self._bold_metrics = QFontMetricsF(self.bold)
        self._static: dict[tuple[str, int], QStaticText] = {}
        self._labels: list[tuple[float, float, float, str, int]] = []  # x, y, dy px, text, font
        self._badges: list[tuple[float, float, float, str]] = []  # x, y, dx px, text
        self._bounds = QRectF()
        self.ink, self.halo = QColor("black"), QColor(255, 255, 255, 210)

    def text_sizes(self, names: list[str], bold: np.ndarray) -> np.ndarray:
        """(n, 2) width and height in pixels of each name as drawn."""
        h = self._metrics.height()
        return np.array([((self._bold_metrics if b else self._metrics).horizontalAdvance(n) + 4,
                          h) for n, b in zip(names, bold.tolist())]).reshape(-1, 2)

    def set_content(self, labels: list[tuple[float, float, float, str, int]],
                    badges: list[tuple[float, float, float, str]], bounds: QRectF,
                    ink: QColor, halo: QColor) -> None:
        """``labels``: (x, y, pixels below the centre, text, 0 plain / 1 bold); ``badges``:
        (x, y, pixels right of the centre, text)."""
        self.prepareGeometryChange()
        self._labels, self._badges, self._bounds = labels, badges, QRectF(bounds)
        self.ink, self.halo = QColor(ink), QColor(halo)
        self.update()

    def texts(self) -> list[str]:
        return [t for *_, t, _ in self._labels]

    def badge_texts(self) -> list[str]:
        return [t for *_, t in self._badges]

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._bounds

    def _text(self, text: str, kind: int) -> QStaticText:
        st = self._static.get((text, kind))
        if st is None:
            st = self._static[(text, kind)] = QStaticText(text)
            st.prepare(QTransform(), (self.font, self.bold, self.small)[kind])
        return st

    def paint(self, p, *args) -> None:
        if not self._labels and not self._badges:
            return
        t = p.transform()
        p.save()
        p.resetTransform()
        p.setPen(self.ink)
        fonts = (self.font, self.bold, self.small)
        for x, y, dy, text, kind in self._labels:
            pt = t.map(QPointF(x, y))
            st = self._text(text, kind)
            size = st.size()
            left, top = pt.x() - size.width() / 2, pt.y() + dy
            p.fillRect(QRectF(left - 2, top, size.width() + 4, size.height()), self.halo)
            p.setFont(fonts[kind])
            p.drawStaticText(QPointF(left, top), st)
        p.setFont(self.small)
        for x, y, dx, text in self._badges:
            pt = t.map(QPointF(x, y))
            st = self._text(text, 2)
            size = st.size()
            left, top = pt.x() + dx, pt.y() - size.height() / 2
            p.fillRect(QRectF(left - 2, top, size.width() + 4, size.height()), self.halo)
            p.drawStaticText(QPointF(left, top), st)
        p.restore()


def edge_item(pos: np.ndarray, edges: np.ndarray, colour: QColor, width: float,
              z: float = 0.0, antialias: bool = False) -> pg.PlotCurveItem:
    """One item drawing every hand-off in ``edges`` with one pen (pairs of points).

    Opaque and aliased unless asked: Qt's raster engine blends translucent or antialiased
    lines 4-10× slower, which at 5,000 hand-offs is the whole frame budget."""
    xy = pos[edges.reshape(-1)]
    item = pg.PlotCurveItem(x=xy[:, 0], y=xy[:, 1], connect="pairs",
                            pen=pg.mkPen(colour, width=width), antialias=antialias,
                            skipFiniteCheck=True)
    item.setSegmentedLineMode("on")  # drawLines: a translucent path stroker is 1,000× slower
    item.setZValue(z)
    return item


class EdgeLayer(pg.GraphicsObject):
    """Every hand-off of the network in one item, drawn through an image cache.

    Rasterizing thousands of long lines costs 20-60 ms a frame on a software raster; a pan
    only moves the cached image (the cache reaches a quarter of the view beyond each side)
    and a zoom scales it, so both stay smooth; the lines are drawn sharp again once the view
    rests (``SETTLE_MS``), or at once when the cache no longer covers the view or is scaled
    past ``MAX_STRETCH``."""

    SETTLE_MS = 120
    MARGIN = 0.25
    MAX_STRETCH = 2.0

    def __init__(self) -> None:
        super().__init__()
        self._groups: list[tuple[QPen, object, bool]] = []  # pen, line buffer, antialias
        self._bounds = QRectF()
        self._cache: QImage | None = None
        self._cache_data = QRectF()  # the data rectangle the cache shows
        self._cache_scale = (0.0, 0.0)
        self._timer = QTimer(singleShot=True, interval=self.SETTLE_MS)
        self._timer.timeout.connect(self._settle)
        self.renders = 0  # full redraws of the lines (the benchmark reports them)

    def set_groups(self, pos: np.ndarray, groups: list[tuple[np.ndarray, QColor, float, bool]]
                   ) -> None:
        """``groups``: (edges (k, 2), colour, width px, antialias), drawn in this order."""
        self.prepareGeometryChange()
        self._groups = []
        for edges, colour, width, aa in groups:
            xy = pos[edges.reshape(-1)]
            lines = arrayToLineSegments(xy[:, 0].astype(float), xy[:, 1].astype(float),
                                        connect="pairs", finiteCheck=False)
            self._groups.append((pg.mkPen(colour, width=width), lines, aa))
        lo, hi = pos.min(axis=0, initial=0.0), pos.max(axis=0, initial=1.0)
        self._bounds = QRectF(QPointF(lo[0], lo[1]), QPointF(hi[0], hi[1])).adjusted(
            -1e-3, -1e-3, 1e-3, 1e-3)
        self._cache = None
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._bounds

    def _settle(self) -> None:
        self._cache_scale = (0.0, 0.0)  # stale: the next paint redraws the lines
        self.update()

    def paint(self, p, opt=None, widget=None) -> None:
        if not self._groups:
            return
        t = p.transform()
        dev = p.device()
        dpr = dev.devicePixelRatioF()
        view = QRectF(widget.rect()) if widget is not None else \
            QRectF(0, 0, dev.width() / dpr, dev.height() / dpr)
        scale = (t.m11(), t.m22())
        target = t.mapRect(self._cache_data) if self._cache is not None else QRectF()
        same = self._cache is not None and scale == self._cache_scale
        stretch = abs(scale[0] / self._cache_scale[0]) if self._cache is not None and \
            self._cache_scale[0] else 0.0
        usable = self._cache is not None and target.contains(view) and (
            same or 1 / self.MAX_STRETCH <= stretch <= self.MAX_STRETCH)
        if not usable:
            self._render(t, view, dpr)
            target = t.mapRect(self._cache_data)
        elif not same:
            self._timer.start()
        p.save()
        p.resetTransform()
        p.drawImage(target, self._cache)
        p.restore()

    def _render(self, t: QTransform, view: QRectF, dpr: float) -> None:
        """Draw the lines into a new cache covering ``view`` and a margin around it."""
        area = view.adjusted(-view.width() * self.MARGIN, -view.height() * self.MARGIN,
                             view.width() * self.MARGIN, view.height() * self.MARGIN)
        img = QImage(int(area.width() * dpr) + 1, int(area.height() * dpr) + 1,
                     QImage.Format.Format_ARGB32_Premultiplied)
        img.setDevicePixelRatio(dpr)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        painter.setTransform(t * QTransform.fromTranslate(-area.x(), -area.y()))
        for pen, lines, aa in self._groups:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, aa)
            painter.setPen(pen)
            painter.drawLines(*lines.drawargs())
        painter.end()
        inv, _ = t.inverted()
        self._cache, self._cache_data = img, inv.mapRect(area)
        self._cache_scale = (t.m11(), t.m22())
        self.renders += 1


def blend(colour: QColor, alpha: int, background: QColor) -> QColor:
    """``colour`` at ``alpha`` over ``background``, as one opaque colour."""
    a = alpha / 255.0
    return QColor(*(int(round(getattr(background, ch)() * (1 - a) + getattr(colour, ch)() * a))
                    for ch in ("red", "green", "blue")))


def arrow_symbols(steps: int = 24) -> list[QPainterPath]:
    """Arrowheads pointing along ``steps`` evenly spaced angles (0: to the right)."""
    head = QPainterPath()
    head.moveTo(0.5, 0.0)
    head.lineTo(-0.5, -0.35)
    head.lineTo(-0.25, 0.0)
    head.lineTo(-0.5, 0.35)
    head.closeSubpath()
    out = []
    for k in range(steps):
        tr = QTransform()
        tr.rotate(-360.0 * k / steps)  # scatter symbols are drawn y up
        out.append(tr.map(head))
    return out
