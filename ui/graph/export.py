"""Export a view exactly as it is on screen: PNG through ``grab()``, SVG through QSvgGenerator.

(pyqtgraph's ImageExporter is far slower on big scenes; see STACK_NOTES.)
"""
from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget


def export_png(widget: QWidget, path: str | Path) -> Path:
    path = Path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def export_svg(widget: QWidget, path: str | Path, title: str = "Traceback Workbench view") -> Path:
    path = Path(path)
    size = widget.size()
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(size.width(), size.height()))
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    gen.setDescription("Exported from Traceback Workbench as shown on screen")
    painter = QPainter()
    if not painter.begin(gen):
        raise OSError(f"could not write {path}")
    items = _plot_items(widget)
    try:
        for item in items:  # draw symbols as vector paths, not from the pixmap atlas
            item.setExportMode(True, {"antialias": True, "background": None, "painter": painter})
        widget.render(painter, QPoint(0, 0))
    finally:
        for item in items:
            item.setExportMode(False)
        painter.end()
    return path


def _plot_items(widget: QWidget) -> list:
    views = [w for w in [widget, *widget.findChildren(pg.GraphicsView)]
             if isinstance(w, pg.GraphicsView)]
    return [i for v in views for i in v.scene().items() if hasattr(i, "setExportMode")]
