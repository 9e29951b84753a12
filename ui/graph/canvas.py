"""A pyqtgraph canvas for node-link drawings: no axes, palette colours, pixel-offset labels."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QTimer, Signal

from .. import theme


class GraphCanvas(pg.PlotWidget):
    """Zoom and pan with the mouse; labels keep pixel offsets from their anchors."""

    sig_relabel = Signal()
    sig_palette_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        item = self.getPlotItem()
        for axis in ("left", "bottom"):
            item.hideAxis(axis)
        item.setMenuEnabled(False)
        self.setAntialiasing(True)
        self.vb = item.getViewBox()
        self.vb.setDefaultPadding(0.0)
        self._relabel_timer = QTimer(self, singleShot=True, interval=0)
        self._relabel_timer.timeout.connect(self.sig_relabel)
        self.vb.sigTransformChanged.connect(self._relabel_timer.start)
        self.vb.sigResized.connect(self._relabel_timer.start)
        theme.style_plot(self)

    def pixel(self) -> tuple[float, float]:
        """Data units per screen pixel (x, y)."""
        px = self.vb.viewPixelSize()
        return (px[0] or 1e-3, px[1] or 1e-3)

    def clear_items(self) -> None:
        self.getPlotItem().clear()

    def changeEvent(self, ev) -> None:  # noqa: N802 - Qt API
        if ev.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme.style_plot(self)
            self.sig_palette_changed.emit()
        super().changeEvent(ev)


def text_item(html: str, anchor=(0.5, 0.0), width: float | None = None) -> pg.TextItem:
    t = pg.TextItem(html=html, anchor=anchor)
    if width:
        t.setTextWidth(width)
    return t
